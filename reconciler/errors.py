"""The exceptions a user can meet, all rooted at `ReconcilerError`.

    ReconcilerError                 one line for the user, exit code 1
    ├── ConfigError                 the YAML (issues carry FILE:LINE:COL)
    ├── ProviderError               an API answered in a way we cannot use
    │   ├── AuthenticationError     "authentication failed for <provider>" (a 401)
    │   ├── PermissionDeniedError   "permission denied" (a 403: the credentials are good, the key
    │   │                           or user may not do this: read-only, or without a scope)
    │   ├── UnreachableError        connection refused, DNS, TLS, timeouts after retries
    │   │   └── ResponseLostError       a POST may have been applied but its answer was lost
    │   └── ResponseError           unexpected status or malformed body (names the endpoint)
    ├── PlanError                   the declared state cannot be planned (e.g. ambiguous select)
    ├── UnsafePlanError             a safety rail refused the plan (numbers and what to do)
    ├── StalePlanError              the remote state moved since the plan was read: a saved
    │                               plan's objects, or an object edited while the plan waited
    │                               for its confirmation (the check before the first write)
    ├── UntrustedPlanError          a saved plan is damaged, badly signed, made for another
    │                               configuration, or holds requests the configuration does not
    ├── LocalFileError              a file or folder this machine should write cannot be used
    │                               (a symbolic link, a file where a folder goes, no permission,
    │                               a full disk): names the path and what to do
    └── GitHubApiError              a GitHub REST call failed after its retry (a warning in CI)

Every message is one line that says what went wrong and what to do next, and never holds a
secret: providers build messages from names and endpoints only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from reconciler.model import ConfigIssue


class ReconcilerError(Exception):
    """Root of every error the CLI reports as `Error: <message>` with exit code 1."""


class ConfigError(ReconcilerError):
    """The configuration's issues, one line each; `count` is how many problems there are in all
    (more than the lines when a file's long tail is summed up in one line)."""

    def __init__(self, issues: list[ConfigIssue], *, count: int | None = None) -> None:
        self.issues = issues
        self.count = len(issues) if count is None else count
        super().__init__("\n".join(str(issue) for issue in issues))


class ProviderError(ReconcilerError):
    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        super().__init__(message)


class AuthenticationError(ProviderError):
    def __init__(self, provider: str, detail: str) -> None:
        super().__init__(
            provider,
            f"authentication failed for {provider}: {detail}; check its credentials in the "
            "providers block and the environment variables it names",
        )


class PermissionDeniedError(ProviderError):
    """The API knew the credentials and refused the operation (403): re-entering them does not
    help; write access does."""

    def __init__(self, provider: str, detail: str) -> None:
        super().__init__(
            provider,
            f"permission denied by {provider}: {detail} (the key or user may be read-only, or "
            "lack a scope); give it the access it needs, or use credentials that have it",
        )


class UnreachableError(ProviderError):
    pass


class ResponseLostError(UnreachableError):
    pass


class ResponseError(ProviderError):
    def __init__(
        self, provider: str, endpoint: str, message: str, *, status: int | None = None
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        super().__init__(provider, f"{provider} {endpoint}: {message}")


class PlanError(ReconcilerError):
    pass


class UnsafePlanError(ReconcilerError):
    pass


class StalePlanError(ReconcilerError):
    pass


class UntrustedPlanError(ReconcilerError):
    """A saved plan refused before anything is sent: what differs is in the message."""


class LocalFileError(ReconcilerError):
    """A file or folder of this machine that a run writes cannot be used; `path` is the one
    that stood in the way."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(message)

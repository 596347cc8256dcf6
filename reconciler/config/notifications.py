"""Notification targets (`notifications:` in the YAML): read while loading.

    notifications:
      team-slack:
        url: ${SLACK_WEBHOOK_URL}          # an Apprise URL, always from the environment
        triggers: [apply-failed, apply-partial, drift-detected]

A notification URL carries its service's token (a Slack webhook's path is its password), so it
is a secret like an API key: exactly one `${NAME}` reference (the schema refuses a literal), never
printed, and redacted in every form a library may log it in (`url_secrets`). Sending is
`reconciler.notify`'s; this module only reads the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from reconciler.config.document import FileView, one_section
from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.model import ConfigIssue, Location

SECTION = "notifications"
# Every trigger a target may subscribe to (the schema lists the same names): a target without
# `triggers` hears of all of them.
TRIGGERS = (
    "apply-failed",
    "apply-partial",
    "apply-succeeded",
    "drift-detected",
    "duplicate-found",
    "policy-refused",
    "plan-refused",
)
# A part of a URL this long is a token wherever it occurs (Slack's shortest is 9 characters);
# shorter parts ("hooks", "api") are words every output holds.
TOKEN_LENGTH = 8



@dataclass(frozen=True, kw_only=True)
class NotificationTarget:
    """One place messages go: its name, its URL (None when the run did not resolve secrets,
    as `--sandbox` and `validate` do: such a target is never sent to) and its triggers."""

    name: str
    url: str | None
    triggers: frozenset[str]
    location: Location

    @property
    def secrets(self) -> frozenset[str]:
        return url_secrets(self.url) if self.url else frozenset()

    def __repr__(self) -> str:  # a traceback or a debug log shows the target, never its URL
        return f"NotificationTarget(name={self.name!r}, triggers={sorted(self.triggers)})"


def collect(
    files: Sequence[FileView],
    issues: list[ConfigIssue],
    resolve: Callable[[str, JsonPath, SourceMap], str | None] | None,
) -> tuple[NotificationTarget, ...]:
    """The targets of the one file that has a `notifications` section. `resolve` completes a
    `${NAME}` reference from the environment (None: leave every URL unresolved)."""
    found: list[NotificationTarget] = []
    twice = "notifications are configured twice (first at {first}); keep one"
    for block, source, clean in one_section(files, SECTION, issues, twice=twice):
        for name, entry in block.items():
            path: JsonPath = (SECTION, name)
            if not clean(path) or not isinstance(entry, Mapping):
                continue  # the schema has said what is wrong with it
            reference = str(entry["url"])
            url = resolve(reference, (*path, "url"), source) if resolve else None
            if resolve is not None and url is None:
                continue  # the missing variable is an issue already
            found.append(
                NotificationTarget(
                    name=str(name),
                    url=url,
                    triggers=frozenset(entry.get("triggers") or TRIGGERS),
                    location=source.at(path),
                )
            )
    return tuple(found)


def url_secrets(url: str) -> frozenset[str]:
    """The URL and every part of it that may stand alone in a log line: user, password, a host
    that is not a domain name or address (Slack's `slack://TOKEN_A/...`), path segments and
    query values of `TOKEN_LENGTH` characters or more. Apprise rewrites its URLs into the
    service's own (`https://hooks.slack.com/services/TOKEN_A/TOKEN_B/TOKEN_C`) before it logs or
    sends them; the tokens are the same."""
    parts = {url}
    try:
        split = urlsplit(url)
    except ValueError:  # a malformed authority: the whole URL is all that can be named
        return frozenset(parts)
    # As written (`hostname` lower-cases it, and a token's case is part of it).
    authority = split.netloc.rpartition("@")[2]
    host = authority.rpartition(":")[0] if authority.count(":") == 1 else authority
    candidates = [split.username or "", split.password or ""]
    if "." not in host and ":" not in host and host != "localhost":
        candidates.append(host)
    candidates += [unquote(segment) for segment in split.path.split("/")]
    candidates += [value for _, value in parse_qsl(split.query)]
    candidates.append(unquote(split.fragment))
    parts.update(part for part in candidates if len(part) >= TOKEN_LENGTH)
    return frozenset(parts)

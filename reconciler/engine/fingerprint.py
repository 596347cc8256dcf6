"""The configuration fingerprint: which configuration, and which accounts, a saved plan is for.

The one place it is computed (`configuration_fingerprint`). It covers:
- every configuration file's bytes (sha256), named relative to the configuration's path, so a
  plan applied from another directory or checkout of the same configuration is still valid;
- per configured provider, a digest of its endpoint (the base URL; `sandbox` for the embedded
  sandbox, whose port changes each run) and its settings that are not secret: the account's
  identity (Prevail's `company_id`, Prospero's `email`) and options such as `default_via`;
- the ownership scope's name, declared (`providers.stack`, inside the files) or derived from the
  repository (outside them: a fork or a moved folder derives another scope, whose objects the
  plan's requests were not made for).
Secret values (`api_key`, `password`, `refresh_token`, or any value the run treats as secret)
never enter it. The parts are kept apart so that a refusal can name what differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.config import DesiredState
from reconciler.config.settings import SECRET_SETTINGS
from reconciler.model import ProviderSettings
from reconciler.providers.base import Provider

SANDBOX_ENDPOINT = "sandbox"


@dataclass(frozen=True, kw_only=True)
class Fingerprint:
    """Digests of the configuration files (by relative name) and of each provider's identity."""

    files: Mapping[str, str]
    providers: Mapping[str, str]
    scope: str = ""

    @property
    def digest(self) -> str:
        parts: dict[str, Any] = {"files": dict(self.files), "providers": dict(self.providers)}
        if self.scope:
            parts["scope"] = self.scope
        return _digest(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "files": dict(sorted(self.files.items())),
            "providers": dict(sorted(self.providers.items())),
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fingerprint:
        """Read back; refuses (ValueError) parts that do not add up to the recorded digest."""
        found = cls(
            files={str(k): str(v) for k, v in dict(data["files"]).items()},
            providers={str(k): str(v) for k, v in dict(data["providers"]).items()},
            scope=str(data.get("scope") or ""),
        )
        if found.digest != data.get("digest"):
            raise ValueError("the configuration fingerprint does not add up")
        return found

    def differences(self, now: Fingerprint) -> list[str]:
        """What differs between this (the plan's) fingerprint and the configuration's `now`."""
        found = [
            f"{name} {what}"
            for name, what in _compare(self.files, now.files)
        ]
        found.extend(
            f"providers.{name} {'endpoint or account differs' if what == 'changed' else what}"
            for name, what in _compare(self.providers, now.providers)
        )
        if self.scope != now.scope:
            found.append(f"the scope is {now.scope!r}, the plan was made for {self.scope!r}")
        return found


def configuration_fingerprint(
    state: DesiredState, providers: Mapping[str, Provider], *, sandbox: bool
) -> Fingerprint:
    """The fingerprint of the loaded configuration and the providers built from it."""
    return Fingerprint(
        scope=state.scope.name if state.scope else "",
        files=dict(state.file_digests),
        providers={
            name: _digest(_identity(provider.settings, sandbox=sandbox))
            for name, provider in providers.items()
        },
    )


def _identity(settings: ProviderSettings, *, sandbox: bool) -> dict[str, Any]:
    identity: dict[str, Any] = {
        name: value
        for name, value in settings.settings.items()
        if name not in SECRET_SETTINGS and value not in settings.secrets
    }
    base_url = str(identity.get("base_url", ""))
    identity["base_url"] = SANDBOX_ENDPOINT if sandbox else base_url.rstrip("/")
    if settings.requests_per_minute is not None:
        identity["requests_per_minute"] = settings.requests_per_minute
    return identity


def _compare(then: Mapping[str, str], now: Mapping[str, str]) -> list[tuple[str, str]]:
    found = []
    for name in sorted(then.keys() | now.keys()):
        if name not in now:
            found.append((name, "is gone"))
        elif name not in then:
            found.append((name, "is new"))
        elif then[name] != now[name]:
            found.append((name, "changed"))
    return found


def _digest(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()

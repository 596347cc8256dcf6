"""The providers, one module each behind `base.Provider`, and how the engine builds them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping

import httpx

from reconciler.clock import Deadline
from reconciler.config import DesiredState
from reconciler.config.settings import SECRET_SETTINGS
from reconciler.errors import ReconcilerError
from reconciler.http import RetryPolicy, build_client
from reconciler.model import PROVIDER_OF, ProviderSettings
from reconciler.providers.base import Provider, UpdatePlan
from reconciler.providers.paging import WalkLimits
from reconciler.providers.prevail import PrevailProvider
from reconciler.providers.previsto import PrevistoProvider
from reconciler.providers.prospero import ProsperoProvider
from reconciler.reports import Outcome

__all__ = ["PROVIDERS", "Outcome", "Provider", "UpdatePlan", "WalkLimits", "build_providers"]

PROVIDERS: dict[str, type[Provider]] = {
    "prevail": PrevailProvider,
    "prospero": ProsperoProvider,
    "previsto": PrevistoProvider,
}

TransportFactory = Callable[[str], httpx.BaseTransport | None]


def credential_digest(name: str, settings: ProviderSettings) -> str:
    """Names a provider's credential without holding it: what its rate limit is kept under.

    A digest of the base URL and the secret settings (the key), so two configurations that use
    one key share one limit, and the secret itself never reaches the pacing store.
    """
    # The credentials only: other redacted values (a postback URL's token) name no key.
    keys = sorted(value for key, value in settings.settings.items() if key in SECRET_SETTINGS)
    identity = json.dumps([name, settings.settings.get("base_url", ""), keys])
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


def build_providers(
    state: DesiredState,
    *,
    settings: Mapping[str, ProviderSettings] | None = None,
    transport: TransportFactory | None = None,
    timeout: float = 30.0,
    create_timeout: float | None = None,
    policy: RetryPolicy | None = None,
    deadline: Deadline | None = None,
    walk_limits: WalkLimits | None = None,
) -> dict[str, Provider]:
    """A provider for every kind the configuration declares (and every configured provider);
    `create_timeout` is a create's read timeout (None: `timeout`); nothing is sent or read past
    `deadline` (None: no deadline); `walk_limits` bound each list walk (None: the defaults)."""
    configured = dict(settings if settings is not None else state.providers)
    needed = {PROVIDER_OF[kind] for kind, objects in state.objects.items() if objects}
    missing = sorted(needed - configured.keys())
    if missing:
        kinds = ", ".join(k for k, p in PROVIDER_OF.items() if p in missing)
        raise ReconcilerError(
            f"{kinds} are declared but providers.{missing[0]} is not configured; add it to the "
            "providers block (or run with --sandbox)"
        )
    built: dict[str, Provider] = {}
    for name, provider_settings in sorted(configured.items()):
        cls = PROVIDERS[name]
        rate = provider_settings.requests_per_minute or cls.requests_per_minute
        client = build_client(
            name,
            provider_settings.settings.get("base_url", ""),
            auth=cls.auth(provider_settings),
            transport=transport(name) if transport else None,
            requests_per_minute=rate,
            rate_window=cls.rate_window,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            policy=policy,
            deadline=deadline,
            credential=credential_digest(name, provider_settings),
        )
        scope = state.scope.name if state.scope is not None else None
        built[name] = cls(
            settings=provider_settings, client=client, scope=scope, create_timeout=create_timeout,
            walk_limits=walk_limits,
        )
    return built

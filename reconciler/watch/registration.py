"""Registering the receiver with Prospero at start, once per Prospero account watched.

A registration whose URL is ours already is reused, so a restart adds none. Where the API has
no registry (or the user may not use it), and where no public URL was given, the stream asks a
person to register the URL by hand, its token masked; the sweep covers the schedule meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.errors import ReconcilerError
from reconciler.providers.prospero import ProsperoProvider
from reconciler.providers.prospero_webhooks import register_webhook
from reconciler.redaction import redact
from reconciler.watch.events import Emit, record
from reconciler.watch.receiver import hook_url, masked_hook_url
from reconciler.watch.scope import WatchedScope


def register_all(
    scopes: Iterable[WatchedScope], *, public_url: str | None, token: str, emit: Emit
) -> None:
    """Register (or find) the hook with every Prospero account the scopes use."""
    accounts: dict[tuple[str, str], ProsperoProvider] = {}
    for scope in scopes:
        provider = scope.providers.get("prospero")
        if isinstance(provider, ProsperoProvider):
            accounts.setdefault(
                (str(provider.client.base_url).rstrip("/"), provider.account), provider
            )
    for (base_url, _), provider in sorted(accounts.items()):
        if public_url is None:
            emit(
                record(
                    "webhook.manual",
                    api=base_url,
                    url=masked_hook_url("<public URL>"),
                    reason="no --public-url given: Prospero cannot reach this process "
                    "until the URL is registered by hand",
                )
            )
            continue
        try:
            found = register_webhook(provider, hook_url(public_url, token))
        except ReconcilerError as error:
            emit(
                record(
                    "webhook.failed",
                    api=base_url,
                    url=masked_hook_url(public_url),
                    message=redact(str(error)),
                )
            )
            continue
        if found.status == "unavailable":
            emit(
                record(
                    "webhook.manual",
                    api=base_url,
                    url=masked_hook_url(public_url),
                    reason=f"{found.reason}: register the URL by hand in Prospero, with "
                    "the token from RECONCILER_WEBHOOK_TOKEN in place of <token>",
                )
            )
        else:
            emit(
                record(
                    "webhook.registered",
                    api=base_url,
                    url=masked_hook_url(public_url),
                    status=found.status,
                    webhook_id=found.webhook_id,
                )
            )

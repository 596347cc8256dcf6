"""Prospero's webhook registration, for `watch`: reuse the one pointing at our URL, else add it.

Prospero's docs recommend webhooks over polling but document no registration call; the
`/webhooks` registry is our model of one. Where the server answers 403, 404 or 405 for it (no
such API, or a user without the right), the registration is `unavailable` and the caller asks a
person to register the URL by hand; `watch` sweeps either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.providers.prospero import ProsperoProvider

EVENT_TYPES = ("event.created", "event.updated", "event.deleted")
# What a server without the registry (or a user without its right) answers.
NOT_OFFERED = frozenset({403, 404, 405})


@dataclass(frozen=True, kw_only=True)
class Registration:
    """How a webhook URL stands with a Prospero account."""

    status: Literal["reused", "created", "unavailable"]
    webhook_id: str | None = None
    reason: str | None = None  # why it is unavailable: the status the server answered


def register_webhook(provider: ProsperoProvider, url: str) -> Registration:
    """Make sure `url` is registered for every event type: the registration already pointing
    at it when there is one (a restart adds none), else a new one."""
    listed = provider.request("GET", "webhooks", allow=NOT_OFFERED)
    if listed.status_code in NOT_OFFERED:
        return Registration(
            status="unavailable", reason=f"GET /webhooks answered {listed.status_code}"
        )
    for webhook in _webhooks(provider.decode(listed, "GET /webhooks")):
        if webhook.get("url") == url and isinstance(webhook.get("id"), str):
            return Registration(status="reused", webhook_id=webhook["id"])
    created = provider.request(
        "POST",
        "webhooks",
        json_body={"url": url, "events": list(EVENT_TYPES)},
        allow=NOT_OFFERED,
    )
    if created.status_code in NOT_OFFERED:
        return Registration(
            status="unavailable", reason=f"POST /webhooks answered {created.status_code}"
        )
    body = provider.decode(created, "POST /webhooks")
    webhook = body.get("webhook", body) if isinstance(body, Mapping) else {}
    found = webhook.get("id") if isinstance(webhook, Mapping) else None
    return Registration(status="created", webhook_id=found if isinstance(found, str) else None)


def _webhooks(body: Any) -> list[Mapping[str, Any]]:
    """The registrations in a list answer: wrapped as Prospero wraps lists, or bare."""
    listed = body.get("webhooks") if isinstance(body, Mapping) else body
    if not isinstance(listed, list):
        return []
    return [webhook for webhook in listed if isinstance(webhook, Mapping)]

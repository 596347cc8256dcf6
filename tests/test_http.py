"""The transport's confinement: no request leaves its client's base URL."""

from __future__ import annotations

import pytest

from reconciler.http import OutsideBaseURL, build_client, path_outside_base
from reconciler.sandbox.app import Sandbox

BASE = "https://api.prosperoapp.com/v1"


@pytest.mark.parametrize(
    "path",
    ["/events", "events/e1", "/events/e1/cancel", "/events/a..b", "/événements/1",
     "/events/%2e%2e.json"],
)
def test_paths_below_the_base_url_pass(path: str):
    assert path_outside_base(BASE, path) is None


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("https://attacker.example/v1/events", "absolute URL"),
        ("HTTPS://api.prosperoapp.com/v1/events", "absolute URL"),
        ("http://api.prosperoapp.com/v1/events", "absolute URL"),
        ("//attacker.example/events", "absolute URL"),
        ("mailto:someone@example.com", "absolute URL"),
        ("/../v2/events", "'..' segment"),
        ("/events/../../admin", "'..' segment"),
        ("/events/./e1", "'.' or '..' segment"),
        ("/events/%2E%2E/%2e%2e/admin", "'..' segment"),
        ("/events/%252e%252e/admin", "'..' segment"),
        ("/events\\..\\admin", "backslash"),
        ("/events?owner=me", "query"),
        ("/events#top", "fragment"),
        ("/events\r\nHost: attacker.example", "control character"),
    ],
)
def test_paths_that_would_leave_are_named(path: str, why: str):
    reason = path_outside_base(BASE, path)
    assert reason is not None and why in reason


def test_the_client_refuses_to_send_outside_its_base(sandbox: Sandbox, sandbox_url: str):
    client = build_client("previsto", f"{sandbox_url}/previsto")
    try:
        for target in (f"{sandbox_url}/prospero/events", "../prospero/events",
                       f"{sandbox_url.replace('127.0.0.1', 'localhost')}/previsto/assignments"):
            with pytest.raises(OutsideBaseURL, match="outside its base_url"):
                client.get(target)
        assert sandbox.requests.snapshot() == []
        assert client.get("assignments").status_code == 401  # below the base: sent (no key)
    finally:
        client.close()
    assert [record.path for record in sandbox.requests.snapshot()] == ["/previsto/assignments"]

"""The Previsto emulator on api-contract.md's Previsto points that no other test covered."""

from __future__ import annotations

import httpx

from reconciler.sandbox.app import Sandbox

FULL = ("sk_sandbox", "")
READ_ONLY = ("sk_sandbox_readonly", "")


def test_the_default_limit_is_120_requests_a_minute_per_key(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    """api-contract.md, Previsto — Rate limit [doc]: 120 requests per minute per API key → 429
    with a brief message; [model] no `Retry-After` header."""
    sandbox.context.clock = lambda: 1_800_000_000.0  # all of them within one minute
    statuses = [http.get("/previsto/account", auth=FULL).status_code for _ in range(120)]
    assert statuses == [200] * 120
    refused = http.get("/previsto/account", auth=FULL)
    assert refused.status_code == 429
    assert refused.json() == {
        "type": "invalid_request_error",
        "message": "Too many requests: the limit is 120 requests per minute per API key.",
    }
    assert "retry-after" not in refused.headers
    assert http.get("/previsto/account", auth=READ_ONLY).status_code == 200  # another key


def test_contacts_and_agreements_are_read_one_by_one(http: httpx.Client) -> None:
    """api-contract.md, Previsto — Resources: `GET /contacts/{id}` and `GET /agreements/{id}`
    [model paths] answer the object as the list shows it."""
    for resource, prefix in (("contacts", "cont-"), ("agreements", "agrmt-")):
        listed = http.get(f"/previsto/{resource}", auth=FULL)
        assert listed.status_code == 200 and listed.json()
        for item in listed.json():
            assert item["id"].startswith(prefix)
            one = http.get(f"/previsto/{resource}/{item['id']}", auth=FULL)
            assert one.status_code == 200
            assert one.json() == item

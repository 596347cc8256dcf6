"""The retry budget of one credential, against the sandbox's injected faults: every client of a
key shares it, an outage is not multiplied by the attempts, a retry the server asked for is not
charged, and the budget refills as the minute moves on the injected clock."""

from __future__ import annotations

import httpx
import pytest

from reconciler.http import RetryPolicy, build_client
from reconciler.sandbox import SandboxSettings
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.faults import Fault
from reconciler.transport import budget_for
from reconciler.transport.budget import RETRY_FLOOR, RETRY_SHARE, WINDOW_SECONDS
from reconciler.transport.retrying import ResilientTransport
from tests.fixtures.clock import FakeClock

ROUTE = "^/previsto/contacts$"
PATIENT = RetryPolicy(attempts=5, initial_wait=0.01, max_wait=0.01)


@pytest.fixture
def sandbox_settings() -> SandboxSettings:
    return SandboxSettings(admin=True, previsto_requests_per_minute=10**6)


def keyed_client(sandbox_url: str, credential: str) -> httpx.Client:
    return build_client(
        "previsto", f"{sandbox_url}/previsto", auth=httpx.BasicAuth("sk_sandbox", ""),
        policy=PATIENT, credential=credential,
    )


def sent(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests.snapshot() if r.path == "/previsto/contacts")


def transport_of(client: httpx.Client) -> ResilientTransport:
    transport = client._transport
    assert isinstance(transport, ResilientTransport)
    return transport


def outage(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(kind="status", path=ROUTE, status=503, times=None))


def test_two_clients_of_one_key_share_one_budget_through_an_outage(
    sandbox: Sandbox, sandbox_url: str, request: pytest.FixtureRequest
) -> None:
    """Thirty requests during an outage, from two configurations of one key: without a budget
    each would be sent five times (150 in all); with it, only the floor and a fifth of the
    requests are sent again, and the second client meets the budget the first one spent."""
    outage(sandbox)
    credential = f"budget-{request.node.name}"
    with keyed_client(sandbox_url, credential) as first, \
            keyed_client(sandbox_url, credential) as second:
        answers = [c.get("/contacts").status_code for c in (first, second) for _ in range(15)]
        assert answers == [503] * 30  # each fails with what it met
        assert transport_of(second).budget is transport_of(first).budget
        assert transport_of(second).budget_refusals == 15  # none of its requests was retried
    allowed = RETRY_FLOOR + int(RETRY_SHARE * 30)
    assert 30 + RETRY_FLOOR <= sent(sandbox) <= 30 + allowed


def test_a_key_of_its_own_keeps_its_own_budget(
    sandbox: Sandbox, sandbox_url: str, request: pytest.FixtureRequest
) -> None:
    """Another key's spent budget does not stop this key's retries."""
    outage(sandbox)
    with keyed_client(sandbox_url, f"spent-{request.node.name}") as spent:
        for _ in range(15):
            spent.get("/contacts")
    before = sent(sandbox)
    with keyed_client(sandbox_url, f"fresh-{request.node.name}") as fresh:
        assert fresh.get("/contacts").status_code == 503
    assert sent(sandbox) - before == PATIENT.attempts


def test_a_retry_the_server_asked_for_is_not_charged(
    sandbox: Sandbox, sandbox_url: str, clock: FakeClock, request: pytest.FixtureRequest
) -> None:
    """With the budget spent, a 429 whose `Retry-After` says when to come back is still waited
    for and sent again: the server invited it."""
    credential = f"invited-{request.node.name}"
    outage(sandbox)
    with keyed_client(sandbox_url, credential) as client:
        for _ in range(10):
            client.get("/contacts")
        assert not budget_for(credential).withdraw()  # spent
        sandbox.faults.clear()
        sandbox.faults.add(Fault(kind="status", path=ROUTE, status=429, times=1, retry_after=3))
        assert client.get("/contacts").status_code == 200
    assert 3.0 in clock.waits_for("retry")


def test_the_budget_refills_as_the_minute_passes(
    sandbox: Sandbox, sandbox_url: str, clock: FakeClock, request: pytest.FixtureRequest
) -> None:
    """A spent budget is a minute's: once the window has moved on, failures are retried again."""
    outage(sandbox)
    with keyed_client(sandbox_url, f"refill-{request.node.name}") as client:
        for _ in range(15):
            client.get("/contacts")
        assert transport_of(client).budget_refusals > 0
        clock.advance(WINDOW_SECONDS + 1)
        before = sent(sandbox)
        client.get("/contacts")
    assert sent(sandbox) - before == PATIENT.attempts

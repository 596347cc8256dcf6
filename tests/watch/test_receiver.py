"""The receiver's other endpoints: liveness, readiness after the first sweep, Prometheus
metrics."""

from __future__ import annotations

import httpx

from tests.watch.conftest import Watched


def metric(text: str, name: str) -> float:
    (line,) = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.rsplit(" ", 1)[1])


def test_healthz_answers_and_readyz_waits_for_the_first_sweep(watching: Watched):
    with httpx.Client(base_url=watching.origin) as client:
        assert client.get("/healthz").status_code == 200
        before = client.get("/readyz")
        assert before.status_code == 503
        assert before.json() == {"ready": False, "waiting_for": ["schedule"]}
        watching.step()
        assert client.get("/readyz").json() == {"ready": True}


def test_metrics_count_deliveries_drift_requests_and_sweeps(watching: Watched):
    watching.step()
    event = watching.colleague_edits("gala", capacity=150)
    watching.deliver(event, delivery_id="one")
    watching.deliver(event, delivery_id="one")
    watching.deliver(event, token="not-the-token-0123456789")
    watching.clock.advance(5)
    watching.step()

    text = httpx.get(f"{watching.origin}/metrics").text
    assert metric(text, 'reconciler_webhooks_received_total{provider="prospero"}') == 1
    assert metric(text, 'reconciler_webhooks_duplicate_total{provider="prospero"}') == 1
    assert metric(text, 'reconciler_webhooks_rejected_total{provider="prospero"}') == 1
    assert metric(text, 'reconciler_drift_found_total{scope="schedule",status="drifted"}') == 1
    assert metric(text, 'reconciler_sweep_duration_seconds_count{scope="schedule"}') == 1
    # Every request the watcher's client sent: the login, the sweep's list, the re-read's.
    assert metric(text, 'reconciler_api_requests_total{api="prospero"}') == 3
    assert metric(text, "reconciler_watch_ready") == 1

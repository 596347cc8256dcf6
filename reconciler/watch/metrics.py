"""What `watch` counts, served at `/metrics` in Prometheus' text format.

Each watcher has its own registry (not the library's global one), so two in one process (a
test suite, a benchmark) count apart, and the process' own collectors are not mixed in.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "WatchMetrics"]

# A `_created` sample beside each counter doubles the page and no dashboard reads it (the
# library's switch is process-wide: the process is ours).
disable_created_metrics()  # type: ignore[no-untyped-call]  # the library leaves it unannotated

# A sweep lists every kind of every scope: from a fraction of a second to minutes at scale.
SWEEP_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class WatchMetrics:
    """The counters and histograms of one watcher."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhooks_received = Counter(
            "reconciler_webhooks_received",
            "Webhook deliveries accepted (right token).",
            ["provider"],
            registry=self.registry,
        )
        self.webhooks_duplicate = Counter(
            "reconciler_webhooks_duplicate",
            "Deliveries whose id was received before (Prospero's retries), ignored.",
            ["provider"],
            registry=self.registry,
        )
        self.webhooks_rejected = Counter(
            "reconciler_webhooks_rejected",
            "Requests to a webhook path with a wrong token; Prevail postbacks no watched key "
            "verifies (or expired).",
            ["provider"],
            registry=self.registry,
        )
        self.drift_found = Counter(
            "reconciler_drift_found",
            "Drifted objects reported (each drift once).",
            ["scope", "status"],
            registry=self.registry,
        )
        self.reverted = Counter(
            "reconciler_drift_reverted",
            "Drifted objects put back through apply.",
            ["scope"],
            registry=self.registry,
        )
        self.requests = Counter(
            "reconciler_api_requests",
            "Requests sent to each API (every attempt).",
            ["api"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "reconciler_api_rate_limited",
            "429 answers from each API.",
            ["api"],
            registry=self.registry,
        )
        self.rereads = Counter(
            "reconciler_rereads",
            "Windowed re-reads made for deliveries.",
            ["scope"],
            registry=self.registry,
        )
        self.sweep_duration = Histogram(
            "reconciler_sweep_duration_seconds",
            "How long one scope's sweep took.",
            ["scope"],
            buckets=SWEEP_BUCKETS,
            registry=self.registry,
        )
        self.failures = Counter(
            "reconciler_watch_failures",
            "Sweeps, re-reads or reverts that ended on an error.",
            ["scope", "stage"],
            registry=self.registry,
        )
        self.ready = Gauge(
            "reconciler_watch_ready",
            "1 once the first sweep of every scope is done.",
            registry=self.registry,
        )

        # Shown at zero from the start, so that a rate over them has a first point.
        for counter in (self.webhooks_received, self.webhooks_duplicate, self.webhooks_rejected):
            counter.labels(provider="prospero")
        for counter in (self.webhooks_received, self.webhooks_rejected):
            counter.labels(provider="prevail")

    def answered(self, api: str, status: int) -> None:
        """One request to `api` answered with `status` (a transport failure counts as 0)."""
        self.requests.labels(api=api).inc()
        if status == 429:
            self.rate_limited.labels(api=api).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

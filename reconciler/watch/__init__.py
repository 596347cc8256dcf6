"""`reconciler watch`: the long-running loop over one or more configurations.

    receiver.py      the ASGI app: Prospero's deliveries, Prevail's postbacks, /healthz,
                     /readyz, /metrics
    deliveries.py    a delivery's body read, repeats recognised (bounded, on the clock)
    postbacks.py     a postback's JWT read and verified with a scope's Prevail key
    debounce.py      deliveries (and postbacks) for one scope and kind coalesced into one re-read
    windows.py       the window a delivery asks to read again, folded into the snapshot
    scope.py         one configuration: declared state (read once), snapshot, drift told
    loop.py          the loop: sweeps, re-reads, drift reported once or put back
    revert.py        `--on-drift revert` through the engine's plan and apply
    registration.py  the webhook registered with Prospero (or a URL to register by hand)
    issues.py        each scope's drift issue on GitHub, kept as the drift workflow keeps it
    events.py        the event stream's records
    metrics.py       the Prometheus counters
    serving.py       uvicorn on a thread, the signals left to the loop

It drives the engine's pipeline (refresh, drift, plan, apply), never one of its own.
"""

from __future__ import annotations

from reconciler.watch.debounce import Debouncer
from reconciler.watch.deliveries import Delivery, read_delivery
from reconciler.watch.events import Emit, record
from reconciler.watch.issues import DriftIssues, IssuesApi
from reconciler.watch.loop import SWEEP_INTERVAL, Watcher, WatchSettings
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.receiver import hook_url, masked_hook_url, receiver_app
from reconciler.watch.registration import register_all
from reconciler.watch.revert import ApplySettings
from reconciler.watch.scope import WatchedScope

__all__ = [
    "SWEEP_INTERVAL",
    "ApplySettings",
    "Debouncer",
    "Delivery",
    "DriftIssues",
    "Emit",
    "IssuesApi",
    "WatchMetrics",
    "WatchSettings",
    "WatchedScope",
    "Watcher",
    "hook_url",
    "masked_hook_url",
    "read_delivery",
    "receiver_app",
    "record",
    "register_all",
]

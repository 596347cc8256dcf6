"""Registration with Prospero at start: reused across restarts, never duplicated, and a URL to
register by hand where the API has no registry."""

from __future__ import annotations

from typing import Any

from reconciler.cli.watching import watched
from reconciler.watch import WatchMetrics, register_all
from tests.fixtures.docs_prospero import DocsRepo
from tests.watch.conftest import BEARER, TOKEN, Watched

PUBLIC = "https://watch.example.com"


def test_a_restart_reuses_the_registration_it_made(watching: Watched):
    (scope,) = watching.watcher.scopes.values()
    for _ in range(2):  # the first start, then a restart
        register_all([scope], public_url=PUBLIC, token=TOKEN, emit=watching.events.append)

    first, second = watching.of("webhook.registered")
    assert (first["status"], second["status"]) == ("created", "reused")
    assert first["webhook_id"] == second["webhook_id"]
    listed = watching.http.get("/prospero/webhooks", headers=BEARER).json()["webhooks"]
    assert [(hook["url"], sorted(hook["events"])) for hook in listed] == [
        (f"{PUBLIC}/hooks/prospero/{TOKEN}", ["event.created", "event.deleted", "event.updated"])
    ]
    posts = [r for r in watching.repo.writes() if r.path.endswith("/webhooks")]
    assert len(posts) == 1
    # The stream never shows the token.
    assert TOKEN not in str(watching.events)
    assert first["url"] == f"{PUBLIC}/hooks/prospero/<token>"


def test_where_prospero_has_no_registry_the_url_to_register_by_hand_is_given(
    docs_repo: DocsRepo,
):
    events: list[dict[str, Any]] = []
    with watched(docs_repo.root, on_drift=None, metrics=WatchMetrics()) as scope:
        register_all([scope], public_url=PUBLIC, token=TOKEN, emit=events.append)
    (manual,) = events
    assert manual["event"] == "webhook.manual"
    assert manual["url"] == f"{PUBLIC}/hooks/prospero/<token>"
    assert "GET /webhooks answered 404" in manual["reason"]
    assert TOKEN not in str(events)
    assert docs_repo.server.writes() == [], "no registration is attempted after the 404"

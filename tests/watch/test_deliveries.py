"""A delivery is a hint to read again: one windowed list, drift told once, repeats ignored."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from reconciler.watch import loop
from tests.watch.conftest import BEARER, Watched


def moved(watching: Watched) -> dict:
    """A colleague moves the gala an hour later; the sandbox's requests are forgotten."""
    event = watching.colleague_edits(
        "gala", start="2027-03-10T19:00:00Z", end="2027-03-11T00:00:00Z"
    )
    watching.repo.forget_requests()
    return event


def test_a_delivery_rereads_only_its_window_in_one_list_request_and_reports_the_drift(
    watching: Watched,
):
    watching.step()  # the first sweep: everything in sync
    assert watching.of("drift.found") == []
    event = moved(watching)

    answer = watching.deliver(event)
    assert answer.status_code == 200
    assert answer.json() == {"status": "accepted"}
    watching.step()
    assert watching.event_lists() == [], "read before the quiet time has passed"

    watching.clock.advance(5)
    watching.step()
    (listed,) = watching.event_lists()
    window = parse_qs(listed.query)
    # The union of where the snapshot had it (18:00-23:00) and where it is now (19:00-00:00).
    assert window["window_start"] == ["2027-03-10T17:59:59Z"]
    assert window["window_end"] == ["2027-03-11T00:00:01Z"]
    (found,) = watching.of("drift.found")
    assert found["address"] == "events.gala"
    assert found["via"] == "webhook"
    assert [field["field"] for field in found["fields"]] == ["start", "end"]
    assert found["fields"][0]["remote"] == "2027-03-10T19:00:00Z"
    assert found["fields"][0]["declared"] == "2027-03-10T18:00:00Z"


def test_the_same_delivery_again_is_answered_and_ignored(watching: Watched):
    watching.step()
    event = moved(watching)
    first = watching.deliver(event, delivery_id="delivery-1")
    again = watching.deliver(event, delivery_id="delivery-1")
    assert (first.json(), again.json()) == ({"status": "accepted"}, {"status": "duplicate"})
    assert again.status_code == 200  # Prospero must not retry it

    watching.clock.advance(5)
    watching.step()
    assert len(watching.event_lists()) == 1
    reread = watching.of("reread.done")
    assert [done["deliveries"] for done in reread] == [1]
    assert len(watching.of("drift.found")) == 1


def test_a_burst_of_deliveries_for_one_scope_is_read_once(watching: Watched):
    watching.step()
    event = moved(watching)
    for _ in range(5):
        assert watching.deliver(event).status_code == 200
        watching.clock.advance(1)
        watching.step()
    assert watching.event_lists() == []

    watching.clock.advance(5)
    watching.step()
    assert len(watching.event_lists()) == 1
    assert [done["deliveries"] for done in watching.of("reread.done")] == [5]
    assert len(watching.of("drift.found")) == 1


def test_a_drift_already_told_is_not_told_again_by_the_next_sweep_or_delivery(
    watching: Watched,
):
    watching.step()
    event = moved(watching)
    watching.deliver(event)
    watching.clock.advance(5)
    watching.step()
    watching.deliver(event)  # Prospero's retry of a delivery it thought lost: a new id
    watching.clock.advance(900)
    watching.step()  # the sweep, and the re-read

    assert len(watching.of("sweep.done")) == 2
    assert len(watching.of("reread.done")) == 2
    assert len(watching.of("drift.found")) == 1

    # Edited again, to another value: that is new drift, told.
    watching.colleague_edits("gala", capacity=150)
    watching.clock.advance(900)
    watching.step()
    told = watching.of("drift.found")
    assert len(told) == 2
    assert [field["field"] for field in told[1]["fields"]] == ["start", "end", "capacity"]


def test_an_unreadable_delivery_still_rereads_the_whole_window(watching: Watched):
    watching.step()
    moved(watching)
    answer = watching.deliver(body=b"{not json")
    assert answer.status_code == 200
    watching.clock.advance(5)
    watching.step()
    (done,) = watching.of("reread.done")
    assert done["window"] is None
    assert len(watching.event_lists()) == 1
    assert [found["address"] for found in watching.of("drift.found")] == ["events.gala"]


def test_a_delivery_for_an_event_that_is_not_ours_reads_nothing(watching: Watched):
    watching.step()
    (unmanaged, *_) = watching.http.get(
        "/prospero/events", headers={"Authorization": "Bearer sandbox-prospero-token"}
    ).json()["events"]
    assert "reconciler_key" not in (unmanaged.get("customFields") or {})
    watching.repo.forget_requests()
    watching.deliver(unmanaged)
    watching.clock.advance(5)
    watching.step()
    assert watching.event_lists() == []
    assert watching.of("reread.done") == []


def test_a_wrong_token_is_not_found_and_does_no_work(watching: Watched):
    watching.step()
    event = moved(watching)
    answer = watching.deliver(event, token="guessed-token-0123456789")
    assert answer.status_code == 404
    watching.clock.advance(5)
    watching.step()
    assert watching.event_lists() == []
    assert watching.of("drift.found") == []
    metrics = watching.http.get(f"{watching.origin}/metrics").text
    assert 'reconciler_webhooks_rejected_total{provider="prospero"} 1.0' in metrics
    assert 'reconciler_webhooks_received_total{provider="prospero"} 0.0' in metrics


def test_the_sweep_catches_an_edit_no_delivery_told(watching: Watched):
    watching.step()
    watching.colleague_edits("brunch", title="Spring Brunch (moved indoors)")
    watching.clock.advance(899)
    watching.step()
    assert watching.of("drift.found") == []  # not yet time for the sweep

    watching.clock.advance(1)
    watching.step()
    (found,) = watching.of("drift.found")
    assert (found["address"], found["via"]) == ("events.brunch", "sweep")
    assert found["fields"][0]["remote"] == "Spring Brunch (moved indoors)"


def test_drift_undone_remotely_is_told_as_resolved(watching: Watched):
    watching.step()
    watching.colleague_edits("brunch", title="Brunch")
    watching.clock.advance(900)
    watching.step()
    watching.colleague_edits("brunch", title="Spring Brunch")
    watching.clock.advance(900)
    watching.step()
    (resolved,) = watching.of("drift.resolved")
    assert resolved["address"] == "events.brunch"


def test_a_deleted_event_is_found_missing_from_its_window(watching: Watched):
    watching.step()
    last = watching.event("gala")
    deleted = watching.http.request(
        "DELETE", "/prospero/events", json={"ids": [last["id"]]}, headers=BEARER
    )
    assert deleted.status_code == 204
    watching.repo.forget_requests()
    watching.deliver(last, kind="event.deleted")
    watching.clock.advance(5)
    watching.step()
    assert len(watching.event_lists()) == 1
    (found,) = watching.of("drift.found")
    assert (found["address"], found["status"]) == ("events.gala", "missing")


def test_a_storm_past_the_inbox_limit_is_held_as_one_whole_read(
    watching: Watched, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(loop, "INBOX_LIMIT", 3)
    watching.step()
    event = moved(watching)
    for _ in range(10):
        assert watching.deliver(event).status_code == 200
    assert watching.watcher.waiting == 0, "past the limit, none is kept one by one"
    watching.clock.advance(5)
    watching.step()
    (done,) = watching.of("reread.done")
    assert done["window"] is None
    assert len(watching.event_lists()) == 1
    assert [found["address"] for found in watching.of("drift.found")] == ["events.gala"]

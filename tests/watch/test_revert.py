"""`--on-drift revert`: a colleague's edit put back through the plan, lock and journal of
`reconciler apply`, with one request that sends only what moved."""

from __future__ import annotations

import json

import pytest

from reconciler.cli.watching import load_scopes
from reconciler.sandbox.faults import Fault
from tests.watch.conftest import SCHEDULE, Watched


@pytest.fixture
def on_drift() -> str:
    return "revert"


def test_revert_puts_a_colleagues_move_back_with_one_patch_of_the_moved_fields(
    watching: Watched,
):
    watching.step()
    event = watching.colleague_edits("gala", capacity=120)
    watching.repo.forget_requests()

    watching.deliver(event)
    watching.clock.advance(5)
    watching.step()

    (patch,) = watching.repo.writes()
    assert patch.method == "PATCH"
    assert patch.path.endswith(f"/events/{event['id']}")
    assert patch.body == {"capacity": 200}
    assert watching.event("gala")["capacity"] == 200
    (reverted,) = watching.of("drift.reverted")
    assert reverted["applied"] == ["events.gala"]
    # The apply's journal holds the write, as `reconciler apply` records it.
    journaled = [json.loads(line) for line in watching.journal.read_text().splitlines()]
    assert any(entry.get("address") == "events.gala" for entry in journaled)
    # Read again after the write: back in sync, and said so once.
    assert [done["address"] for done in watching.of("drift.resolved")] == ["events.gala"]

    watching.clock.advance(900)
    watching.step()
    assert len(watching.repo.writes()) == 1, "nothing more to put back"
    assert len(watching.of("drift.found")) == 1


def test_a_difference_already_there_at_start_is_reported_and_never_reverted(watching: Watched):
    # Out of sync before watch started: it may be a change made in git and not applied yet.
    watching.colleague_edits("brunch", title="Brunch")
    watching.repo.forget_requests()
    watching.step()
    (found,) = watching.of("drift.found")
    assert found["address"] == "events.brunch"
    watching.clock.advance(900)
    watching.step()
    assert watching.repo.writes() == []
    assert watching.of("drift.reverted") == []


def test_a_moved_event_is_put_back_where_it_was_declared(watching: Watched):
    watching.step()
    event = watching.colleague_edits(
        "gala", start="2027-03-10T19:00:00Z", end="2027-03-11T00:00:00Z"
    )
    watching.repo.forget_requests()
    watching.deliver(event)
    watching.clock.advance(5)
    watching.step()
    (patch,) = watching.repo.writes()
    assert patch.body == {"start": "2027-03-10T18:00:00Z", "end": "2027-03-10T23:00:00Z"}


def test_a_stop_asked_while_a_revert_is_in_flight_lets_it_finish_and_journal_it(
    watching: Watched,
):
    watching.step()
    event = watching.colleague_edits("gala", capacity=120)
    # The PATCH is refused once with a Retry-After; SIGTERM's stop arrives during that wait.
    watching.repo.sandbox.faults.add(
        Fault(kind="status", path="^/prospero/events/", method="PATCH", status=429, retry_after=2)
    )
    watching.clock.on_sleep = lambda _: watching.watcher.stop()
    watching.deliver(event)
    watching.clock.advance(5)

    watching.watcher.run()  # returns once the work in hand is done

    assert watching.clock.waits_for("retry") == [2.0]  # the Retry-After, exactly
    assert watching.event("gala")["capacity"] == 200
    outcomes = [json.loads(line) for line in watching.journal.read_text().splitlines()]
    assert [entry["event"] for entry in outcomes if entry.get("address") == "events.gala"][-2:] == [
        "applied",
        "verified",
    ]
    assert [reverted["applied"] for reverted in watching.of("drift.reverted")] == [["events.gala"]]
    metrics = watching.watcher.metrics.exposition().decode()
    assert 'reconciler_api_rate_limited_total{api="prospero"} 1.0' in metrics


def test_a_configuration_read_again_is_never_applied_by_watch(watching: Watched):
    watching.step()
    # A change made in git and not applied yet, then SIGHUP.
    watching.repo.write("schedule.yaml", SCHEDULE.replace("capacity: 200", "capacity: 250"))
    metrics = watching.watcher.metrics
    watching.watcher.reload = lambda: load_scopes(
        [watching.repo.root], on_drift="revert", metrics=metrics
    )
    watching.watcher.ask_reload()
    watching.step()

    assert [event["event"] for event in watching.events][-3:] == [
        "config.reloaded",
        "sweep.done",
        "drift.found",
    ]
    (found,) = watching.of("drift.found")
    assert found["fields"] == [
        {"field": "capacity", "remote": 200, "declared": 250, "direction": "remote"}
    ]
    assert watching.repo.writes() == [], "the change reaches the schedule through apply only"

    # From then on the new declaration is the reference: a colleague's edit is put back to it.
    event = watching.colleague_edits("brunch", title="Brunch")
    watching.repo.forget_requests()
    watching.deliver(event)
    watching.clock.advance(5)
    watching.step()
    (patch,) = watching.repo.writes()
    assert patch.body == {"title": "Spring Brunch"}


def test_a_revert_that_failed_is_tried_again_at_the_next_sweep(watching: Watched):
    watching.step()
    event = watching.colleague_edits("gala", capacity=120)
    watching.repo.sandbox.faults.add(
        Fault(kind="status", path="^/prospero/events/", method="PATCH", status=422)
    )
    watching.deliver(event)
    watching.clock.advance(5)
    watching.step()
    (failed,) = watching.of("revert.failed")
    assert [entry["address"] for entry in failed["failed"]] == ["events.gala"]
    assert watching.event("gala")["capacity"] == 120

    watching.clock.advance(900)
    watching.step()
    assert [done["applied"] for done in watching.of("drift.reverted")] == [["events.gala"]]
    assert watching.event("gala")["capacity"] == 200
    assert len(watching.of("drift.found")) == 1, "told once, however many tries"


def test_an_object_the_yaml_on_disk_now_declares_otherwise_is_not_reverted(watching: Watched):
    """A merged change applied by CI before watch read it again is not undone."""
    watching.step()
    watching.repo.write("schedule.yaml", SCHEDULE.replace("capacity: 200", "capacity: 120"))
    event = watching.colleague_edits("gala", capacity=120)  # as CI's apply of the merge does
    watching.repo.forget_requests()
    watching.deliver(event)
    watching.clock.advance(5)
    watching.step()

    assert watching.repo.writes() == []
    (refused,) = watching.of("revert.refused")
    assert refused["addresses"] == ["events.gala"]
    assert (
        "declares events.gala otherwise than when watch read it: send SIGHUP" in (refused["reason"])
    )

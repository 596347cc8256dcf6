"""The receiver's memory and the coalescing of deliveries: bounded, and on the injected clock."""

from __future__ import annotations

from reconciler.watch.debounce import Debouncer
from reconciler.watch.deliveries import SeenDeliveries, read_delivery
from tests.fixtures.clock import FakeClock


def test_delivery_ids_are_remembered_within_their_time_and_their_number():
    seen = SeenDeliveries(capacity=3, ttl=60)
    assert [seen.first_time(name) for name in ("a", "b", "a")] == [True, True, False]
    for name in ("c", "d", "e"):
        seen.first_time(name)
    assert len(seen) == 3, "the oldest ids make room"
    assert seen.first_time("a") is True


def test_a_delivery_id_is_forgotten_once_no_retry_can_come(clock: FakeClock):
    seen = SeenDeliveries(ttl=60)
    seen.first_time("a")
    clock.advance(59)
    assert seen.first_time("a") is False
    clock.advance(61)
    assert seen.first_time("a") is True


def test_windows_of_one_scope_are_joined_and_read_after_the_quiet_time():
    debouncer = Debouncer(quiet=5, longest=30)
    debouncer.ask("london", (100.0, 200.0), at=0)
    debouncer.ask("london", (150.0, 400.0), at=3)
    debouncer.ask("paris", (10.0, 20.0), at=4)
    assert debouncer.due(7) == []
    assert debouncer.next_due() == 8
    (london,) = debouncer.due(8)
    assert (london.scope, london.span, london.deliveries) == ("london", (100.0, 400.0), 2)
    (paris,) = debouncer.due(9)
    assert paris.span == (10.0, 20.0)


def test_a_steady_stream_of_deliveries_is_read_after_the_longest_wait():
    debouncer = Debouncer(quiet=5, longest=30)
    for second in range(0, 30, 2):
        debouncer.ask("london", (0.0, 1.0), at=second)
        assert debouncer.due(second) == []
    (due,) = debouncer.due(30)
    assert due.deliveries == 15


def test_one_unreadable_delivery_makes_the_scope_read_whole():
    debouncer = Debouncer(quiet=5)
    debouncer.ask("london", (0.0, 1.0), at=0)
    debouncer.ask("london", None, at=1)
    debouncer.ask("london", (5.0, 6.0), at=2)
    (due,) = debouncer.due(10)
    assert due.span is None


def test_a_body_that_is_not_a_prospero_delivery_names_no_event():
    assert read_delivery(b"[1, 2]").event is None
    assert read_delivery(b'{"id": "d-1", "type": "booking.created", "data": {}}').id == "d-1"
    assert (
        read_delivery(b'{"id": "d-1", "type": "event.updated", "data": {"event": {}}}').event
        is None
    )
    good = read_delivery(
        b'{"id": "d-2", "type": "event.deleted", "data": {"event": {"id": "e-1"}}}'
    )
    assert (good.id, good.type, dict(good.event or {})) == ("d-2", "event.deleted", {"id": "e-1"})


def test_a_scopes_sessions_and_events_wait_apart():
    debouncer = Debouncer(quiet=5)
    debouncer.ask("london", (0.0, 1.0), at=0)
    debouncer.ask("london", None, at=1, kind="sessions")
    events, sessions = sorted(debouncer.due(10), key=lambda due: due.kind)
    assert (events.kind, events.span, events.deliveries) == ("events", (0.0, 1.0), 1)
    assert (sessions.kind, sessions.span, sessions.deliveries) == ("sessions", None, 1)

"""Window walks against a server that cuts its answers short: every object is found.

The peer here is a list of objects answered the way a windowed list API would (objects
overlapping the window, inclusive ends, cut at a cap in some order); the walk is the real one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from reconciler.errors import ResponseError
from reconciler.providers.listing import (
    Answer,
    CutOffGuess,
    WindowWalk,
    epoch_of,
    split_point,
)

DAY = 86_400.0
START, END = 1_800_000_000.0, 1_800_000_000.0 + 3_650 * DAY  # a decade


@dataclass
class WindowedList:
    """Objects `(id, start, end)` listed by window, cut at `cap` in the order `order` gives."""

    objects: list[tuple[str, float, float]]
    cap: int | None = None
    order: Callable[[list[tuple[str, float, float]]], list[tuple[str, float, float]]] = sorted
    windows: list[tuple[float, float]] = field(default_factory=list)

    def fetch(self, low: float, high: float) -> Answer[str]:
        self.windows.append((low, high))
        chosen = [o for o in self.objects if o[1] <= high and o[2] >= low]
        chosen = self.order(sorted(chosen, key=lambda o: o[1]))[: self.cap]
        return {ident: (start, ident) for ident, start, _ in chosen}


def hourly(count: int, *, every: float = 3 * DAY) -> list[tuple[str, float, float]]:
    starts = [START + DAY + n * every for n in range(count)]
    return [(f"e{n}", start, start + 3600) for n, start in enumerate(starts)]


def walk(peer: WindowedList, guess: CutOffGuess) -> WindowWalk[str]:
    return WindowWalk(fetch=peer.fetch, guess=guess, provider="prospero", endpoint="GET /events")


def shuffled(objects: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    return random.Random(7).sample(objects, len(objects))


@pytest.mark.parametrize(
    "order",
    [sorted, lambda objects: objects[::-1], shuffled],
    ids=["earliest-first", "latest-first", "any-order"],
)
def test_a_silently_capped_list_is_listed_whole_whatever_order_the_cap_keeps(
    order: Callable[[list[tuple[str, float, float]]], list[tuple[str, float, float]]],
) -> None:
    """api-contract.md, Prospero: GET /events [doc] returns the events overlapping the window;
    a server may cut an answer at a limit no page documents, in any order: narrowing the
    windows whose answer looks cut off finds every event, in O(events / cap) requests."""
    peer = WindowedList(hourly(200), cap=20, order=order)
    guess = CutOffGuess(candidates={20})  # what the unwindowed list answered
    found = walk(peer, guess).run(START, END)
    assert sorted(found) == sorted(ident for ident, _, _ in peer.objects)
    assert guess.caps == {20}
    assert len(peer.windows) <= 4 * 200 // 20 + 4


def test_an_answer_reaching_the_page_size_asked_for_is_split() -> None:
    """api-contract.md, Prospero: GET /events [model] `limit`: a server honouring the page size
    but not `total` answers exactly that many; such an answer is split."""
    peer = WindowedList(hourly(12), cap=5)
    found = walk(peer, CutOffGuess(limit=5)).run(START, END)
    assert len(found) == 12


def test_an_answer_larger_than_the_page_size_shows_the_size_is_ignored() -> None:
    """api-contract.md, Prospero: GET /events [doc] takes no page size: a server answering more
    than was asked for ignores it, and the answer is not split for it."""
    peer = WindowedList(hourly(7))
    guess = CutOffGuess(limit=5)
    assert len(walk(peer, guess).run(START, END)) == 7
    assert guess.limit is None
    assert len(peer.windows) == 1


def test_a_size_that_is_no_cap_is_tested_once_then_trusted() -> None:
    """api-contract.md, Prospero: GET /events [doc]: an answer as large as the unwindowed list
    may be a cap; one split that finds nothing new shows it is not, and later windows of that
    size are trusted."""
    peer = WindowedList(hourly(4))
    guess = CutOffGuess(candidates={4})
    assert len(walk(peer, guess).run(START, END)) == 4
    assert len(peer.windows) == 3 and guess.candidates == set() and guess.caps == set()
    assert len(walk(peer, guess).run(START, END)) == 4
    assert len(peer.windows) == 4


def test_objects_all_under_way_at_one_instant_are_not_split_forever() -> None:
    """api-contract.md, Prospero: GET /events [doc] includes events that start before the window
    and end after it: long events overlap every half, which proves nothing; the walk stops."""
    long_ones = [(f"l{n}", START - DAY, END + DAY) for n in range(3)]
    peer = WindowedList(long_ones)
    assert len(walk(peer, CutOffGuess(candidates={3})).run(START, END)) == 3
    assert len(peer.windows) == 3


def test_more_objects_at_one_second_than_the_server_answers_is_an_error() -> None:
    """api-contract.md, Prospero: GET /events [doc]: when more events than a known cap start in
    the same second, no window can list them all: the walk says so rather than lose some."""
    crowded = [(f"c{n}", START + DAY, START + DAY + 60) for n in range(5)] + hourly(3)
    peer = WindowedList(crowded, cap=4)
    with pytest.raises(ResponseError) as raised:
        walk(peer, CutOffGuess(caps={4})).run(START, END)
    assert "the list cannot be completed" in str(raised.value)
    assert "GET /events" in str(raised.value)


def test_the_split_falls_between_the_starts_an_answer_shows() -> None:
    """api-contract.md, Prospero: Dates [doc]: instants are `YYYY-MM-DDThh:mm:ssZ` or a date;
    windows are split in whole seconds, between the starts a cut answer shows."""
    answer: Answer[str] = {"a": (START + 10 * DAY, "a"), "b": (START + 20 * DAY, "b")}
    assert split_point(START, END, answer) == START + 15 * DAY
    assert split_point(START, START + 100, {}) == START + 50
    assert split_point(START, START + 100, {"a": (START + 99, "a")}) == START + 99
    assert epoch_of("2027-01-04") == epoch_of("2027-01-04T00:00:00Z")
    assert epoch_of("not a date") is None and epoch_of(None) is None

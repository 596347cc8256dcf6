"""The sandbox's document store: filtered pages stay right as documents change.

A walk asks the same filter once per page, so the store remembers which documents match until
the next write; these tests write between page reads, from the same connection and from another
one on the same file (another process), and read every change.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.store import Store


def _fill(store: Store, count: int) -> None:
    store.insert_many(
        "things",
        [(f"t{n}", {"n": n, "team": "north" if n % 2 else "south"}) for n in range(count)],
    )


def _walk(store: Store, size: int) -> list[int]:
    seen: list[int] = []
    offset = 0
    while True:
        page = store.query("things", where={"team": "north"}, limit=size, offset=offset)
        seen.extend(document["n"] for document in page.documents)
        offset += size
        if offset >= page.total:
            return seen


def test_pages_of_a_filter_cover_every_match_once_in_order() -> None:
    store = Store()
    _fill(store, 95)
    assert _walk(store, 10) == [n for n in range(95) if n % 2]


def test_a_write_between_page_reads_is_seen_by_the_next_page() -> None:
    store = Store()
    _fill(store, 20)
    first = store.query("things", where={"team": "north"}, limit=5, offset=0)
    assert first.total == 10
    store.insert("things", "extra", {"n": 100, "team": "north"})
    second = store.query("things", where={"team": "north"}, limit=5, offset=5)
    assert second.total == 11
    assert [document["n"] for document in second.documents] == [11, 13, 15, 17, 19]
    store.replace("things", "t1", {"n": 1, "team": "south"})
    assert store.query("things", where={"team": "north"}).total == 10
    assert store.delete("things", "t3")
    assert store.query("things", where={"team": "north"}).total == 9


def test_a_write_from_another_connection_on_the_file_is_seen(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.db")
    reader, writer = Store(path), Store(path)
    try:
        _fill(writer, 10)
        assert reader.query("things", where={"team": "north"}).total == 5
        writer.insert("things", "extra", {"n": 100, "team": "north"})
        assert reader.query("things", where={"team": "north"}).total == 6
    finally:
        reader.close()
        writer.close()


def test_a_document_with_an_integer_beyond_64_bits_still_reads() -> None:
    store = Store()
    store.insert("things", "big", {"n": 2**70})
    assert store.get("things", "big") == {"n": 2**70}
    assert store.query("things").documents == [{"n": 2**70}]


def test_a_remembered_answer_lasts_until_the_next_write(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "sandbox.db"))
    _fill(store, 4)
    computed: list[int] = []

    def count() -> list[int]:
        computed.append(store.count("things"))
        return computed[-1:]

    assert store.remember(("count",), count) == [4]
    assert store.remember(("count",), count) == [4] and len(computed) == 1
    store.insert_many("things", [(f"x{n}", {"n": n}) for n in range(2)])
    assert store.remember(("count",), count) == [6]
    other = Store(str(tmp_path / "sandbox.db"))  # another process's connection, on the file
    other.insert("things", "y", {"n": 9})
    assert store.remember(("count",), count) == [7] and len(computed) == 3


def test_between_keeps_the_values_in_an_inclusive_range() -> None:
    store = Store()
    _fill(store, 10)
    page = store.query("things", between={"n": (3, 5)})
    assert [document["n"] for document in page.documents] == [3, 4, 5]

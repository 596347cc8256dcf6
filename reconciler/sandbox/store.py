"""SQLite persistence shared by the three emulators.

Every emulated object is one JSON document in one table, addressed by (collection, id). The
emulators own the shape of their documents; the store only keeps them, filters them with
`json_extract` and pages them in insertion order (or by a JSON field), so that a restart of
`reconciler sandbox --db FILE` finds every object where it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

Document = dict[str, Any]

_IN_CHUNK = 500  # seq numbers per `IN (...)`: well under SQLite's limit on bound parameters
# A served sandbox and a `--sandbox` run share one file (WAL: readers never wait). A writer waits
# this long for the other process's write, e.g. a bulk create, before SQLite says "locked".
BUSY_TIMEOUT = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    UNIQUE (collection, id)
);
-- Pages walk one collection in insertion order: without this index each page sorts every row.
CREATE INDEX IF NOT EXISTS documents_collection_seq ON documents (collection, seq);
CREATE TABLE IF NOT EXISTS settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True, kw_only=True)
class Page:
    """One slice of a filtered collection, with the size of the whole filtered collection."""

    total: int
    documents: list[Document]


def json_path(dotted: str) -> str:
    """Turn `customFields.reconciler_key` into the SQLite JSON path `$."customFields"."..."`."""
    parts = dotted.split(".")
    return "$" + "".join('."' + part.replace('"', '""') + '"' for part in parts)


class Store:
    """A thread-safe document store over one SQLite connection (a file or `:memory:`)."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        # One connection serialised by a lock: the sandbox serves from one event loop, and tests
        # may reach the same store from helper threads.
        self._connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
        )
        self._lock = threading.RLock()
        # Which documents match a filter, in order, until the next write: a list walk asks the
        # same question once per page, and answering it means a json_extract over every document.
        self._writes = 0
        self._matches: dict[tuple[object, ...], list[Any]] = {}
        self._matches_as_of: tuple[int, int] = (-1, -1)
        with self._lock:
            if path != ":memory:":
                self._connection.execute("PRAGMA journal_mode=WAL")
                self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes so they land all together or not at all (bulk create).

        IMMEDIATE: the write lock is taken (waited for) up front, so a transaction that reads
        before it writes cannot fail half-way because another process wrote meanwhile."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    # -- documents ---------------------------------------------------------------------------

    def insert(self, collection: str, id: str, document: Document) -> None:
        self.insert_many(collection, [(id, document)])

    def insert_many(self, collection: str, documents: Sequence[tuple[str, Document]]) -> None:
        self._write(
            "INSERT INTO documents (collection, id, body) VALUES (?, ?, ?)",
            [(collection, id, _dump(document)) for id, document in documents],
        )

    def replace(self, collection: str, id: str, document: Document) -> None:
        """Overwrite an existing document, keeping its place in insertion order."""
        self._write(
            "UPDATE documents SET body = ? WHERE collection = ? AND id = ?",
            [(_dump(document), collection, id)],
        )

    def get(self, collection: str, id: str) -> Document | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT body FROM documents WHERE collection = ? AND id = ?", (collection, id)
            ).fetchone()
        return None if row is None else _load(row[0])

    def delete(self, collection: str, id: str) -> bool:
        return self._write(
            "DELETE FROM documents WHERE collection = ? AND id = ?", [(collection, id)]
        ) > 0

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> int:
        """Run a statement once per row and return the rows changed.

        Every document write goes through here, so that remembered filter matches expire.
        """
        with self._lock:
            cursor = self._connection.executemany(sql, rows)
            self._writes += 1
        return cursor.rowcount

    def count(self, collection: str) -> int:
        with self._lock:
            row = self._connection.execute(
                "SELECT COUNT(*) FROM documents WHERE collection = ?", (collection,)
            ).fetchone()
        return int(row[0])

    def query(
        self,
        collection: str,
        *,
        where: Mapping[str, object] | None = None,
        order_by: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
        between: Mapping[str, tuple[object, object]] | None = None,
    ) -> Page:
        """Filter by JSON field equality, order by JSON fields (ascending when True), then page.

        `where` maps a dotted field path to the value it must equal; the value is compared as
        SQLite sees the JSON value (text, integer, real; booleans are 0/1). `between` maps a
        path to the inclusive range its value must fall in (a cheap first cut of a filter
        SQLite cannot express, such as a window over instants in each document's own zone).
        """
        clauses = ["collection = ?"]
        params: list[object] = [collection]
        for field, (low, high) in (between or {}).items():
            clauses.append("json_extract(body, ?) BETWEEN ? AND ?")
            params.extend([json_path(field), low, high])
        for field, value in (where or {}).items():
            if value is None:
                clauses.append("json_type(body, ?) IS NULL OR json_type(body, ?) = 'null'")
                params.extend([json_path(field), json_path(field)])
                continue
            clauses.append("json_extract(body, ?) = ?")
            params.extend([json_path(field), int(value) if isinstance(value, bool) else value])
        condition = " AND ".join(f"({clause})" for clause in clauses)
        ordering = ", ".join(
            f"json_extract(body, ?) {'ASC' if ascending else 'DESC'}" for _, ascending in order_by
        )
        order_params = [json_path(field) for field, _ in order_by]
        order_sql = f"ORDER BY {ordering + ', ' if ordering else ''}seq ASC"
        with self._lock:
            matching = self._matching(
                f"SELECT seq FROM documents WHERE {condition} {order_sql}", [*params, *order_params]
            )
            chosen = matching[offset : None if limit is None else offset + limit]
            bodies: dict[int, str] = {}
            for start in range(0, len(chosen), _IN_CHUNK):
                part = chosen[start : start + _IN_CHUNK]
                marks = ",".join("?" * len(part))
                bodies.update(
                    self._connection.execute(
                        f"SELECT seq, body FROM documents WHERE seq IN ({marks})", part
                    ).fetchall()
                )
        return Page(total=len(matching), documents=[_load(bodies[seq]) for seq in chosen])

    def remember(self, key: tuple[object, ...], compute: Callable[[], list[Any]]) -> list[Any]:
        """`compute()`, remembered under `key` until the data changes: a list walk asks an
        emulator the same question once per page (a window over instants SQLite cannot read)."""
        with self._lock:
            remembered = self._remembered()
            if ("remember", *key) not in remembered:
                remembered["remember", *key] = compute()
            return remembered["remember", *key]

    def _matching(self, sql: str, params: list[object]) -> list[int]:
        """The matching documents' seq numbers in order, remembered until the data changes."""
        remembered = self._remembered()
        key = (sql, *params)
        found = remembered.get(key)
        if found is None:
            found = [int(row[0]) for row in self._connection.execute(sql, params)]
            remembered[key] = found
        return found

    def _remembered(self) -> dict[tuple[object, ...], list[Any]]:
        """What is remembered, emptied first if the data changed since.

        `data_version` moves when another connection (another process on the same file) commits;
        `_writes` when this one writes.
        """
        version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        if self._matches_as_of != (self._writes, version):
            self._matches.clear()
            self._matches_as_of = (self._writes, version)
        return self._matches

    # -- settings: small named values (seed markers, counters) ---------------------------------

    def get_setting(self, name: str) -> str | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT value FROM settings WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, name: str, value: str) -> None:
        with self._lock:
            self._connection.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )


def _dump(document: Document) -> str:
    return json.dumps(document, separators=(",", ":"))


def _load(body: str) -> Document:
    try:
        document = orjson.loads(body)  # several times faster than json on a page of documents
    except orjson.JSONDecodeError:  # an integer beyond 64 bits, which only json reads
        document = json.loads(body)
    if not isinstance(document, dict):  # pragma: no cover - the store only writes objects
        raise ValueError("stored document is not an object")
    return document

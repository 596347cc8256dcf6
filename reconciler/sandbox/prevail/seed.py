"""Seed data of the Prevail emulator: the demo organisation's objects, and bulk seeding.

The demo objects are unmanaged (no `reconciler-key:` line in `additional_details`), so a demo
plan leaves them alone. They are written once per store: the `prevail.seeded` setting marks it,
so restarting on the same `--db` file keeps everything and adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from reconciler.sandbox.prevail.errors import PrevailError
from reconciler.sandbox.prevail.records import (
    SESSION_URL,
    SessionBook,
    new_request_id,
    new_session_id,
    session_document,
    timestamp,
)
from reconciler.sandbox.prevail.validation import (
    SEEDED_REQUIRED,
    SessionRequest,
    parse_create,
    parse_session_object,
)
from reconciler.sandbox.store import Document

SEEDED_SETTING: Final = "prevail.seeded"

DEMO_SESSIONS: Final[tuple[dict[str, Any], ...]] = (
    {
        "remote_session_id": "rs_5eed000000000001",
        "state": "ready",
        "title": "Deposition of R. Alvarez",
        "case": "Alvarez v. Northwind Logistics",
        "start_date": "2027-03-15",
        "start_time": "10:00 AM",
        "time_zone": "Eastern Time (US & Canada)",
        "estimated_duration": 3,
        "invites": [
            {"email": "counsel@alvarez-law.test", "access_level": "host"},
            {"email": "reporter@sandbox-court.test", "access_level": "participant"},
        ],
        "deponent": {
            "name": "Rosa Alvarez",
            "email": "r.alvarez@example.test",
            "role": "deponent",
        },
        "session_details": {
            "languages": "English, Spanish",
            "interpreter": "Spanish",
            "additional_details": "Exhibits are shared in advance.",
            "video_provider": "Zoom",
            "session_type": "Deposition",
        },
    },
    {
        "remote_session_id": "rs_5eed000000000002",
        "state": "scheduled",
        "title": "Expert witness preparation",
        "case": "Alvarez v. Northwind Logistics",
        "start_date": "2027-04-02",
        "start_time": "02:30 PM",
        "time_zone": "Pacific Time (US & Canada)",
        "estimated_duration": 1.5,
        "invites": ["expert@forensics.test"],
        "session_details": {"session_type": "Preparation", "interpreter": ""},
    },
)

# The demo organisation's registered accounts: only they can be hosts (Prevail makes any other
# host a participant). The demo's and the examples' hosts are among them.
DEMO_MEMBERS: Final = (
    "counsel@alvarez-law.test",
    "paralegal@chen-law.test",
    "clerk@court.test",
    "counsel@okafor-law.test",
    "host@example.com",
    "clerk@court.example",
)

DEMO_REQUEST: Final[dict[str, Any]] = {
    "request_id": "req_5eed000000000001",
    "session_state": "initial",
    "remote_session_id": None,
    "title": "Deposition of J. Chen",
    "case": "Chen v. Harbor Freight Lines",
    "start_date": "2027-05-10",
    "start_time": "09:00 AM",
    "time_zone": "Central Time (US & Canada)",
    "estimated_duration": 2,
    "invites": [{"email": "paralegal@chen-law.test", "access_level": "host"}],
    "deponent": {"name": "James Chen", "role": "witness"},
    "session_details": {"additional_details": "Awaiting a court reporter."},
}


def seed_demo(book: SessionBook) -> None:
    """Write the demo organisation's objects, once per store."""
    if book.store.get_setting(SEEDED_SETTING):
        return
    now = timestamp(book.clock())
    with book.store.transaction():
        book.insert_sessions([session_from(entry, now=now) for entry in DEMO_SESSIONS])
        book.insert_requests([request_from(DEMO_REQUEST, now=now)])
        book.register(DEMO_MEMBERS)
        book.store.set_setting(SEEDED_SETTING, now)


def seed_bulk(book: SessionBook, body: object) -> dict[str, list[str]]:
    """`{"sessions": [...], "session_requests": [...]}` → the ids written, all or nothing.

    Each entry is either a create body (`{"session_request": {...}}`) or a session in wire shape
    whose server fields (ids, state, timestamps, ...) are kept when given and filled when not.
    Sessions default to `ready`, requests to `initial` without a remote_session_id.
    """
    if not isinstance(body, dict):
        raise PrevailError(
            400,
            'Bad request: send {"sessions": [...], "session_requests": [...]}',
            {"body": ["must be a JSON object"]},
        )
    unknown = [name for name in body if name not in ("sessions", "session_requests")]
    if unknown:
        details = {name: ["is not a permitted field"] for name in unknown}
        raise PrevailError(400, "Bad request: unknown seed field", details)
    now = timestamp(book.clock())
    sessions = [
        session_from(entry, now=now, where=f"sessions[{index}]")
        for index, entry in enumerate(_entries(body, "sessions"))
    ]
    requests = [
        request_from(entry, now=now, where=f"session_requests[{index}]")
        for index, entry in enumerate(_entries(body, "session_requests"))
    ]
    try:
        with book.store.transaction():
            book.insert_sessions(sessions)
            book.insert_requests(requests)
    except Exception as error:  # sqlite3.IntegrityError: an id given twice or already stored
        raise PrevailError(
            422,
            "Validation failed: a remote_session_id or request_id is already taken",
            {"remote_session_id": [str(error)]},
        ) from None
    return {
        "sessions": [document["remote_session_id"] for document in sessions],
        "session_requests": [document["request_id"] for document in requests],
    }


def _entries(body: dict[str, Any], name: str) -> Sequence[Any]:
    entries = body.get(name, [])
    if not isinstance(entries, list):
        raise PrevailError(
            400, f"Bad request: {name} must be an array", {name: ["must be an array"]}
        )
    return entries


def session_from(entry: object, *, now: str, where: str = "session") -> Document:
    """A session document from a seed entry; `where` names the entry in error details."""
    request, given = _parse(entry, where)
    session_id = given.get("remote_session_id") or new_session_id()
    document = session_document(
        request, state="ready", created_at=now, remote_session_id=session_id
    )
    document.update(given)
    if "session_url" not in given:
        document["session_url"] = SESSION_URL.format(id=session_id)
    document["remote_session_id"] = session_id
    return document


def request_from(entry: object, *, now: str, where: str = "session_request") -> Document:
    request, given = _parse(entry, where)
    document = session_document(
        request,
        state="initial",
        created_at=now,
        remote_session_id=None,
        request_id=new_request_id(),
    )
    document.update(given)
    document["request_id"] = given.get("request_id") or document["request_id"]
    session_id = document["remote_session_id"]
    if "session_url" not in given:
        document["session_url"] = None if session_id is None else SESSION_URL.format(id=session_id)
    return document


def _parse(entry: object, where: str) -> tuple[SessionRequest, dict[str, Any]]:
    try:
        if isinstance(entry, dict) and "session_request" in entry:
            return parse_create(entry, required=SEEDED_REQUIRED), {}
        return parse_session_object(entry)
    except PrevailError as error:
        details = {
            f"{where}.{path}" if path else where: notes for path, notes in error.details.items()
        }
        raise PrevailError(error.status, f"{error.message} (in {where})", details) from None

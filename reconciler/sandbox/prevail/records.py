"""Prevail's sessions and session requests as the emulator keeps them, and their life cycle.

Documents are stored in Prevail's wire shape (collections `prevail.sessions`, keyed by
`remote_session_id`, and `prevail.session_requests`, keyed by `request_id`), so a list is a load
and a slice. The one stored field clients never see is `_head`, set only on objects the `churn`
fault puts at the head of the session list. Both collections store the state as `state`; a
session request shows it as `session_state`, the name Prevail's docs give it ("immediately after
submission, `session_state` is assigned the value `initial`").

Hosts [doc]: "If a Host's `email` is not associated with a registered account, the API ignores
the value `host` and assigns `access_level: participant`": the organisation's registered members
are the collection `prevail.members` (seeded, and extended through the admin API), and a create
or an edit that names a non-member as host makes them a participant (an existing invitee keeps
their level). Admin seeding stands for what the account holds already, and is taken as given.

Life cycle: a self-service session starts `ready`; a request starts `initial` and becomes a
`scheduled` session when promoted (the admin route stands in for Prevail staff); `scheduled` and
`ready` sessions can be edited; `initial`, `scheduled` and `ready` ones can be canceled.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from reconciler.sandbox.prevail.errors import PrevailError
from reconciler.sandbox.prevail.participants import Invite
from reconciler.sandbox.prevail.queries import Listing, Pagy, run_listing
from reconciler.sandbox.prevail.validation import SessionEdit, SessionRequest
from reconciler.sandbox.store import Document, Store

SESSIONS: Final = "prevail.sessions"
SESSION_REQUESTS: Final = "prevail.session_requests"
MEMBERS: Final = "prevail.members"  # registered accounts, by lower-case email
SESSION_URL: Final = "https://sandbox.prevail.test/s/{id}"
EDITABLE_STATES: Final = ("scheduled", "ready")
CANCELABLE_STATES: Final = ("initial", "scheduled", "ready")
CANCELED_MESSAGE: Final = "Session successfully canceled."
# How many churned objects sit at the head of the session list; also their `_head` counter.
_HEAD_SETTING: Final = "prevail.sessions.head_inserts"


def new_session_id() -> str:
    return "rs_" + secrets.token_hex(8)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(8)


def timestamp(epoch: float) -> str:
    """Rails' JSON time format: UTC with milliseconds, `2027-03-15T14:00:00.000Z`."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public(document: Document) -> Document:
    """The session as clients see it (without the sandbox's ordering field)."""
    document.pop("_head", None)
    return document


def public_request(document: Document) -> Document:
    """A session request as clients see it: its state under `session_state`, in the same place."""
    return {
        ("session_state" if name == "state" else name): value
        for name, value in public(document).items()
    }


class SessionBook:
    """The organisation's sessions and session requests, over the shared store."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    # -- reading ------------------------------------------------------------------------------

    def list_page(self, collection: str, listing: Listing) -> tuple[Pagy, list[Document]]:
        pagy, documents = run_listing(
            self.store, collection, listing, order_by=self._order(collection)
        )
        show = public_request if collection == SESSION_REQUESTS else public
        return pagy, [show(document) for document in documents]

    def get(self, remote_session_id: str) -> Document:
        document = self.store.get(SESSIONS, remote_session_id)
        if document is None:
            raise _not_found(remote_session_id)
        return public(document)

    def members(self) -> frozenset[str]:
        """The lower-case emails of the organisation's registered accounts."""
        return frozenset(document["email"] for document in self.store.query(MEMBERS).documents)

    def register(self, emails: Iterable[str]) -> list[str]:
        """Register accounts (idempotent); the organisation's members afterwards, sorted."""
        known = self.members()
        new = sorted({email.lower() for email in emails} - known)
        self.store.insert_many(MEMBERS, [(email, {"email": email}) for email in new])
        return sorted(known.union(new))

    def _order(self, collection: str) -> list[tuple[str, bool]]:
        # Ordering by a JSON field costs a sort per page, so only once churn has put objects at
        # the head; until then insertion order (creation order) is the primary key's order.
        if collection == SESSIONS and self.store.get_setting(_HEAD_SETTING):
            return [("_head", False)]
        return []

    # -- writing ------------------------------------------------------------------------------

    def create(self, request: SessionRequest, *, self_service: bool) -> Document:
        """A self-service session (`ready`, ids assigned) or a pending request (`initial`)."""
        now = timestamp(self.clock())
        members = self.members()
        if self_service:
            document = session_document(
                request, state="ready", created_at=now, members=members
            )
            self.store.insert(SESSIONS, document["remote_session_id"], document)
        else:
            document = session_document(
                request,
                state="initial",
                created_at=now,
                remote_session_id=None,
                request_id=new_request_id(),
                members=members,
            )
            self.store.insert(SESSION_REQUESTS, document["request_id"], document)
            return public_request(document)
        return document

    def insert_sessions(self, documents: Sequence[Document]) -> None:
        """Bulk insert (admin seeding): one statement, all or nothing."""
        self.store.insert_many(
            SESSIONS, [(document["remote_session_id"], document) for document in documents]
        )

    def insert_requests(self, documents: Sequence[Document]) -> None:
        self.store.insert_many(
            SESSION_REQUESTS, [(document["request_id"], document) for document in documents]
        )

    def edit(self, remote_session_id: str, edit: SessionEdit) -> Document:
        # The stored document, not the public one: a churned session keeps its `_head`.
        before = self.store.get(SESSIONS, remote_session_id)
        if before is None:
            raise _not_found(remote_session_id)
        if before["state"] not in EDITABLE_STATES:
            note = f"is {before['state']}; only scheduled or ready sessions can be edited"
            raise PrevailError(422, f"Validation failed: the session {note}", {"state": [note]})
        invites = add_invites(before["invites"], edit.invites, members=self.members())
        after = {**before, **edit.fields, "invites": invites}
        if after != before:
            after["updated_at"] = timestamp(self.clock())
            self.store.replace(SESSIONS, remote_session_id, after)
        return public(after)

    def cancel(self, session_id: str) -> Document:
        """Cancel a session by remote_session_id, or a pending request by its request_id."""
        collection = SESSIONS
        document = self.store.get(SESSIONS, session_id)
        if document is None:
            collection = SESSION_REQUESTS
            document = self.store.get(SESSION_REQUESTS, session_id)
        if document is None:
            raise _not_found(session_id)
        if collection == SESSION_REQUESTS and document["state"] == "scheduled":
            note = (
                f"has been scheduled as session {document['remote_session_id']}; cancel it by "
                "that remote_session_id"
            )
            raise PrevailError(422, f"Validation failed: the request {note}", {"state": [note]})
        if document["state"] not in CANCELABLE_STATES:
            note = (
                f"is {document['state']}; only initial, scheduled or ready sessions can be canceled"
            )
            raise PrevailError(422, f"Validation failed: the session {note}", {"state": [note]})
        document["state"] = "canceled"
        document["updated_at"] = timestamp(self.clock())
        self.store.replace(collection, session_id, document)
        return public(document)

    def promote(self, request_id: str) -> Document:
        """Schedule a pending request as Prevail staff would: it becomes a `scheduled` session."""
        request = self.store.get(SESSION_REQUESTS, request_id)
        if request is None:
            raise PrevailError(
                404,
                f"Not found: no session request {request_id!r}",
                {"request_id": ["does not exist"]},
            )
        if request["state"] != "initial":
            note = f"is {request['state']}; only initial requests can be scheduled"
            raise PrevailError(422, f"Validation failed: the request {note}", {"state": [note]})
        session_id = new_session_id()
        request.update(
            remote_session_id=session_id,
            session_url=SESSION_URL.format(id=session_id),
            state="scheduled",
            updated_at=timestamp(self.clock()),
        )
        with self.store.transaction():
            self.store.replace(SESSION_REQUESTS, request_id, request)
            self.store.insert(SESSIONS, session_id, request)
        return request

    def churn(self) -> Document:
        """Put one unmanaged session at the head of the list, as if created by someone else."""
        position = int(self.store.get_setting(_HEAD_SETTING) or "0") + 1
        now = timestamp(self.clock())
        document = {
            **session_document(_walk_in(position), state="ready", created_at=now),
            "_head": position,
        }
        with self.store.transaction():
            self.store.insert(SESSIONS, document["remote_session_id"], document)
            self.store.set_setting(_HEAD_SETTING, str(position))
        return public(document)


def session_document(
    request: SessionRequest,
    *,
    state: str,
    created_at: str,
    remote_session_id: str | None = "",
    request_id: str | None = None,
    members: frozenset[str] | None = None,
) -> Document:
    """The wire shape of a session built from a request (`remote_session_id=""`: a new id).

    `members`: the registered accounts, of which only may be hosts (None: every invitee's
    level as sent, for admin seeding)."""
    session_id = new_session_id() if remote_session_id == "" else remote_session_id
    remote = request.remote_session
    return {
        "remote_session_id": session_id,
        "request_id": request_id,
        "title": remote.get("title"),
        "case": remote.get("case"),
        "start_date": remote.get("start_date"),
        "start_time": remote.get("start_time"),
        "time_zone": remote.get("time_zone"),
        "estimated_duration": remote.get("estimated_duration"),
        "state": state,
        "transcript_status": "not_started",
        "session_url": None if session_id is None else SESSION_URL.format(id=session_id),
        "provider_specific_details": {},
        "invites": add_invites([], request.invites, members=members),
        "deponent": request.deponent,
        "session_details": request.session_details,
        "postback_url": request.postback_url,
        "created_at": created_at,
        "updated_at": created_at,
    }


def add_invites(
    current: Iterable[dict[str, Any]],
    added: Iterable[Invite],
    *,
    members: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """Union by email (case-insensitive): nobody is removed; a stated access_level wins.

    A bare email (no access_level) keeps an existing invitee's level and makes a new one a
    participant, so re-sending the invite list as plain emails never demotes a host. `host`
    for an email that is not one of `members` (when given) is ignored, as if not stated.
    """
    invites = [dict(invite) for invite in current]
    index = {invite["email"].lower(): invite for invite in invites}
    for invite in added:
        level = invite.access_level
        if level == "host" and members is not None and invite.email.lower() not in members:
            level = None
        existing = index.get(invite.email.lower())
        if existing is None:
            entry = {"email": invite.email, "access_level": level or "participant"}
            invites.append(entry)
            index[invite.email.lower()] = entry
        elif level is not None:
            existing["access_level"] = level
    return invites


def _walk_in(position: int) -> SessionRequest:
    return SessionRequest(
        remote_session={
            "title": f"Walk-in consultation #{position}",
            "case": "Walk-in consultations",
            "start_date": "2027-01-04",
            "start_time": "11:00 AM",
            "time_zone": "UTC",
            "estimated_duration": 1,
        },
        invites=(),
        deponent=None,
        session_details={"additional_details": "Booked directly in Prevail."},
        postback_url=None,
    )


def _not_found(session_id: str) -> PrevailError:
    return PrevailError(
        404, f"Not found: no session {session_id!r}", {"remote_session_id": ["does not exist"]}
    )

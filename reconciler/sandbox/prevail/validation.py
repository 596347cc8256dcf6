"""What the Prevail emulator accepts in a body: JSON; a create, an edit, an admin-seeded session.

Shape errors (a body that is not an object, an unknown field, a wrong JSON type) answer 400;
well-typed values that are invalid (a bad date, an unknown time zone, an unknown access level, a
blank title) answer 422. `details` names each field as the session object names it
(`time_zone`, `invites[1].access_level`, `deponent.email`), without the `session_request` /
`remote_session` wrappers; an unknown field is named where it was sent
(`remote_session.colour`).

Field facts from Prevail's docs: `remote_session.case` is required and `estimated_duration` is
not (the docs' own create example leaves it out); `deponent.role` is `deponent` or `witness`;
`session_details.interpreter` is a string naming the languages to interpret (`""` for none); an
older revision of the docs names the invitee list `invite_emails`, in create and edit bodies
alike (`participants.py` reads invitees and the deponent).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.requests import Request

from reconciler.sandbox.prevail.errors import Findings, PrevailError
from reconciler.sandbox.prevail.participants import (
    MAX_SHORT_TEXT,
    Invite,
    deponent_of,
    invite_list,
)
from reconciler.sandbox.prevail.zones import iana_zone

STATES: Final = ("initial", "scheduled", "ready", "active", "canceled")
REMOTE_SESSION_FIELDS: Final = (
    "title",
    "case",
    "start_date",
    "start_time",
    "time_zone",
    "estimated_duration",
)
REQUIRED_FIELDS: Final = frozenset({"title", "case", "start_date", "start_time", "time_zone"})
# Admin seeding stands for what an account already holds, however it was made: only the public
# create demands a case.
SEEDED_REQUIRED: Final = REQUIRED_FIELDS - {"case"}
START_FIELDS: Final = ("start_date", "start_time", "time_zone")
EDITABLE_FIELDS: Final = (*REMOTE_SESSION_FIELDS, "invites", "invite_emails")
SESSION_REQUEST_FIELDS: Final = (
    "invites",
    "invite_emails",
    "deponent",
    "remote_session",
    "session_details",
    "postback_url",
)
SESSION_DETAIL_FIELDS: Final = (
    "languages",
    "interpreter",
    "additional_details",
    "preferred_manager",
    "video_provider",
    "session_type",
)
# Fields the server sets; the admin seed route takes them as given when a test supplies them.
SERVER_FIELDS: Final = (
    "remote_session_id",
    "request_id",
    "state",
    "session_state",
    "transcript_status",
    "session_url",
    "provider_specific_details",
    "created_at",
    "updated_at",
)

MAX_BODY_BYTES: Final = 1 << 20
MAX_DETAILS_TEXT: Final = 10_000
MAX_DURATION_HOURS: Final = 24

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"(0[1-9]|1[0-2]):[0-5][0-9] (AM|PM)")
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


# -- parsed inputs ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SessionRequest:
    """A validated `session_request`: what `POST /sessions` and `/session_requests` carry."""

    remote_session: dict[str, Any]
    invites: tuple[Invite, ...]
    deponent: dict[str, Any] | None
    session_details: dict[str, Any]
    postback_url: str | None


@dataclass(frozen=True, kw_only=True)
class SessionEdit:
    """A validated edit: the `remote_session` fields sent, and invitees to add."""

    fields: dict[str, Any]
    invites: tuple[Invite, ...]


# -- bodies -------------------------------------------------------------------------------------


def json_body(request: Request, raw: bytes) -> tuple[Any, PrevailError | None]:
    """The decoded body, or the problem with it: returned, not raised, so auth is checked first."""
    if not raw.strip():
        return None, None
    if len(raw) > MAX_BODY_BYTES:
        note = f"is too large (maximum is {MAX_BODY_BYTES} bytes)"
        return None, PrevailError(400, f"Bad request: the body {note}", {"body": [note]})
    content_type = request.headers.get("content-type", "")
    if content_type and "json" not in content_type.lower():
        note = "must be application/json"
        return None, PrevailError(
            400, f"Bad request: the Content-Type {note}", {"content_type": [note]}
        )
    try:
        return json.loads(raw, parse_constant=_reject_constant), None
    except (ValueError, RecursionError) as error:
        note = f"is not valid JSON ({error})"
        return None, PrevailError(400, f"Bad request: the body {note}", {"body": [note]})


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and Prevail) does not.
    raise ValueError(f"{name} is not a JSON value")


def parse_create(body: object, *, required: frozenset[str] = REQUIRED_FIELDS) -> SessionRequest:
    """`{"session_request": {...}}` (the `jwt_payload` already removed) → a SessionRequest."""
    findings = Findings()
    if not isinstance(body, dict):
        findings.bad_shape("session_request", "is required: send a JSON object body")
        findings.raise_if_any()
    assert isinstance(body, dict)
    findings.unknown_fields(body, ("session_request",), "")
    payload = body.get("session_request")
    if not isinstance(payload, dict):
        findings.bad_shape("session_request", "is required and must be an object")
        findings.raise_if_any()
    assert isinstance(payload, dict)
    request = _session_request(findings, payload, required=required)
    findings.raise_if_any()
    return request


def parse_edit(body: object) -> SessionEdit:
    """`{"remote_session": {<subset of the editable fields>}}` → a SessionEdit."""
    findings = Findings()
    if not isinstance(body, dict):
        findings.bad_shape("remote_session", "is required: send a JSON object body")
        findings.raise_if_any()
    assert isinstance(body, dict)
    findings.unknown_fields(body, ("remote_session",), "")
    payload = body.get("remote_session")
    if not isinstance(payload, dict):
        findings.bad_shape("remote_session", "is required and must be an object")
        findings.raise_if_any()
    assert isinstance(payload, dict)
    hint = (
        " (only title, case, start_date, start_time, time_zone, estimated_duration and "
        "invites can be edited)"
    )
    findings.unknown_fields(payload, EDITABLE_FIELDS, "remote_session.", hint=hint)
    fields = _remote_session(findings, payload, required=None)
    invites = invite_list(findings, payload)
    sent = [name for name in START_FIELDS if name in payload]
    if sent and len(sent) < len(START_FIELDS):
        for name in START_FIELDS:
            if name not in payload:
                findings.bad_value(
                    name,
                    "is required when changing the start: send start_date, start_time "
                    "and time_zone together",
                )
    findings.raise_if_any()
    return SessionEdit(fields=fields, invites=invites)


def parse_session_object(entry: object) -> tuple[SessionRequest, dict[str, Any]]:
    """A session in wire shape (admin seeding): its request part and the server fields given."""
    findings = Findings()
    if not isinstance(entry, dict):
        findings.bad_shape("", 'must be a session object or {"session_request": {...}}')
        findings.raise_if_any()
    assert isinstance(entry, dict)
    allowed = (
        *REMOTE_SESSION_FIELDS,
        "invites",
        "deponent",
        "session_details",
        "postback_url",
        *SERVER_FIELDS,
    )
    findings.unknown_fields(entry, allowed, "")
    payload: dict[str, Any] = {
        "remote_session": {name: entry[name] for name in REMOTE_SESSION_FIELDS if name in entry},
        **{name: entry[name] for name in SESSION_REQUEST_FIELDS if name in entry},
    }
    request = _session_request(findings, payload, required=SEEDED_REQUIRED)
    given = {name: entry[name] for name in SERVER_FIELDS if name in entry}
    for name in ("remote_session_id", "request_id"):
        value = given.get(name)
        if value is not None and (not isinstance(value, str) or not _ID.fullmatch(value)):
            findings.bad_value(name, "must be 1 to 64 letters, digits, '_', '.' or '-'")
    if "session_state" in given:
        # a request's state, under the name the docs give it; stored as `state`
        if "state" in given:
            findings.bad_shape("session_state", "is the state of a request: send state or it")
        given["state"] = given.pop("session_state")
    if "state" in given and given["state"] not in STATES:
        findings.bad_value("state", f"is not included in the list ({', '.join(STATES)})")
    if "transcript_status" in given and not isinstance(given["transcript_status"], str):
        findings.bad_shape("transcript_status", "must be a string")
    for name in ("created_at", "updated_at"):
        if name in given and not _is_timestamp(given[name]):
            findings.bad_value(name, "must be an ISO 8601 date-time, e.g. 2027-03-15T14:00:00.000Z")
    if given.get("session_url") is not None and not isinstance(given["session_url"], str):
        findings.bad_shape("session_url", "must be a string or null")
    if "provider_specific_details" in given and not isinstance(
        given["provider_specific_details"], dict
    ):
        findings.bad_shape("provider_specific_details", "must be an object")
    findings.raise_if_any()
    return request, given


def _session_request(
    findings: Findings, payload: Mapping[str, Any], *, required: frozenset[str]
) -> SessionRequest:
    findings.unknown_fields(payload, SESSION_REQUEST_FIELDS, "")
    remote = payload.get("remote_session")
    fields: dict[str, Any] = {}
    if remote is None:
        findings.bad_value("remote_session", "can't be blank")
    elif not isinstance(remote, dict):
        findings.bad_shape("remote_session", "must be an object")
    else:
        findings.unknown_fields(remote, REMOTE_SESSION_FIELDS, "remote_session.")
        fields = _remote_session(findings, remote, required=required)
    return SessionRequest(
        remote_session=fields,
        invites=invite_list(findings, payload),
        deponent=deponent_of(findings, payload.get("deponent")),
        session_details=_session_details(findings, payload.get("session_details")),
        postback_url=_postback_url(findings, payload.get("postback_url")),
    )


def _remote_session(
    findings: Findings, source: Mapping[str, Any], *, required: frozenset[str] | None
) -> dict[str, Any]:
    """The fields sent; `required` names those a create must carry (None: an edit)."""
    creating = required is not None
    needed = required if required is not None else REQUIRED_FIELDS
    fields: dict[str, Any] = {}
    for name in REMOTE_SESSION_FIELDS:
        if name not in source:
            if creating and name in needed:
                findings.bad_value(name, "can't be blank")
            elif creating:
                fields[name] = None
            continue
        value = source[name]
        if value is None:
            if name in needed:
                findings.bad_value(name, "can't be blank")
            else:
                fields[name] = None
            continue
        if name == "estimated_duration":
            if _duration(findings, value):
                fields[name] = value
            continue
        if not isinstance(value, str):
            findings.bad_shape(name, "must be a string")
            continue
        if _text_field(findings, name, value):
            fields[name] = value
    return fields


def _text_field(findings: Findings, name: str, value: str) -> bool:
    if name in REQUIRED_FIELDS and not value.strip():
        findings.bad_value(name, "can't be blank")
        return False
    if name == "start_date":
        if not _DATE.fullmatch(value) or not _is_date(value):
            findings.bad_value(name, "must be a date in YYYY-MM-DD format")
            return False
    elif name == "start_time":
        if not _TIME.fullmatch(value):
            findings.bad_value(name, "must be a time in hh:mm AM/PM format, e.g. 09:00 AM")
            return False
    elif name == "time_zone":
        if iana_zone(value) is None:
            findings.bad_value(
                name,
                "is not a known time zone (a Prevail or IANA zone name, or Rails' display "
                "form such as (GMT-05:00) Eastern Time (US & Canada))",
            )
            return False
    elif len(value) > MAX_SHORT_TEXT:
        findings.bad_value(name, f"is too long (maximum is {MAX_SHORT_TEXT} characters)")
        return False
    return True


def _is_timestamp(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _duration(findings: Findings, value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        findings.bad_shape("estimated_duration", "must be a number (hours)")
        return False
    # Huge integers compare exactly; only floats can be NaN or infinite.
    if isinstance(value, float) and not math.isfinite(value):
        findings.bad_value("estimated_duration", "must be a finite number of hours")
        return False
    if value <= 0:
        findings.bad_value("estimated_duration", "must be greater than 0")
        return False
    if value > MAX_DURATION_HOURS:
        findings.bad_value(
            "estimated_duration", f"must be less than or equal to {MAX_DURATION_HOURS}"
        )
        return False
    return True


def _session_details(findings: Findings, value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        findings.bad_shape("session_details", "must be an object")
        return {}
    findings.unknown_fields(value, SESSION_DETAIL_FIELDS, "session_details.")
    for name in SESSION_DETAIL_FIELDS:
        field = value.get(name)
        path = f"session_details.{name}"
        if field is None:
            continue
        if not isinstance(field, str):
            note = (
                ' naming the languages to interpret ("" for none)' if name == "interpreter" else ""
            )
            findings.bad_shape(path, f"must be a string{note}")
            continue
        limit = MAX_DETAILS_TEXT if name == "additional_details" else MAX_SHORT_TEXT
        if len(field) > limit:
            findings.bad_value(path, f"is too long (maximum is {limit} characters)")
    return {name: value[name] for name in SESSION_DETAIL_FIELDS if name in value}


def _postback_url(findings: Findings, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        findings.bad_shape("postback_url", "must be a string")
        return None
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or len(value) > 2048 or any(char.isspace() for char in value):
        findings.bad_value("postback_url", "is not a valid http(s) URL")
        return None
    return value

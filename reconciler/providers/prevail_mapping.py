"""Prevail's sessions and the YAML's fields: listed items read tolerantly, starts, import.

Prevail's public docs name some fields differently from page to page or revision to revision,
and leave some shapes open; the client reads each field under every documented name:

- a request's state is `session_state` (the requests page: "immediately after submission,
  `session_state` is assigned the value `initial`"), a session's is `state`; each is also read
  under the other name;
- the invitee list is `invites`, or `invite_emails` in an older revision of the docs;
- `session_details.interpreter` names the languages to interpret (`""`: none); a boolean
  `false` from an older shape reads as `""`;
- the id is `remote_session_id`; a pending request has none until Prevail staff schedule it
  (our sandbox also gives it a `request_id`, read when present);
- a list answer without `pagy` is read page by page until a page brings nothing new.

Zones in Rails' display form (`(GMT-05:00) Eastern Time (US & Canada)`) are read by
`reconciler.zones`. Each fallback is logged once per run at INFO (`-v`). The identity marker
in `additional_details` is the provider's (`prevail.py`); this module never reads it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime
from datetime import time as time_of_day
from typing import Any

from reconciler.instants import from_utc, iana_zone

log = logging.getLogger(__name__)

# YAML fields Prevail keeps under session_details.
DETAIL_FIELDS = ("session_type", "video_provider", "languages", "interpreter", "preferred_manager")
SESSION_STATE = "state"  # how a session names its state
REQUEST_STATE = "session_state"  # how a session request names its state
_CLOCK = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>[0-5]\d) ?(?P<half>AM|PM)")


class Fallbacks:
    """Logs each kind of fallback once per run: a list of thousands would repeat it."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.seen: set[str] = set()

    def note(self, message: str) -> None:
        if message not in self.seen:
            self.seen.add(message)
            log.info("%s: %s", self.provider, message)


@dataclass(frozen=True, kw_only=True)
class Page:
    """One list answer: its items and, when it has a `pagy` block, the count and page count."""

    items: list[dict[str, Any]]
    count: int | None
    pages: int | None


def state_of(item: Mapping[str, Any], documented: str, fallbacks: Fallbacks) -> str | None:
    """The state under its documented name for this collection, else under the other one."""
    value = item.get(documented)
    if value is None:
        other = REQUEST_STATE if documented == SESSION_STATE else SESSION_STATE
        value = item.get(other)
        if value is not None:
            fallbacks.note(f"read a state from `{other}` (no `{documented}` in the answer)")
    return value if isinstance(value, str) else None


def identifier_of(item: Mapping[str, Any], fallbacks: Fallbacks) -> str | None:
    """`remote_session_id`; for a pending request, the sandbox's `request_id` when present."""
    identifier = item.get("remote_session_id")
    if identifier:
        return str(identifier)
    if item.get("request_id"):
        fallbacks.note("identified a pending request by `request_id` (not in Prevail's docs)")
        return str(item["request_id"])
    return None


def invites_of(item: Mapping[str, Any], fallbacks: Fallbacks) -> list[dict[str, str]]:
    """The invitees under `invites`, or under the older docs' name `invite_emails`."""
    listed = item.get("invites")
    if listed is None and item.get("invite_emails") is not None:
        fallbacks.note("read invitees from `invite_emails` (an older name of `invites`)")
        listed = item.get("invite_emails")
    return normal_invites(listed if isinstance(listed, list) else [])


def details_of(details: Mapping[str, Any], fallbacks: Fallbacks) -> dict[str, Any]:
    """The YAML's session_details fields; an older boolean `interpreter: false` reads as ""."""
    fields = {name: details.get(name) for name in DETAIL_FIELDS}
    if isinstance(fields["interpreter"], bool):
        fallbacks.note("read a boolean `interpreter` (the docs give a string of languages)")
        if fields["interpreter"] is False:
            fields["interpreter"] = ""
    return fields


def normal_invites(items: Sequence[Any]) -> list[dict[str, str]]:
    """Invitees as `{email, access_level}`, one per (lower-case) email, sorted by email."""
    invites: dict[str, dict[str, str]] = {}
    for item in items:
        if isinstance(item, str):
            invites[item.lower()] = {"email": item.lower(), "access_level": "participant"}
        elif isinstance(item, Mapping) and isinstance(item.get("email"), str):
            email = item["email"].lower()
            invites[email] = {
                "email": email,
                "access_level": str(item.get("access_level") or "participant"),
            }
    return [invites[email] for email in sorted(invites)]


def as_prevail_holds(
    fields: Mapping[str, Any], held: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The declared fields with each value Prevail normalises as it holds it (given the session
    as listed, `held`), and why each cannot hold: compared so, and never sent again."""
    settled, notes = dict(fields), list[str]()
    demoted = demoted_hosts(fields.get("invites"), held.get("invites"))
    if demoted:
        settled["invites"] = [{**invite, "access_level": "participant"}
                              if invite["email"] in demoted else invite
                              for invite in fields["invites"]]
        notes.extend(demoted_note(email) for email in demoted)
    minute = to_the_minute(fields.get("start"))
    if minute != fields.get("start") and minute == held.get("start"):
        settled["start"] = minute  # Prevail's 12-hour start_time has no seconds
        notes.append(f"Prevail keeps a start to the minute: {minute} holds, not its seconds")
    return settled, notes


def demoted_hosts(wanted: Any, held: Any) -> list[str]:
    """The declared hosts (normal invitees) that Prevail holds as participants.

    Prevail's docs: "If a Host's email is not associated with a registered account, the API
    ignores the value host and assigns access_level: participant". Such an invitee is that rule,
    not an edit to revert: sending host again would change nothing, on every run. (No documented
    call lists the organisation's members to ask first.)
    """
    if not isinstance(wanted, list) or not isinstance(held, list):
        return []
    levels = {invite["email"]: invite["access_level"] for invite in held}
    return [invite["email"] for invite in wanted
            if invite["access_level"] == "host" and levels.get(invite["email"]) == "participant"]


def demoted_note(email: str) -> str:
    """Why a declared host cannot hold, said once per plan instead of planning the edit."""
    return (
        f"Prevail stored {email} as participant, not host: not a member of the organisation "
        "(Prevail makes a host without a registered account a participant); not sent again: "
        "once they have an account, make them host in Prevail"
    )


def to_the_minute(start: Any) -> Any:
    """A canonical UTC start (`…T13:00:30Z`) without its seconds, as Prevail's 12-hour
    `start_time` holds it; anything else as it is."""
    if isinstance(start, str) and len(start) == 20 and start.endswith("Z"):
        return start[:17] + "00Z"
    return start


def read_page(body: Mapping[str, Any], collection: str, fallbacks: Fallbacks) -> Page | None:
    """The page's items and paging; None when the answer holds no `collection` list."""
    items = body.get(collection)
    if not isinstance(items, list):
        return None
    pagy = body.get("pagy")
    listed = [item for item in items if isinstance(item, dict)]
    if (
        isinstance(pagy, dict)
        and isinstance(pagy.get("pages"), int)
        and isinstance(pagy.get("count"), int)
    ):
        return Page(items=listed, count=pagy["count"], pages=pagy["pages"])
    fallbacks.note(f"/{collection} answered without `pagy`: reading until a page adds nothing")
    return Page(items=listed, count=None, pages=None)


def listed_wall_clock(date: Any, clock: Any) -> datetime:
    """Prevail's `start_date` and 12-hour `start_time` (`09:00 AM`) as a naive datetime."""
    if not isinstance(date, str) or not isinstance(clock, str):
        raise ValueError("session without start_date/start_time")
    # a regular expression rather than strptime: every listed session goes through here
    found = _CLOCK.fullmatch(clock.upper())
    if found is None or not 1 <= int(found["hour"]) <= 12:
        raise ValueError(f"{clock!r} is not a 12-hour time like 09:00 AM")
    hour = int(found["hour"]) % 12 + (12 if found["half"] == "PM" else 0)
    return datetime.combine(date_type.fromisoformat(date), time_of_day(hour, int(found["minute"])))


def prevail_start(start: str, zone: str) -> dict[str, str]:
    """Prevail's start_date / start_time (12-hour) / time_zone for an instant in a zone."""
    local = from_utc(start).astimezone(iana_zone(zone))
    return {
        "start_date": local.strftime("%Y-%m-%d"),
        "start_time": local.strftime("%I:%M %p"),
        "time_zone": zone,
    }


def created_session(body: Any) -> Mapping[str, Any] | None:
    """The session a create answered with: under `session` (our sandbox), bare, or listed."""
    if not isinstance(body, Mapping):
        return None
    for name in ("session", "session_request"):
        wrapped = body.get(name)
        if isinstance(wrapped, Mapping):
            return wrapped
    sessions = body.get("sessions")
    if isinstance(sessions, list) and sessions and isinstance(sessions[0], Mapping):
        first: Mapping[str, Any] = sessions[0]
        return first
    if "remote_session_id" in body or "session_details" in body:
        return body
    return None


def wall_clock_text(utc: str, zone: str) -> str:
    """A canonical UTC instant as the YAML writes a start: wall clock in `zone`, to the minute."""
    return from_utc(utc).astimezone(iana_zone(zone)).strftime("%Y-%m-%dT%H:%M")


def declared_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The YAML fields (all but the key) that declare a session read with these fields."""
    declared: dict[str, Any] = {}
    for name in ("title", "case"):
        if fields.get(name) is not None:
            declared[name] = fields[name]
    zone, start = fields.get("time_zone"), fields.get("start")
    if isinstance(zone, str) and isinstance(start, str):
        declared["start"] = wall_clock_text(start, zone)
        declared["time_zone"] = zone
    if fields.get("duration_hours") is not None:
        declared["duration_hours"] = fields["duration_hours"]
    deponent = fields.get("deponent")
    if isinstance(deponent, Mapping) and deponent.get("name"):
        declared["deponent"] = {k: v for k, v in deponent.items() if v is not None}
    invites = fields.get("invites") or []
    if invites:
        declared["invites"] = [
            invite["email"] if invite["access_level"] == "participant" else dict(invite)
            for invite in invites
        ]
    for name in (*DETAIL_FIELDS, "details"):
        if fields.get(name) is not None:
            declared[name] = fields[name]
    return declared

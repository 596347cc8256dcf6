"""Prevail sessions: HS256 JWTs minted per run, `pagy` pages of 1,000, PATCH edits and cancels.

Prevail has no external id, so the key rides on the last line of
`session_details.additional_details` as `reconciler-key: <key>`, with the scope mark on the line
above it (`reconciler-scope: team-a (protected)`). Prevail never edits additional_details after
scheduling, so a session's marker is written once, when it is scheduled. Prevail edits in place only
title, case, the start (date, time and zone, always sent together), the duration and invitees
(add-only); any other change, or an invitee removed, is a `replace`: cancel, then schedule anew.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import warnings
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime
from datetime import date as date_type
from datetime import time as time_of_day
from typing import Any

import httpx
import jwt
import jwt.warnings

from reconciler.errors import AuthenticationError, ResponseError
from reconciler.instants import canonical_zone, iana_zone, to_utc, wall_clock_utc
from reconciler.model import (
    Action,
    DeclaredObject,
    DesiredObject,
    FieldChange,
    HttpCall,
    ProviderSettings,
    RemoteObject,
)
from reconciler.providers.base import Provider, T, UpdatePlan, as_sent, expect
from reconciler.providers.marker import read_scope_mark

log = logging.getLogger(__name__)

PAGE_MAX = 1000
TOKEN_LIFETIME = 300  # seconds; the contract caps a minted token's life at five minutes
MARKER = "reconciler-key: "
SCOPE_MARKER = "reconciler-scope: "
_CLOCK = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>[0-5]\d) ?(?P<half>AM|PM)")

# YAML fields Prevail keeps under session_details.
DETAIL_FIELDS = ("session_type", "video_provider", "languages", "interpreter", "preferred_manager")
# YAML fields Prevail can change with PATCH /sessions/{id}.
EDITABLE = frozenset({"title", "case", "start", "time_zone", "duration_hours", "invites"})
LIVE_STATES = frozenset({"initial", "scheduled", "ready", "active"})
EDITABLE_STATES = frozenset({"scheduled", "ready"})


class PrevailAuth(httpx.Auth):
    """Signs each request with a short-lived HS256 JWT, re-minted well before it expires."""

    def __init__(self, company_id: str, api_key: str) -> None:
        self._company_id = company_id
        self._api_key = api_key
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        if not self._api_key or not self._company_id:
            raise AuthenticationError("prevail", "company_id and api_key must both be set")
        with self._lock:
            now = time.time()
            if self._token is None or self._expires - now < 60:
                self._expires = int(now) + TOKEN_LIFETIME
                with warnings.catch_warnings():
                    # Prevail issues the key; its length is not ours to choose or to warn about.
                    warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
                    self._token = jwt.encode(
                        {"exp": int(self._expires), "slug": self._company_id},
                        self._api_key,
                        algorithm="HS256",
                    )
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request


class PrevailProvider(Provider):
    name = "prevail"
    kind = "sessions"
    marker_editable = False  # additional_details, where the marker lives, is fixed once scheduled
    probe_path = "sessions"
    probe_params = {"page": "1", "per_page": "1"}
    # A token is re-minted when under a minute of its life is left: a server clock further ahead
    # than that can see it expired on arrival.
    clock_tolerance = 60.0

    @staticmethod
    def auth(settings: ProviderSettings) -> httpx.Auth:
        return PrevailAuth(
            settings.settings.get("company_id", ""), settings.settings.get("api_key", "")
        )

    @property
    def default_via(self) -> str:
        return self.settings.settings.get("default_via", "direct")

    # -- mapping ---------------------------------------------------------------------------------

    def canonical(self, declared: DeclaredObject) -> DesiredObject:
        fields = dict(declared.fields)
        zone = fields.get("time_zone")
        if isinstance(zone, str):
            fields["time_zone"] = canonical_zone(zone)
        if isinstance(fields.get("start"), str):
            fields["start"] = to_utc(fields["start"], zone)
        if isinstance(fields.get("invites"), list):
            fields["invites"] = _invites(fields["invites"])
        fields.pop("postback_url", None)  # sent on create only; Prevail does not return it
        options = declared.options
        return self.desired_object(
            declared,
            fields,
            via=options.via or self.default_via,
            lookup={"postback_url": declared.fields.get("postback_url"),
                    "remote_id": options.remote_id},
            time_zone=zone if isinstance(zone, str) else None,
        )

    def remote(self, session: Mapping[str, Any]) -> RemoteObject | None:
        details = session.get("session_details") or {}
        if not isinstance(details, Mapping):
            return None
        text, key, mark = split_marker(details.get("additional_details"))
        if key is None:
            return None
        scope, protected = read_scope_mark(mark)
        zone_name = session.get("time_zone")
        fields: dict[str, Any] = {
            "title": session.get("title"),
            "case": session.get("case"),
            "duration_hours": session.get("estimated_duration"),
            "deponent": session.get("deponent"),
            "invites": _invites(session.get("invites") or []),
            "details": text,
        }
        fields.update(zip(DETAIL_FIELDS, map(details.get, DETAIL_FIELDS), strict=True))
        if isinstance(zone_name, str):
            try:
                fields["time_zone"] = canonical_zone(zone_name)
                start = listed_wall_clock(session.get("start_date"), session.get("start_time"))
                fields["start"] = wall_clock_utc(start, iana_zone(zone_name))
            except (KeyError, ValueError):
                fields["time_zone"] = zone_name
        identifier = session.get("remote_session_id") or session.get("request_id")
        return RemoteObject(
            kind=self.kind,
            key=key,
            remote_id=str(identifier),
            fields=fields,
            state=session.get("state"),
            updated_at=session.get("updated_at"),
            starts_at=fields.get("start"),
            scope=scope,
            protected=protected,
            created_at=session.get("created_at"),
        )

    # -- refresh ---------------------------------------------------------------------------------

    def refresh(self, desired: Sequence[DesiredObject]) -> list[RemoteObject]:
        # Every live marked session, of every scope and duplicates included: the engine sorts
        # them into this scope's, others' and the extras of a key.
        found = [remote for remote in self.walk("sessions", self.remote)
                 if remote.state in LIVE_STATES]
        # Pending requests are read only when the configuration submits requests at all, so a
        # self-service repository pays one list walk, not two.
        if self.default_via == "request" or any(item.via == "request" for item in desired):
            found.extend(remote for remote in self.walk("session_requests", self.remote)
                         if remote.state == "initial")
        return found

    def list_all(self, collection: str) -> list[dict[str, Any]]:
        """Every item of the collection, as the API sends it."""
        return self.walk(collection, as_sent)

    def walk(self, collection: str, convert: Callable[[dict[str, Any]], T | None]) -> list[T]:
        """Walk every page; walk again (at most twice) if the count changes mid-walk.

        Each item is converted (None: left out) as its page arrives, so that a large walk holds
        the converted objects, not every page as sent.
        """
        for _attempt in range(3):
            items = self._walk(collection, convert)
            if items is not None:
                return items
            log.info("prevail: /%s changed during the walk; walking it again", collection)
        raise ResponseError(
            self.name, f"GET /{collection}", "the list kept changing during the walk; try again"
        )

    def _walk(
        self, collection: str, convert: Callable[[dict[str, Any]], T | None]
    ) -> list[T] | None:
        endpoint = f"GET /{collection}"
        items: dict[str, T] = {}
        read = 0
        page, pages, count = 1, 1, None
        while page <= pages:
            self.list_requests += 1
            response = self.request(
                "GET", collection, params={"page": str(page), "per_page": str(PAGE_MAX)}
            )
            body = self.decode(response, endpoint)
            expect(isinstance(body, dict), self.name, endpoint, "expected a JSON object")
            pagy = body.get("pagy")
            expect(
                isinstance(pagy, dict)
                and isinstance(pagy.get("pages"), int)
                and isinstance(pagy.get("count"), int),
                self.name,
                endpoint,
                "missing `pagy` page information",
            )
            expect(isinstance(body.get(collection), list), self.name, endpoint,
                   f"missing the `{collection}` list")
            if count is not None and pagy["count"] != count:
                return None
            count, pages = pagy["count"], pagy["pages"]
            for item in body[collection]:
                if isinstance(item, dict):
                    ident = item.get("remote_session_id") or item.get("request_id")
                    converted = convert(item)
                    if converted is not None:
                        items[str(ident) if ident else f"#{read}"] = converted
                    read += 1
            self.page_read(read)
            page += 1
        return list(items.values())

    def find(self, key: str) -> RemoteObject | None:
        for collection in ("sessions", "session_requests"):
            for item in self.list_all(collection):
                remote = self.remote(item)
                if (remote is not None and remote.key == key and remote.scope == self.scope
                        and remote.state in LIVE_STATES):
                    return remote
        return None

    # -- writes ----------------------------------------------------------------------------------

    def create_calls(self, desired: DesiredObject) -> tuple[HttpCall, ...]:
        path = "/session_requests" if desired.via == "request" else "/sessions"
        return (
            HttpCall(
                method="POST", path=path, body={"session_request": self.request_body(desired)}
            ),
        )

    def request_body(self, desired: DesiredObject) -> dict[str, Any]:
        fields = desired.fields
        remote_session: dict[str, Any] = {
            name: fields[name] for name in ("title", "case") if fields.get(name) is not None
        }
        if fields.get("duration_hours") is not None:
            remote_session["estimated_duration"] = fields["duration_hours"]
        if isinstance(fields.get("start"), str) and isinstance(fields.get("time_zone"), str):
            remote_session.update(_prevail_start(fields["start"], fields["time_zone"]))
        details: dict[str, Any] = {
            name: fields[name] for name in DETAIL_FIELDS if fields.get(name) is not None
        }
        details["additional_details"] = join_marker(
            fields.get("details"), desired.key, self.mark(desired)
        )
        body: dict[str, Any] = {
            "invites": list(fields.get("invites") or []),
            "remote_session": remote_session,
            "session_details": details,
        }
        if fields.get("deponent") is not None:
            body["deponent"] = fields["deponent"]
        postback = desired.lookup.get("postback_url")
        if postback:
            body["postback_url"] = postback
        return body

    def update_plan(
        self, current: RemoteObject, desired: DesiredObject, changes: Sequence[FieldChange]
    ) -> UpdatePlan:
        names = [change.name for change in changes]
        removed = _removed_invitees(current, desired)
        fixed = [name for name in names if name not in EDITABLE]
        # A session of another scope (one written before scopes) takes this scope only when it
        # is scheduled anew: its marker cannot be edited.
        rescope = self.scope is not None and current.scope != self.scope
        if removed or fixed or rescope or current.state not in EDITABLE_STATES:
            why = (
                f"invitees cannot be removed in place ({', '.join(removed)})"
                if removed
                else f"Prevail cannot change {', '.join(fixed)} in place"
                if fixed
                else "Prevail cannot write the scope on an existing session"
                if rescope
                else f"a session in state {current.state} cannot be edited"
            )
            cancel = self.cancel_call(current)
            return UpdatePlan(
                action=Action.REPLACE,
                requests=(cancel, *self.create_calls(desired)),
                reason=f"{why}: cancel and schedule anew",
            )
        edit: dict[str, Any] = {}
        for change in changes:
            if change.name in ("title", "case"):
                edit[change.name] = change.after
            elif change.name == "duration_hours":
                edit["estimated_duration"] = change.after
            elif change.name == "invites":
                have = {invite["email"]: invite for invite in current.fields.get("invites") or []}
                edit["invites"] = [
                    invite for invite in change.after or [] if have.get(invite["email"]) != invite
                ]
        if {"start", "time_zone"} & set(names):
            # Prevail needs the date, time and zone together whenever one of them changes.
            edit.update(_prevail_start(desired.fields["start"], desired.fields["time_zone"]))
        return UpdatePlan(
            action=Action.UPDATE,
            requests=(
                HttpCall(
                    method="PATCH",
                    path=f"/sessions/{current.remote_id}",
                    body={"remote_session": edit},
                ),
            ),
            reason=f"{', '.join(names)} differ{'s' if len(names) == 1 else ''} from the "
            "configuration",
        )

    def yaml_value(self, desired: DesiredObject, name: str, remote_value: Any) -> Any:
        zone = desired.fields.get("time_zone")
        if name == "start" and isinstance(remote_value, str) and isinstance(zone, str):
            moment = datetime.strptime(remote_value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return moment.astimezone(iana_zone(zone)).strftime("%Y-%m-%dT%H:%M")
        return remote_value

    def cancel_call(self, current: RemoteObject) -> HttpCall:
        return HttpCall(
            method="PATCH",
            path=f"/sessions/{current.remote_id}/cancel",
            query={"cancel_without_email": "false"},
        )

    def removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        return Action.CANCEL, (self.cancel_call(current),)

    def created_id(self, body: Any) -> str | None:
        session = body.get("session") if isinstance(body, dict) else None
        if isinstance(session, dict):
            identifier = session.get("remote_session_id") or session.get("request_id")
            return str(identifier) if identifier else None
        return None

    # -- import and adoption ---------------------------------------------------------------------

    def list_unmanaged(self) -> list[RemoteObject]:
        found: list[RemoteObject] = []
        for session in self.list_all("sessions"):
            details = session.get("session_details") or {}
            if not isinstance(details, Mapping) or session.get("state") not in LIVE_STATES:
                continue
            text, key, _ = split_marker(details.get("additional_details"))
            if key is not None:
                continue
            # Read exactly as a managed session is, under its title as the key to derive from.
            title = str(session.get("title") or "session").replace("\n", " ")
            marked = {**details, "additional_details": join_marker(text, title, None)}
            remote = self.remote({**session, "session_details": marked})
            if remote is not None:
                found.append(remote)
        return found

    def declared_from_remote(self, remote: RemoteObject) -> dict[str, Any]:
        fields = remote.fields
        declared: dict[str, Any] = {}
        for name in ("title", "case"):
            if fields.get(name) is not None:
                declared[name] = fields[name]
        zone, start = fields.get("time_zone"), fields.get("start")
        if isinstance(zone, str) and isinstance(start, str):
            declared["start"] = self.yaml_value(
                DesiredObject(kind=self.kind, key=remote.key, fields={"time_zone": zone}),
                "start",
                start,
            )
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

    def adoption_refusal(self) -> str | None:
        return (
            "Prevail cannot mark an existing session as managed: the reconciler keeps its key "
            "on the last line of additional_details, which Prevail does not let anyone edit "
            "after scheduling; adopting a session would mean cancelling it and scheduling it "
            "anew (new link, new invitations). Such entries are left alone; to take one over "
            "that way, delete its remote_id"
        )


def split_marker(text: Any) -> tuple[str | None, str | None, str | None]:
    """(user text, key, scope mark) from additional_details that may end with our marker.

    The key is on the last line; the scope mark, when the marker has one, on the line above.
    """
    if not isinstance(text, str):
        return (None, None, None)
    head, _, last = text.rstrip("\n").rpartition("\n")
    if not last.startswith(MARKER):
        return (text, None, None)
    key = last[len(MARKER) :].strip()
    above, _, line = head.rpartition("\n")
    if not line.startswith(SCOPE_MARKER):
        return (head if head else None, key, None)
    return (above if above else None, key, line[len(SCOPE_MARKER) :].strip())


def join_marker(text: Any, key: str, mark: str | None) -> str:
    marker = MARKER + key if mark is None else f"{SCOPE_MARKER}{mark}\n{MARKER}{key}"
    return f"{text}\n{marker}" if isinstance(text, str) and text else marker


def _invites(items: Sequence[Any]) -> list[dict[str, str]]:
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


def _removed_invitees(current: RemoteObject, desired: DesiredObject) -> list[str]:
    if "invites" not in desired.fields:
        return []
    wanted = {invite["email"] for invite in desired.fields.get("invites") or []}
    have = {invite["email"] for invite in current.fields.get("invites") or []}
    return sorted(have - wanted)


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


def _prevail_start(start: str, zone: str) -> dict[str, str]:
    """Prevail's start_date / start_time (12-hour) / time_zone for an instant in a zone."""
    local = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    local = local.astimezone(iana_zone(zone))
    return {
        "start_date": local.strftime("%Y-%m-%d"),
        "start_time": local.strftime("%I:%M %p"),
        "time_zone": zone,
    }

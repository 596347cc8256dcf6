"""Prevail sessions: HS256 JWTs minted per run, `pagy` pages of 1,000, PATCH edits and cancels.

Prevail has no external id, so the key rides on the last line of
`session_details.additional_details` as `reconciler-key: <key>`, with the scope mark on the line
above it (`reconciler-scope: team-a (protected)`). Prevail never edits additional_details after
scheduling, so a session's marker is written once, when it is scheduled. Prevail edits in place only
title, case, the start (date, time and zone, always sent together), the duration and invitees
(add-only); any other change, or an invitee removed, is a `replace`: cancel, then schedule anew.
A pending request gets an id only when Prevail staff schedule it: until then it cannot be edited
or cancelled through the API, and a change to it is held back with that reason. How listed
sessions and requests are read (every documented field name) is `prevail_mapping`'s; how lists
are walked (pages of 1,000 over the documented start_time/end_time window of the span that
matters) is `prevail_listing`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Unpack

import httpx

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
from reconciler.providers.base import Provider, ProviderOptions, UpdatePlan
from reconciler.providers.listing import Span, as_sent, epoch_of, listing_span, written_span
from reconciler.providers.marker import read_scope_mark
from reconciler.providers.prevail_auth import PrevailAuth
from reconciler.providers.prevail_listing import SessionList
from reconciler.providers.prevail_mapping import (
    DETAIL_FIELDS,
    REQUEST_STATE,
    SESSION_STATE,
    Fallbacks,
    as_prevail_holds,
    created_session,
    declared_fields,
    details_of,
    identifier_of,
    invites_of,
    listed_wall_clock,
    normal_invites,
    prevail_start,
    state_of,
    wall_clock_text,
)
from reconciler.providers.prevail_marker import join_marker, split_marker

log = logging.getLogger(__name__)

# YAML fields Prevail can change with PATCH /sessions/{id}.
EDITABLE = frozenset({"title", "case", "start", "time_zone", "duration_hours", "invites"})
LIVE_STATES = frozenset({"initial", "scheduled", "ready", "active"})
EDITABLE_STATES = frozenset({"scheduled", "ready"})
# Which name each collection's documented state goes by.
STATE_NAMES = {"sessions": SESSION_STATE, "session_requests": REQUEST_STATE}
NO_ID_YET = (
    "a pending session request has no remote_session_id until Prevail staff schedule it, and "
    "Prevail edits and cancels sessions only by that id: it is held back until then (or cancel "
    "the request in Prevail itself)"
)


class PrevailProvider(Provider):
    name = "prevail"
    kind = "sessions"
    marker_editable = False  # additional_details, where the marker lives, is fixed once scheduled
    probe_path = "sessions"
    probe_params = {"page": "1", "per_page": "1"}
    # A token is re-minted when under a minute of its life is left: a server clock further ahead
    # than that can see it expired on arrival.
    clock_tolerance = 60.0

    def __init__(
        self, *, settings: ProviderSettings, client: httpx.Client,
        **options: Unpack[ProviderOptions],
    ) -> None:
        super().__init__(settings=settings, client=client, **options)
        self.fallbacks = Fallbacks(self.name)
        self.sessions = SessionList(self, self.fallbacks)
        self.span: Span | None = None  # the last refresh's listing span

    @property
    def account(self) -> str:
        return str(self.settings.settings.get("company_id", ""))

    @staticmethod
    def auth(settings: ProviderSettings) -> httpx.Auth:
        return PrevailAuth(
            settings.settings.get("company_id", ""), settings.settings.get("api_key", "")
        )

    @property
    def default_via(self) -> str:
        return self.settings.settings.get("default_via", "direct")

    def send(self, call: HttpCall) -> Any:
        # The provider's postback URL carries a token (the watch's hook): like the credentials,
        # it joins a request only as it is sent, so no plan, printed or saved, holds it.
        return super().send(with_postback(call, self.settings.settings.get("postback_url")))

    # -- mapping ---------------------------------------------------------------------------------

    def canonical(self, declared: DeclaredObject) -> DesiredObject:
        fields = dict(declared.fields)
        zone = fields.get("time_zone")
        if isinstance(zone, str):
            fields["time_zone"] = canonical_zone(zone)
        if isinstance(fields.get("start"), str):
            fields["start"] = to_utc(fields["start"], zone)
        if isinstance(fields.get("invites"), list):
            fields["invites"] = normal_invites(fields["invites"])
        if fields.get("interpreter") is False:
            fields["interpreter"] = ""  # an older configuration's "no interpreter"
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

    def remote(
        self, session: Mapping[str, Any], collection: str = "sessions"
    ) -> RemoteObject | None:
        """A listed session (or request) as a managed object; None when it has no marker."""
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
            "invites": invites_of(session, self.fallbacks),
            "details": text,
            **details_of(details, self.fallbacks),
        }
        if isinstance(zone_name, str):
            try:
                fields["time_zone"] = canonical_zone(zone_name)
                start = listed_wall_clock(session.get("start_date"), session.get("start_time"))
                fields["start"] = wall_clock_utc(start, iana_zone(zone_name))
            except (KeyError, ValueError):
                fields["time_zone"] = zone_name
        return RemoteObject(
            kind=self.kind,
            key=key,
            remote_id=identifier_of(session, self.fallbacks) or "",
            fields=fields,
            state=state_of(session, STATE_NAMES[collection], self.fallbacks),
            updated_at=session.get("updated_at"),
            starts_at=fields.get("start"),
            scope=scope,
            protected=protected,
            created_at=session.get("created_at"),
        )

    # -- refresh ---------------------------------------------------------------------------------

    def refresh(self, desired: Sequence[DesiredObject]) -> list[RemoteObject]:
        # Every live marked session starting in the span that can matter, of every scope and
        # duplicates included: the engine sorts them into this scope's, others' and the extras
        # of a key. What starts before the span is past, so frozen.
        self.span = session_span(desired)
        found = [remote for remote in self.sessions.walk("sessions", self.remote, self.span)
                 if remote.state in LIVE_STATES]
        # Pending requests are read only when the configuration submits requests at all, so a
        # self-service repository pays one list walk, not two.
        if self.default_via == "request" or any(item.via == "request" for item in desired):
            found.extend(
                remote
                for remote in self.sessions.walk("session_requests", self.request_remote,
                                                 self.span)
                if remote.state == "initial"
            )
        return found

    def read_back(
        self, desired: Sequence[DesiredObject], *, also: Sequence[RemoteObject] = ()
    ) -> list[RemoteObject]:
        # The written sessions' window only (and where `also` were); `self.span` (the
        # refresh's, which look-ups use) stays as it was. `end_time` keeps the sessions that
        # *end* before it [doc]: a session whose duration is not declared may last any time
        # Prevail holds, so the window then reaches as far as a refresh's.
        where = [obj.fields for obj in desired] + [remote.fields for remote in also]
        starts = [epoch_of(fields.get("start")) for fields in where]
        hours = [fields.get("duration_hours") for fields in where]
        ends = [
            start + float(hour) * 3600 if start is not None and hour is not None else None
            for start, hour in zip(starts, hours, strict=True)
        ]
        low, high = written_span(starts, ends)
        if None in ends:
            high = max(high, listing_span([], [])[1])
        span = (low, high)
        found = [remote for remote in self.sessions.walk("sessions", self.remote, span)
                 if remote.state in LIVE_STATES]
        if any(item.via == "request" for item in desired):
            found.extend(
                remote
                for remote in self.sessions.walk("session_requests", self.request_remote, span)
                if remote.state == "initial"
            )
        return found

    def request_remote(self, request: Mapping[str, Any]) -> RemoteObject | None:
        return self.remote(request, "session_requests")

    def list_all(self, collection: str) -> list[dict[str, Any]]:
        """Every item of the collection, as the API sends it (all of time: import)."""
        return self.sessions.walk(collection, as_sent)

    def find(self, key: str) -> RemoteObject | None:
        # A declared session: it starts in the last refresh's span.
        for collection in ("sessions", "session_requests"):
            for item in self.sessions.walk(collection, as_sent, self.span):
                remote = self.remote(item, collection)
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
            remote_session.update(prevail_start(fields["start"], fields["time_zone"]))
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
            edit.update(prevail_start(desired.fields["start"], desired.fields["time_zone"]))
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
            return wall_clock_text(remote_value, zone)
        return remote_value

    def cancel_call(self, current: RemoteObject, *, notify: bool = True) -> HttpCall:
        return HttpCall(
            method="PATCH",
            path=f"/sessions/{current.remote_id}/cancel",
            query={"cancel_without_email": "false" if notify else "true"},
        )

    def removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        return Action.CANCEL, (self.cancel_call(current),)

    def silent_removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        # Prevail documents `cancel_without_email`: a duplicate's participants are not told of
        # a cancellation of a session they were never meant to have twice.
        return Action.CANCEL, (self.cancel_call(current, notify=False),)

    def held_back(self, current: RemoteObject) -> str | None:
        return None if current.remote_id else NO_ID_YET

    def settled(
        self, desired: DesiredObject, current: RemoteObject
    ) -> tuple[DesiredObject, tuple[str, ...]]:
        fields, notes = as_prevail_holds(desired.fields, current.fields)
        if not notes:
            return desired, ()
        return replace(desired, fields=fields), tuple(f"{desired.address}: {n}" for n in notes)

    def created_id(self, body: Any) -> str | None:
        session = created_session(body)
        if session is None:
            return None
        details = session.get("session_details")
        marked = isinstance(details, Mapping) and split_marker(details.get("additional_details"))
        if not (marked and marked[1]):
            # Without the marker in the answer, the next run may not recognise this session.
            log.warning(
                "prevail: the created session's answer shows no `reconciler-key:` line in "
                "session_details.additional_details; if Prevail does not return it in lists "
                "either, the next run cannot find this session and would create it again"
            )
        return identifier_of(session, self.fallbacks)

    # -- import and adoption ---------------------------------------------------------------------

    def list_unmanaged(self) -> list[RemoteObject]:
        found: list[RemoteObject] = []
        for session in self.list_all("sessions"):
            details = session.get("session_details") or {}
            state = state_of(session, SESSION_STATE, self.fallbacks)
            if not isinstance(details, Mapping) or state not in LIVE_STATES:
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
        return declared_fields(remote.fields)

    def adoption_refusal(self) -> str | None:
        return (
            "Prevail cannot mark an existing session as managed: the reconciler keeps its key "
            "on the last line of additional_details, which Prevail does not let anyone edit "
            "after scheduling; adopting a session would mean cancelling it and scheduling it "
            "anew (new link, new invitations). Such entries are left alone; to take one over "
            "that way, delete its remote_id"
        )


def with_postback(call: HttpCall, url: str | None) -> HttpCall:
    """`call` with `url` as its postback_url when it creates a session request that names
    none (a self-service session is scheduled at once: Prevail has nothing to post back)."""
    body = call.body
    request = body.get("session_request") if isinstance(body, Mapping) else None
    if (
        not url
        or (call.method, call.path) != ("POST", "/session_requests")
        or not isinstance(request, Mapping)
        or request.get("postback_url")
    ):
        return call
    return replace(call, body={**body, "session_request": {**request, "postback_url": url}})


def session_span(desired: Sequence[DesiredObject]) -> Span:
    """The span refresh lists sessions over: from just before now, and every declared session."""
    starts = [epoch_of(obj.fields.get("start")) for obj in desired]
    ends = [
        start + float(obj.fields.get("duration_hours") or 0) * 3600 if start is not None else None
        for start, obj in zip(starts, desired, strict=True)
    ]
    return listing_span(starts, ends)


def _removed_invitees(current: RemoteObject, desired: DesiredObject) -> list[str]:
    if "invites" not in desired.fields:
        return []
    wanted = {invite["email"] for invite in desired.fields.get("invites") or []}
    have = {invite["email"] for invite in current.fields.get("invites") or []}
    return sorted(have - wanted)


"""Prospero events: camelCase wire fields, JSON merge patch updates (auth: `prospero_auth`).

Identity: `customFields.reconciler_key` holds the key, `customFields.reconciler_scope` the scope
mark (`team-a`, or `team-a (protected)`), `customFields.managed_by = reconciler`
lets one filtered list return every managed event, and `customFields.reconciler_fields` records
the fields we own, so a field removed from YAML can be sent as `null` (RFC 7386) without a state
file. Several creates go in one bulk POST, several deletes in one bulk DELETE (at most 100
events each).

Listing is a tolerant reader (`listing.TolerantList`) over the span that matters
(`event_span`: the past is frozen): the modelled pages of the documented
`window_start`/`window_end` window where the server shows it pages (`total`), else windows,
split where an answer looks cut off. Refresh asks only for managed events (the modelled filter
`customFields.managed_by=reconciler`), which the reader checks itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Unpack

import httpx

from reconciler.engine.diff import merge_patch
from reconciler.errors import ProviderError, ResponseError, ResponseLostError
from reconciler.instants import to_utc
from reconciler.model import (
    Action,
    Change,
    DeclaredObject,
    DesiredObject,
    FieldChange,
    HttpCall,
    ProviderSettings,
    RemoteObject,
)
from reconciler.providers.base import (
    Provider,
    ProviderOptions,
    UpdatePlan,
)
from reconciler.providers.failures import failed
from reconciler.providers.listing import (
    Span,
    TolerantList,
    as_sent,
    epoch_of,
    listing_span,
    written_span,
)
from reconciler.providers.marker import read_scope_mark
from reconciler.providers.prospero_auth import ProsperoAuth
from reconciler.providers.prospero_wire import (
    KEY_FIELD,
    OWNED_FIELD,
    OWNER,
    OWNER_FIELD,
    RESERVED,
    SCOPE_FIELD,
    STATUS,
    STATUS_NAME,
    WIRE,
    owned_fields_set,
)
from reconciler.providers.recent import (
    WriteStamps,
    answered_at,
    changed_since,
    recently_updated,
)
from reconciler.reports import Outcome

log = logging.getLogger(__name__)

PAGE_MAX = 500
BULK_MAX = 100
MERGE_PATCH = "application/merge-patch+json"

BULK_ACTIONS = frozenset({Action.CREATE, Action.DELETE})


class ProsperoProvider(Provider):
    name = "prospero"
    kind = "events"
    probe_path = "auth/whoami"
    merge_fields = frozenset({"custom_fields"})

    def __init__(
        self, *, settings: ProviderSettings, client: httpx.Client,
        **options: Unpack[ProviderOptions],
    ) -> None:
        super().__init__(settings=settings, client=client, **options)
        # What GET /events was seen to honour is learnt once a run, and shared by its walks.
        self.events = TolerantList(
            provider=self.name,
            path="/events",
            items="events",
            page_size=PAGE_MAX,
            windows=("window_start", "window_end"),
            get=lambda params: self.decode(self.get("events", params), "GET /events"),
            on_read=self.page_read,
            limits=self.walk_limits,
        )
        self.span: Span | None = None  # the last refresh's listing span
        self.write_stamps = WriteStamps()  # how far back the read-back reads
        self.first_answer: datetime | None = None  # when the run's first list was answered

    @property
    def account(self) -> str:
        return str(self.settings.settings.get("email", ""))

    @staticmethod
    def auth(settings: ProviderSettings) -> httpx.Auth:
        return ProsperoAuth(settings.settings)

    # -- mapping ---------------------------------------------------------------------------------

    def canonical(self, declared: DeclaredObject) -> DesiredObject:
        fields = dict(declared.fields)
        zone = fields.pop("time_zone", None)
        for name in ("start", "end"):
            value = fields.get(name)
            if isinstance(value, str) and not (fields.get("all_day") and len(value) == 10):
                fields[name] = to_utc(value, zone)
        if isinstance(fields.get("custom_fields"), Mapping):
            fields["custom_fields"] = dict(fields["custom_fields"])
        return self.desired_object(
            declared,
            fields,
            lookup={"remote_id": declared.options.remote_id},
            time_zone=zone if isinstance(zone, str) else None,
        )

    def remote(self, event: Mapping[str, Any]) -> RemoteObject | None:
        custom = event.get("customFields") or {}
        if not isinstance(custom, Mapping) or not isinstance(custom.get(KEY_FIELD), str):
            return None
        # Every field as sent (in WIRE's order), then the few that need converting.
        fields: dict[str, Any] = {name: event[wire] for name, wire in WIRE.items() if wire in event}
        if "status" in fields:
            fields["status"] = STATUS_NAME.get(fields["status"], fields["status"])
        if "custom_fields" in fields:
            fields["custom_fields"] = {k: v for k, v in custom.items() if k not in RESERVED}
        for name in ("start", "end"):
            value = fields.get(name)
            if isinstance(value, str) and len(value) > 10:
                fields[name] = to_utc(value)
        owned_text = custom.get(OWNED_FIELD)
        owned = owned_fields_set(owned_text) if isinstance(owned_text, str) else None
        scope, protected = read_scope_mark(custom.get(SCOPE_FIELD))
        return RemoteObject(
            kind=self.kind,
            key=str(custom[KEY_FIELD]),
            remote_id=str(event["id"]),
            fields=fields,
            owned=owned,
            updated_at=event.get("lastUpdatedAt"),
            starts_at=fields.get("start"),
            scope=scope,
            protected=protected,
            created_at=event.get("createdAt"),
        )

    @staticmethod
    def owned_fields(desired: DesiredObject) -> str:
        names = {name for name in desired.fields if name != "custom_fields"}
        custom = desired.fields.get("custom_fields")
        if isinstance(custom, Mapping):
            names |= {f"custom_fields.{key}" for key in custom}
        return ",".join(sorted(names))

    def wire_event(self, desired: DesiredObject) -> dict[str, Any]:
        event: dict[str, Any] = {}
        for name, value in desired.fields.items():
            if value is None or name not in WIRE:
                continue
            event[WIRE[name]] = STATUS[value] if name == "status" else value
        custom = dict(event.get("customFields") or {})
        custom.update(self.marker(desired))
        event["customFields"] = custom
        return event

    def marker(self, desired: DesiredObject) -> dict[str, Any]:
        """The customFields that mark an event as ours: key, owner, owned fields, scope mark."""
        marker = {
            KEY_FIELD: desired.key, OWNER_FIELD: OWNER, OWNED_FIELD: self.owned_fields(desired)
        }
        mark = self.mark(desired)
        if mark is not None:
            marker[SCOPE_FIELD] = mark
        return marker

    # -- refresh ---------------------------------------------------------------------------------

    def refresh(self, desired: Sequence[DesiredObject]) -> list[RemoteObject]:
        self.span = event_span(desired)
        return self.managed()

    def read_back(
        self, desired: Sequence[DesiredObject], *, also: Sequence[RemoteObject] = ()
    ) -> list[RemoteObject]:
        # The written events' window only (and where `also` were); the refresh's span (from now
        # on) stays as it was.
        where = [obj.fields for obj in desired] + [remote.fields for remote in also]
        span = written_span((epoch_of(fields.get("start")) for fields in where),
                            (epoch_of(fields.get("end")) for fields in where))
        filters = {f"customFields.{OWNER_FIELD}": OWNER}
        # As the docs advise for recent changes: one page, recently updated first.
        recent = None
        if self.writing_since is not None:
            reach = self.write_stamps.reach(self.writing_since)
            # Not windowed: a written event moved meanwhile is found wherever it went.
            recent = recently_updated(self.events, filters, self.remote, self.span or span,
                                      reach=reach, keys=[obj.key for obj in desired])
        elif self.first_answer is not None and {o.key for o in also} <= {o.key for o in desired}:
            # Before the writes: what moved since the plan, anywhere it may have moved to. A
            # removal (undeclared) reads the window: only a walk shows an event deleted since.
            recent = changed_since(self.events, filters, self.remote, self.span or span,
                                   reach=self.first_answer, seen=also)
        return recent if recent is not None else self.events.walk(filters, self.remote, span)

    def managed(self) -> list[RemoteObject]:
        """Every marked event in the listing span (the last refresh's), of every scope and
        duplicates included: the engine sorts them."""
        filters = {f"customFields.{OWNER_FIELD}": OWNER}
        return self.events.walk(filters, self.remote, self.span or event_span(()))

    def get(self, path: str, params: Mapping[str, str]) -> httpx.Response:
        self.list_requests += 1
        response = self.request("GET", path, params=params)
        self.first_answer = self.first_answer or answered_at(response)
        return response

    def find(self, key: str) -> RemoteObject | None:
        filters = {f"customFields.{KEY_FIELD}": key}
        # Converted as the walk reads (the filter is [model]: the key is checked here).
        for remote in self.events.walk(filters, self.remote, self.span or event_span(())):
            if remote.key == key and remote.scope == self.scope:
                return remote
        return None

    # -- writes ----------------------------------------------------------------------------------

    def create_calls(self, desired: DesiredObject) -> tuple[HttpCall, ...]:
        return (HttpCall(method="POST", path="/events", body={"event": self.wire_event(desired)}),)

    def update_plan(
        self, current: RemoteObject, desired: DesiredObject, changes: Sequence[FieldChange]
    ) -> UpdatePlan:
        patch: dict[str, Any] = {}
        for change in changes:
            wire = WIRE.get(change.name)
            if wire is None:
                continue
            after = change.after
            if change.name == "status" and after is not None:
                after = STATUS[after]
            if isinstance(change.before, Mapping) and isinstance(after, Mapping):
                after = merge_patch(change.before, after)
            patch[wire] = after
        owned = self.owned_fields(desired)
        if current.owned is None or ",".join(sorted(current.owned)) != owned:
            custom = patch.setdefault("customFields", {})
            if isinstance(custom, dict):
                custom[OWNED_FIELD] = owned
        if self.marker_stale(current, desired):
            custom = patch.setdefault("customFields", {})
            if isinstance(custom, dict):
                custom[SCOPE_FIELD] = self.mark(desired)
        if current.moved_from is not None:  # renamed: the new key, in this same write
            custom = patch.setdefault("customFields", {})
            if isinstance(custom, dict):
                custom[KEY_FIELD] = desired.key
        names = ", ".join(change.name for change in changes)
        return UpdatePlan(
            action=Action.UPDATE,
            requests=(
                HttpCall(
                    method="PATCH",
                    path=f"/events/{current.remote_id}",
                    body=patch,
                    content_type=MERGE_PATCH,
                ),
            ),
            reason=f"{names} differ{'s' if len(changes) == 1 else ''} from the configuration",
        )

    def removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        # The documented bulk delete (`DELETE /events/{id}` is our emulator's alone).
        return Action.DELETE, (
            HttpCall(method="DELETE", path="/events", body={"ids": [current.remote_id]}),
        )

    def created_id(self, body: Any) -> str | None:
        if isinstance(body, dict) and isinstance(body.get("event"), dict):
            return str(body["event"].get("id"))
        return None

    def batches(self, changes: Sequence[Change]) -> list[list[Change]]:
        bulk: list[list[Change]] = []
        for action in (Action.CREATE, Action.DELETE):
            alike = [change for change in changes if change.action is action]
            bulk.extend(alike[i : i + BULK_MAX] for i in range(0, len(alike), BULK_MAX))
        others = [[change] for change in changes if change.action not in BULK_ACTIONS]
        return bulk + others

    def send(self, call: HttpCall) -> Any:
        if call.method == "DELETE":
            return super().send(call)
        try:
            body = super().send(call)
        except ProviderError:
            self.write_stamps.lost = True  # it may have landed before every stamp seen
            raise
        self.write_stamps.note(body, items="events", item="event")
        return body

    def apply_batch(self, batch: Sequence[Change]) -> list[Outcome]:
        actions = {change.action for change in batch}
        if len(batch) < 2 or len(actions) != 1:
            return super().apply_batch(batch)
        if actions == {Action.DELETE}:
            return self._delete_many(batch)
        if actions != {Action.CREATE}:
            return super().apply_batch(batch)
        return self._bulk_create(batch, [change.requests[0] for change in batch])

    def create_again(self, lost: Sequence[Outcome]) -> list[Outcome]:
        # Only the creates that did not land, in one bulk request again.
        again = [(outcome.change, outcome.lost) for outcome in lost if outcome.lost is not None]
        if len(again) < 2:
            return super().create_again(lost)
        return self._bulk_create([change for change, _ in again], [call for _, call in again])

    def _bulk_create(self, batch: Sequence[Change], calls: Sequence[HttpCall]) -> list[Outcome]:
        """Several creates in one bulk POST (all-or-nothing on the server). An answer lost, cut
        off or of the wrong shape leaves every one of them undecided (`lost`): apply looks for
        each key before anything is sent again."""
        bulk = HttpCall(method="POST", path="/events",
                        body={"events": [call.body["event"] for call in calls]})
        try:
            body = self.send(bulk)
        except ResponseLostError as lost:
            return self._undecided(batch, calls, str(lost))
        except ProviderError as error:
            return [failed(change, error) for change in batch]
        created = body.get("events") if isinstance(body, dict) else None
        if not isinstance(created, list) or len(created) != len(batch) or not all(
            isinstance(event, dict) for event in created
        ):
            message = "prospero POST /events (bulk): unexpected answer: " + json.dumps(body)[:200]
            return self._undecided(batch, calls, message)
        return [
            Outcome(change=change, ok=True, remote_id=str(event.get("id")))
            for change, event in zip(batch, created, strict=True)
        ]

    @staticmethod
    def _undecided(
        batch: Sequence[Change], calls: Sequence[HttpCall], message: str
    ) -> list[Outcome]:
        return [
            Outcome(change=change, ok=False, message=message, lost=call)
            for change, call in zip(batch, calls, strict=True)
        ]

    def _delete_many(self, batch: Sequence[Change]) -> list[Outcome]:
        """Several deletes in one documented bulk `DELETE /events` (all or none on the server)."""
        ids = [str(change.remote_id) for change in batch]
        try:
            self.send(HttpCall(method="DELETE", path="/events", body={"ids": ids}))
        except ProviderError as error:
            status = error.status if isinstance(error, ResponseError) else None
            if status != 404 and not isinstance(error, ResponseLostError):
                return [failed(change, error) for change in batch]
            # One of them is already gone (or the answer was lost): each on its own, where a
            # 404 means gone.
            log.info("prospero: DELETE /events of %d events failed (%s); deleting them one "
                     "at a time", len(ids), error)
            return [self.apply_one(change) for change in batch]
        return [
            Outcome(change=change, ok=True, remote_id=change.remote_id)
            for change in batch
        ]

    def find_many(self, keys: Collection[str]) -> dict[str, RemoteObject]:
        # One walk of the managed events serves every key, where a lookup per key would cost a
        # list request each (a lost bulk create leaves up to a hundred keys to look for).
        wanted = set(keys)
        return {
            remote.key: remote
            for remote in self.managed()
            if remote.key in wanted and remote.scope == self.scope
        }

    # -- import and adoption -----------------------------------------------------------------

    def list_unmanaged(self) -> list[RemoteObject]:
        found: list[RemoteObject] = []
        # Import may take over any event: where the server lists by windows, all of time.
        for event in self.events.walk({}, as_sent, (0.0, event_span(())[1])):
            custom = event.get("customFields") or {}
            custom = custom if isinstance(custom, Mapping) else {}
            if isinstance(custom.get(KEY_FIELD), str):
                continue
            # Read exactly as a managed event is, under its title as the key to derive from.
            named = {**custom, KEY_FIELD: str(event.get("title") or "event")}
            remote = self.remote({**event, "customFields": named})
            if remote is not None:
                found.append(remote)
        return found

    def declared_from_remote(self, remote: RemoteObject) -> dict[str, Any]:
        declared: dict[str, Any] = {}
        for name, value in remote.fields.items():
            if isinstance(value, Mapping):
                value = {key: item for key, item in value.items() if item is not None}
            # Absent, false and empty values stay undeclared (so unmanaged), as YAML omits them.
            if value is None or value is False or value == {}:
                continue
            declared[name] = value
        return declared

    def adopt_calls(self, current: RemoteObject, desired: DesiredObject) -> tuple[HttpCall, ...]:
        # A merge patch of our markers only: every other field and custom field stays.
        return (
            HttpCall(
                method="PATCH",
                path=f"/events/{current.remote_id}",
                body={"customFields": self.marker(desired)},
                content_type=MERGE_PATCH,
            ),
        )


def event_span(desired: Sequence[DesiredObject]) -> Span:
    """The span refresh lists events over: from just before now, and every declared event (an
    event under way overlaps any window that starts before it ends)."""
    return listing_span(
        (epoch_of(obj.fields.get("start")) for obj in desired),
        (epoch_of(obj.fields.get("end")) for obj in desired),
    )

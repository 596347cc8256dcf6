"""The data the stages pass each other. Plain frozen values, no I/O.

The config stage makes `DeclaredObject`s (with their `Location`s and `ConfigIssue`s) and
`ProviderSettings`; providers turn those and API documents into `DesiredObject`s and
`RemoteObject`s; diff and plan compare and arrange them into a `Plan` of `Change`s; renderers, the
plan file and apply read them (apply's `Outcome` of each change, drift's and doctor's reports
are `reports.py`'s). Field values
are JSON-ready and *canonical* (instants in UTC, IANA zone names), so that equality is semantic
equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from reconciler.findings import Conflicts, Finding

# The declared kinds, in file order, and the provider that serves each.
KINDS = ("sessions", "events", "assignments")
PROVIDER_OF = {"sessions": "prevail", "events": "prospero", "assignments": "previsto"}


# -- the configuration's side ---------------------------------------------------------------------


class Location(NamedTuple):
    """Where something was declared: a file and 1-based line and column.

    A named tuple rather than a dataclass: a large configuration records hundreds of thousands.
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the YAML, reported as `FILE:LINE:COL: path: message`."""

    location: Location
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.location}: {where}{self.message}"


@dataclass(frozen=True, kw_only=True)
class ObjectOptions:
    """How the reconciler treats one object, apart from its fields."""

    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    allow_short_notice: bool = False
    allow_past: bool = False  # created although it starts before now (back-filling a record)
    via: str | None = None  # sessions only: "direct" | "request" (None = provider default)
    remote_id: str | None = None  # the unmanaged object `reconciler import` read it from
    previous_keys: tuple[str, ...] = ()  # keys it was declared under before (a rename)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredObject:
    """One object as the YAML declares it: managed fields exactly as written, and options."""

    kind: str
    key: str
    fields: Mapping[str, Any]
    options: ObjectOptions
    location: Location  # where the object's entry starts


@dataclass(frozen=True, kw_only=True)
class ProviderSettings:
    """One provider's settings with ${NAME} resolved; `secrets` holds the values to redact.

    `settings` are the text settings (base_url, credentials, default_via); numeric ones are
    typed fields of their own.
    """

    name: str
    settings: Mapping[str, str]
    secrets: frozenset[str]
    location: Location
    requests_per_minute: float | None = None  # client-side pacing below the API's own limit


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Whose objects these are: the configuration's owner identity on a shared account.

    Every object the reconciler writes carries the scope's `name` in its marker, next to its key;
    refresh, drift, prune and import consider only the objects of their own scope. `origin` says
    how the name was chosen (`providers.stack`, or derived from the repository), for the plan's
    header.
    """

    name: str
    origin: str
    declared: bool = False  # named by `providers.stack` (else derived from the repository)


# -- the engine's side ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Address:
    """A declared object's identity: its kind and its key, e.g. `events.winter-gala`."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.key}"

    @classmethod
    def parse(cls, text: str) -> Address:
        kind, _, key = text.partition(".")
        return cls(kind, key)


class Action(StrEnum):
    """What a change does; the class order is the order apply runs them (as octoDNS does)."""

    CANCEL = "cancel"
    DELETE = "delete"
    REPLACE = "replace"
    CREATE = "create"
    UPDATE = "update"

    @property
    def order(self) -> int:
        return list(Action).index(self)

    @property
    def is_removal(self) -> bool:
        return self in (Action.CANCEL, Action.DELETE)


class Origin(StrEnum):
    """Why a change exists, when the plan was made against a git base ref."""

    CONFIG = "config"
    DRIFT = "drift"


@dataclass(frozen=True, kw_only=True)
class HttpCall:
    """One request exactly as apply will send it (never holding a secret)."""

    method: str
    path: str
    body: Any = None
    query: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.query:
            out["query"] = dict(self.query)
        if self.body is not None:
            out["body"] = self.body
            out["content_type"] = self.content_type
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HttpCall:
        return cls(
            method=str(data["method"]),
            path=str(data["path"]),
            body=data.get("body"),
            query=dict(data.get("query") or {}),
            content_type=str(data.get("content_type", "application/json")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteObject:
    """A managed object as the provider found it.

    `fields` are canonical values under the YAML's field names (only what the provider can read);
    `owned` is the set of fields (or metadata keys) the object records as managed by us, when the
    provider records ownership; `remote_id` is the API's own id; `state` a provider status such as
    Prevail's `ready`; `updated_at` the API's last-change time, shown in drift reports.
    The marker's `scope` (None: written before scopes existed) and `protected` say whose object
    it is and whether it may be removed; `created_at` (or the id) tells the oldest of duplicates;
    `selected` means a declared object's own lookup found it (Previsto's `select`), which makes
    it the twin whatever its age. `moved_from` is the key the marker carries when refresh found
    the object under a declared object's previous key (a rename): `key` is then the new one.
    """

    kind: str
    key: str
    remote_id: str
    fields: Mapping[str, Any]
    owned: frozenset[str] | None = None
    state: str | None = None
    updated_at: str | None = None
    starts_at: str | None = None
    scope: str | None = None
    protected: bool = False
    created_at: str | None = None
    selected: bool = False
    moved_from: str | None = None

    @property
    def address(self) -> Address:
        return Address(self.kind, self.key)


def duplicate_key(key: str, remote_id: str) -> str:
    """The address key of a duplicate (`smith-deposition#rs_9a1f`): `#` never occurs in a key."""
    return f"{key}#{remote_id}"


@dataclass(frozen=True, kw_only=True)
class Duplicate:
    """Several live objects carrying one key in one scope: the oldest is kept, the rest go."""

    address: Address
    kept: str
    extras: tuple[str, ...]

    def __str__(self) -> str:
        count = len(self.extras) + 1
        return (
            f"{count} live objects carry the key {self.address} in this scope "
            f"(ids {', '.join((self.kept, *self.extras))}); the oldest, {self.kept}, is kept "
            "and the others are removed"
        )

    def to_json(self) -> dict[str, Any]:
        return {"address": str(self.address), "kept": self.kept, "extras": list(self.extras)}


@dataclass(frozen=True, kw_only=True)
class ScopeReport:
    """The plan's scope, and what refresh found of other owners and left alone, per kind."""

    name: str
    origin: str
    # kind -> {other scope's name -> managed objects}: never changed, only counted.
    others: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # kind -> objects whose marker names no scope (written before scopes existed).
    unscoped: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "other_scopes": {kind: dict(counts) for kind, counts in self.others.items()},
            "unscoped": dict(self.unscoped),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DesiredObject:
    """A declared object after the provider canonicalised its fields."""

    kind: str
    key: str
    fields: Mapping[str, Any]
    location: Location | None = None
    protect: bool = False
    ignore_changes: frozenset[str] = frozenset()
    allow_short_notice: bool = False
    allow_past: bool = False
    via: str | None = None
    starts_at: str | None = None
    # How the provider finds an existing remote object (Previsto's `select`); never compared.
    lookup: Mapping[str, Any] = field(default_factory=dict)
    # The zone as the YAML spells it (an alias stays an alias), for showing times; never compared.
    time_zone: str | None = None
    previous_keys: tuple[str, ...] = ()  # refresh finds it under these keys too (a rename)

    @property
    def address(self) -> Address:
        return Address(self.kind, self.key)


@dataclass(frozen=True)
class FieldChange:
    """One field's difference: `before` is the remote value, `after` the declared one."""

    name: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.name, "before": self.before, "after": self.after}


@dataclass(frozen=True, kw_only=True)
class Change:
    """One object's change, with the requests that make it and why it is needed."""

    address: Address
    provider: str
    action: Action
    reason: str
    fields: tuple[FieldChange, ...] = ()
    requests: tuple[HttpCall, ...] = ()
    remote_id: str | None = None
    origin: Origin | None = None
    # With a base ref: the changed fields that revert a remote edit (declared the same at the
    # base ref and now, different remotely), whatever the object's origin.
    drift_fields: tuple[str, ...] = ()
    ignored: tuple[FieldChange, ...] = ()
    location: Location | None = None
    # Shown beside the action, e.g. "request" for a Prevail session request.
    note: str | None = None
    # For showing times in the object's own zone (field values stay canonical UTC): the zone
    # as declared (or the remote's), and the object's start even when the start is unchanged.
    time_zone: str | None = None
    starts_at: str | None = None
    # A rename: the address the remote object carries (its marker's key) before this change.
    moved_from: Address | None = None
    # The whole object for the plan's readers, as found (None: new) and once applied (None: it
    # goes); derived again on apply, never read back from a saved plan, and not compared.
    before: Mapping[str, Any] | None = field(default=None, compare=False)
    after: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (self.action.order, self.address.kind, self.address.key)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "address": str(self.address),
            "kind": self.address.kind,
            "key": self.address.key,
            "provider": self.provider,
            "action": self.action.value,
            "reason": self.reason,
            "remote_id": self.remote_id,
            "fields": [change.to_json() for change in self.fields],
            "requests": [call.to_json() for call in self.requests],
            "before": dict(self.before) if self.before is not None else None,
            "after": dict(self.after) if self.after is not None else None,
            # None: the plan was made without --base-ref, so why is not known.
            "origin": self.origin.value if self.origin is not None else None,
        }
        optional = {  # written only when set
            "drift_fields": list(self.drift_fields),
            "ignored": [change.to_json() for change in self.ignored],
            "location": str(self.location) if self.location is not None else None,
            "note": self.note,
            "time_zone": self.time_zone,
            "starts_at": self.starts_at,
            "moved_from": str(self.moved_from) if self.moved_from is not None else None,
        }
        out.update((name, value) for name, value in optional.items() if value)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        def fields_of(name: str) -> tuple[FieldChange, ...]:
            return tuple(
                FieldChange(item["field"], item.get("before"), item.get("after"))
                for item in data.get(name, [])
            )

        origin = data.get("origin")
        moved_from = data.get("moved_from")
        return cls(
            address=Address.parse(str(data["address"])),
            provider=str(data["provider"]),
            action=Action(data["action"]),
            reason=str(data["reason"]),
            fields=fields_of("fields"),
            requests=tuple(HttpCall.from_json(call) for call in data.get("requests", [])),
            remote_id=data.get("remote_id"),
            origin=Origin(origin) if origin else None,
            drift_fields=tuple(str(name) for name in data.get("drift_fields", ())),
            ignored=fields_of("ignored"),
            note=data.get("note"),
            time_zone=data.get("time_zone"),
            starts_at=data.get("starts_at"),
            moved_from=Address.parse(str(moved_from)) if moved_from else None,
        )


@dataclass(frozen=True)
class Skipped:
    """A change the safety rails held back, with the reason (e.g. the session already started)."""

    address: Address
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"address": str(self.address), "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What apply will do: ordered changes plus the checksum of the remote state they came from."""

    changes: tuple[Change, ...]
    state_checksum: str
    providers: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    # Recurring series: the series' address (`sessions.weekly`) → occurrences declared now.
    series_sizes: Mapping[str, int] = field(default_factory=dict)
    scope: ScopeReport | None = None
    # Keys that several live objects carry in this scope (their extras are planned for removal).
    duplicates: tuple[Duplicate, ...] = ()
    # What the team's policies found (`reconciler.policy`), evaluated when the plan was made.
    findings: tuple[Finding, ...] = ()
    # The policy folders that were evaluated, as given (a saved plan's apply evaluates them again).
    policy_sets: tuple[str, ...] = ()
    # Overlaps (same person or place) that only the applied or only the current schedule has.
    conflicts: Conflicts = field(default_factory=Conflicts)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def count(self, *actions: Action) -> int:
        return sum(1 for change in self.changes if change.action in actions)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "create": self.count(Action.CREATE),
            "update": self.count(Action.UPDATE),
            "replace": self.count(Action.REPLACE),
            "delete": self.count(Action.CANCEL, Action.DELETE),
        }

    def __repr__(self) -> str:
        counts = self.summary
        return (
            f"Plan(create={counts['create']}, update={counts['update']}, "
            f"replace={counts['replace']}, delete={counts['delete']})"
        )

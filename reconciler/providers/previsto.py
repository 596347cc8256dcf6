"""Previsto assignment metadata: Basic auth, zero-based pages, `PUT` of the whole `meta`.

Assignments exist already (Previsto generates them, or someone creates them by hand); a declared
assignment `select`s exactly one, and the reconciler manages only metadata keys. It marks the
assignment with three reserved keys: `reconciler_key` (our key), `reconciler_owned` (the keys we
set, comma-separated), so a key removed from YAML is removed remotely while keys set by anyone
else are never touched, and `reconciler_scope` (the scope mark: `team-a`, or `team-a (protected)`).
Whether Previsto merges a passed `meta` or replaces the stored one is not documented, so a write
sends the whole resulting object (`meta_call`): both kinds of server end with the same keys.

Refresh costs what is declared and managed, not the account's history: this scope's marked
assignments come from two lists filtered on the scope mark (`meta.reconciler_scope`, plain and
protected: a [model] filter, so checked), and a declared select they leave unsettled is read
by the documented equality filters on its properties (`?id=…`, `?contactId=…`). A walk of
every assignment remains the fallback: when a select names only a `date`, when the walk is
cheaper (learnt from the first page's X-Total-Count), and when an answer shows the server does
not apply a filter. How pages are read is `previsto_listing`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, Unpack

import httpx

from reconciler.errors import PlanError
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
from reconciler.providers.marker import read_scope_mark, scope_mark
from reconciler.providers.previsto_listing import Assignment, AssignmentList
from reconciler.providers.previsto_select import (
    SelectIndex,
    read_selects,
    select_filters,
    settled,
)
from reconciler.redaction import register_secrets

log = logging.getLogger(__name__)

# Declared selects left unsettled by the scope's lists that are read one by one without first
# asking how long a walk would be: one or two reads cost no more than learning that.
DIRECT_READS = 2
KEY_META = "reconciler_key"
OWNED_META = "reconciler_owned"
SCOPE_META = "reconciler_scope"
RESERVED = frozenset({KEY_META, OWNED_META, SCOPE_META})

class PrevistoProvider(Provider):
    name = "previsto"
    kind = "assignments"
    merge_fields = frozenset({"metadata"})
    requests_per_minute = 120.0
    probe_path = "account"
    rate_window = 60.0  # "120 requests per minute" per key: a slot frees within a minute

    def __init__(
        self, *, settings: ProviderSettings, client: httpx.Client,
        **options: Unpack[ProviderOptions],
    ) -> None:
        super().__init__(settings=settings, client=client, **options)
        self.assignments = AssignmentList(self)
        # True once an answer shows the server ignores or misreads a list filter: the rest of
        # the run walks.
        self.filters_ignored = False
        # Whether the scope's protected mark answered anything at this provider's last refresh
        # (None: not asked yet), so that a long-running watch's sweeps list it only while it
        # matters: one list per sweep, not two.
        self.protected_found: bool | None = None

    @staticmethod
    def auth(settings: ProviderSettings) -> httpx.Auth:
        key = settings.settings.get("api_key", "")
        # The key travels as `Basic base64(key:)`: registering it registers that payload too
        # (`secret_forms`), so an error body repeating the header is redacted.
        register_secrets([key])
        return httpx.BasicAuth(key, "")

    def canonical(self, declared: DeclaredObject) -> DesiredObject:
        fields: dict[str, Any] = {}
        if "metadata" in declared.fields:
            metadata = declared.fields["metadata"] or {}
            # Previsto removes a key whose value is "" (as null): declared so, it means absent,
            # or every plan would send it again.
            fields["metadata"] = {str(k): None if v == "" else v for k, v in dict(metadata).items()}
        return self.desired_object(
            declared, fields, lookup=dict(declared.fields.get("select") or {})
        )

    # -- refresh ---------------------------------------------------------------------------------

    def refresh(self, desired: Sequence[DesiredObject]) -> list[RemoteObject]:
        """The declared assignments and every managed one, by the cheaper of two ways (README,
        "Refresh cost"): this scope's marked assignments by a metadata filter plus the declared
        selects they leave unsettled, or a walk of every assignment."""
        if self.scoped_applies(desired):
            found = self.scoped_refresh(desired)
            if found is not None:
                return found
        assignments = self.list_all()
        return self.gather(desired, assignments, assignments)

    def read_back(
        self, desired: Sequence[DesiredObject], *, also: Sequence[RemoteObject] = ()
    ) -> list[RemoteObject]:
        """The written assignments, by the scope marks they now carry alone (one filtered list
        where none is protected), and `also`'s by the marks they carried; a refresh where the
        filter cannot be relied on."""
        if not self.scoped_applies(desired):
            return self.refresh(desired)
        assert self.scope is not None
        marks = {scope_mark(self.scope, protected=item.protect) for item in desired}
        marks |= {scope_mark(self.scope, protected=remote.protected) for remote in also
                  if remote.scope == self.scope}
        managed: dict[str, Assignment] = {}
        for mark in sorted(marks):
            listed = self.filtered({f"meta.{SCOPE_META}": mark}, _marked_with(mark))
            if listed is None:
                return self.refresh(desired)
            managed.update((item["id"], item) for item in listed)
        if not all(settled(item, managed) for item in desired) or any(
            remote.remote_id not in managed for remote in also
        ):
            # A write that did not hold, an object the filter no longer answers, or a server
            # that answers the filter with nothing: only a walk is sure.
            assignments = self.list_all()
            return self.gather(desired, assignments, assignments)
        marked = list(managed.values())
        return self.gather(desired, marked, marked)

    def list_all(self) -> list[Assignment]:
        """Every assignment of the account."""
        return self.assignments.walk()

    def gather(
        self, desired: Sequence[DesiredObject], pool: Sequence[Assignment],
        marked: Sequence[Assignment],
    ) -> list[RemoteObject]:
        """Each declared assignment's one match in `pool`, and every other assignment of
        `marked` that carries a key (of any scope: the engine sorts them into this scope's,
        undeclared or extras of a declared key, other scopes' and those of before scopes)."""
        selected = self.resolve(desired, pool)
        found: list[RemoteObject] = []
        claimed: set[str] = set()
        for item in desired:
            assignment = selected[item.key]
            claimed.add(str(assignment["id"]))
            # Read under the key it carries when that is a previous one: refresh sees the rename.
            carried = _meta(assignment).get(KEY_META)
            key = carried if carried in item.previous_keys else item.key
            found.append(replace(self.remote(assignment, str(key)), selected=True))
        for assignment in marked:
            key = _meta(assignment).get(KEY_META)
            if isinstance(key, str) and str(assignment["id"]) not in claimed:
                found.append(self.remote(assignment, key))
        return found

    def scoped_applies(self, desired: Sequence[DesiredObject]) -> bool:
        """Whether a scoped refresh can be complete: the configuration has a scope, the server
        has not shown it ignores the filters, and every select names a filterable property."""
        return (
            self.scope is not None
            and not self.filters_ignored
            and all(select_filters(item) for item in desired)
        )

    def scoped_refresh(self, desired: Sequence[DesiredObject]) -> list[RemoteObject] | None:
        """This scope's marked assignments (two filtered lists: the scope's mark, plain and
        protected) and the declared selects they leave unsettled; None when only a walk can be
        complete (nothing shows the server reads the metadata filter, or it did not)."""
        assert self.scope is not None
        # The protected mark is listed on a first refresh, while something declared is
        # protected, or while the last one found it. Otherwise only this scope's own applies
        # could have written it, and a select they left unsettled is still read below.
        protected = self.protected_found is not False or any(i.protect for i in desired)
        marks = {scope_mark(self.scope, protected=flag) for flag in {False, protected}}
        managed: dict[str, Assignment] = {}
        for mark in sorted(marks):
            listed = self.filtered({f"meta.{SCOPE_META}": mark}, _marked_with(mark))
            if listed is None:
                return None
            managed.update((item["id"], item) for item in listed)
            if mark != self.scope:
                self.protected_found = bool(listed)
        if desired and not managed:
            # An empty answer cannot tell "nothing marked yet" from a server that does not read
            # the [model] metadata filter: only a walk is sure (a first run, or all new).
            log.info("previsto: no assignment answered this scope's metadata filter; walking "
                     "every assignment")
            return None
        pool = dict(managed)
        unsettled = [item for item in desired if not settled(item, pool)]
        if len(unsettled) > DIRECT_READS:
            # Reading them one by one may cost more than a walk, whose size only the first
            # page tells (X-Total-Count): read it, then take the cheaper of the rest.
            first = self.assignments.first_page()
            if not self.unmarked_here(first[0], managed, marks):
                return None
            pool.update((item["id"], item) for item in first[0])
            unsettled = [item for item in unsettled if not settled(item, pool)]
            left = self.assignments.pages_left(first)
            if unsettled and (left is None or left <= len(unsettled)):
                assignments = self.assignments.walk(first=first)
                return self.gather(desired, assignments, assignments)
        reads = read_selects(self.filtered, unsettled)
        if reads is None:
            return None
        for read in reads:
            pool.update((item["id"], item) for item in read)
        if not self.unmarked_here(list(pool.values()), managed, marks):
            return None
        protected_mark = scope_mark(self.scope, protected=True)
        if any(_meta(item).get(SCOPE_META) == protected_mark for item in pool.values()):
            self.protected_found = True  # a select found one: the next refresh lists them
        return self.gather(desired, list(pool.values()), list(managed.values()))

    def filtered(
        self, filters: Mapping[str, str], honoured: Callable[[Assignment], bool]
    ) -> list[Assignment] | None:
        """A filtered list, walked whole once its first page shows the server applied the
        filter; None (and the filters given up for the run) when that page shows it did not."""
        first = self.assignments.first_page(filters)
        if not all(honoured(item) for item in first[0]):
            log.info("previsto: GET /assignments answered assignments that do not match %s: "
                     "the server ignores the filter; walking every assignment for the rest "
                     "of this run", ", ".join(f"{k}={v}" for k, v in filters.items()))
            self.filters_ignored = True
            return None
        return self.assignments.walk(filters, first=first)

    def unmarked_here(
        self, read: Sequence[Assignment], managed: Mapping[str, Assignment], marks: set[str]
    ) -> bool:
        """False (the filters given up for the run) when an assignment read otherwise carries
        this scope's mark but the metadata filter did not answer it: the server misreads it."""
        for item in read:
            if _meta(item).get(SCOPE_META) in marks and item["id"] not in managed:
                log.info("previsto: assignment %s carries this scope's mark, but the metadata "
                         "filter did not answer it; walking every assignment for the rest of "
                         "this run", item["id"])
                self.filters_ignored = True
                return False
        return True

    def resolve(
        self, desired: Sequence[DesiredObject], assignments: Sequence[Assignment]
    ) -> dict[str, Assignment]:
        """Each declared assignment's one match, or a PlanError listing every bad `select`."""
        problems: list[str] = []
        selected: dict[str, dict[str, Any]] = {}
        owners: dict[str, str] = {}
        index = SelectIndex(assignments)
        for item in desired:
            select = self.select_of(item)
            matches = index.matches(select)
            if len(matches) != 1:
                problems.append(
                    f"{_where(item)}assignments.{item.key}: select {select} matches "
                    f"{len(matches)} assignments; it must match exactly one"
                )
                continue
            assignment = matches[0]
            meta = _meta(assignment)
            marked = meta.get(KEY_META)
            if isinstance(marked, str) and marked not in (item.key, *item.previous_keys):
                problems.append(
                    f"{_where(item)}assignments.{item.key}: assignment {assignment['id']} is "
                    f"already managed as {marked!r}"
                )
                continue
            scope, _ = read_scope_mark(meta.get(SCOPE_META))
            if isinstance(marked, str) and scope is not None and scope != self.scope:
                problems.append(
                    f"{_where(item)}assignments.{item.key}: assignment {assignment['id']} is "
                    f"managed by the scope {scope!r}; select another one, or remove this entry"
                )
                continue
            if assignment["id"] in owners:
                problems.append(
                    f"{_where(item)}assignments.{item.key}: assignment {assignment['id']} is also "
                    f"selected by {owners[assignment['id']]!r}"
                )
                continue
            owners[assignment["id"]] = item.key
            selected[item.key] = assignment
        if problems:
            raise PlanError("\n".join(problems))
        return selected

    def select_of(self, item: DesiredObject) -> dict[str, Any]:
        return dict(item.lookup)

    def remote(self, assignment: Mapping[str, Any], key: str) -> RemoteObject:
        meta = _meta(assignment)
        owned_text = meta.get(OWNED_META)
        marked = meta.get(KEY_META) == key
        owned = _owned_metadata(owned_text) if isinstance(owned_text, str) and marked else None
        scope, protected = read_scope_mark(meta.get(SCOPE_META)) if marked else (None, False)
        return RemoteObject(
            kind=self.kind,
            key=key,
            remote_id=str(assignment["id"]),
            fields={"metadata": {k: v for k, v in meta.items() if k not in RESERVED}},
            owned=owned,
            state="managed" if marked else "unmarked",
            # No documented field says when an assignment last changed: `timestamp` is a
            # deprecated alias of plan.executionTime, a local execution time.
            updated_at=None,
            scope=scope,
            protected=protected,
            created_at=assignment.get("createdDate"),
        )

    # -- writes ----------------------------------------------------------------------------------

    def create_calls(self, desired: DesiredObject) -> tuple[HttpCall, ...]:
        raise PlanError(f"assignments.{desired.key}: Previsto assignments cannot be created")

    def update_plan(
        self, current: RemoteObject, desired: DesiredObject, changes: Sequence[FieldChange]
    ) -> UpdatePlan:
        edit: dict[str, Any] = {}
        for change in changes:
            if change.name == "metadata" and isinstance(change.after, Mapping):
                edit.update(change.after)
        declared = desired.fields.get("metadata")
        owned = ",".join(sorted(declared)) if isinstance(declared, Mapping) else ""
        if current.state != "managed" or current.moved_from is not None:
            edit[KEY_META] = desired.key
        recorded = sorted(name.partition(".")[2] for name in current.owned or ())
        if current.state != "managed" or ",".join(recorded) != owned:
            edit[OWNED_META] = owned or None
        if current.state != "managed" or self.marker_stale(current, desired):
            mark = self.mark(desired)
            if mark is not None:
                edit[SCOPE_META] = mark
        return UpdatePlan(
            action=Action.UPDATE,
            requests=(self.meta_call(current, edit),),
            reason="metadata differs from the configuration",
        )

    def meta_call(self, current: RemoteObject, edit: Mapping[str, Any]) -> HttpCall:
        """The `PUT` that applies `edit` (None: remove the key) to `current`'s metadata.

        Previsto's docs never say whether a passed `meta` merges into the stored one or
        replaces it, so the body carries the whole resulting object: what was read, with the
        edit applied and each removed key as `null`. A merging server and a replacing one then
        hold the same metadata, and no other integration's key is lost either way.
        """
        meta: dict[str, Any] = {**read_meta(current), **edit}
        return HttpCall(
            method="PUT",
            path=f"/assignments/{current.remote_id}",
            body={"meta": {key: meta[key] for key in sorted(meta)}},
        )

    def removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        owned = sorted(name.partition(".")[2] for name in current.owned or ())
        removed: dict[str, Any] = dict.fromkeys(owned)
        removed.update(dict.fromkeys(RESERVED))
        return Action.DELETE, (self.meta_call(current, removed),)

    # -- import and adoption ---------------------------------------------------------------------

    def list_unmanaged(self) -> list[RemoteObject]:
        found: list[RemoteObject] = []
        for assignment in self.list_all():
            if isinstance(_meta(assignment).get(KEY_META), str):
                continue
            tasks = assignment.get("tasks")
            first = tasks[0] if isinstance(tasks, list) and tasks else {}
            first = first if isinstance(first, Mapping) else {}
            plan = assignment.get("plan") or {}
            # The first task's description is the name a key is derived from.
            remote = self.remote(assignment, str(first.get("description") or "assignment"))
            when = plan.get("executionTime") if isinstance(plan, Mapping) else None
            # A local time without offset or zone: its day is what import can order and filter by.
            day = when[:10] if isinstance(when, str) and len(when) >= 10 else None
            found.append(replace(remote, starts_at=day))
        return found

    def declared_from_remote(self, remote: RemoteObject) -> dict[str, Any]:
        return {"select": {"id": remote.remote_id}, "metadata": dict(remote.fields["metadata"])}

    def adopt_calls(self, current: RemoteObject, desired: DesiredObject) -> tuple[HttpCall, ...]:
        # Only the two reserved keys: the metadata itself is already what the YAML declares.
        declared = desired.fields.get("metadata")
        owned = ",".join(sorted(declared)) if isinstance(declared, Mapping) else ""
        meta = {KEY_META: desired.key, OWNED_META: owned or None}
        mark = self.mark(desired)
        if mark is not None:
            meta[SCOPE_META] = mark
        return (self.meta_call(current, meta),)


def _marked_with(mark: str) -> Callable[[Assignment], bool]:
    return lambda assignment: _meta(assignment).get(SCOPE_META) == mark


def read_meta(current: RemoteObject) -> dict[str, Any]:
    """The whole metadata `current` was read with: every key but ours as listed, and our
    reserved keys as its marker reads (a marker is read back to the same meaning)."""
    meta = dict(current.fields.get("metadata") or {})
    if current.state != "managed":
        # Not ours yet: the reserved keys it may hold (another key's) are written anew or
        # removed, never kept half.
        return {**meta, **dict.fromkeys(RESERVED)}
    meta[KEY_META] = current.key
    owned = ",".join(sorted(name.partition(".")[2] for name in current.owned or ()))
    meta[OWNED_META] = owned or None
    if current.scope is not None:
        meta[SCOPE_META] = scope_mark(current.scope, protected=current.protected)
    return meta


def _meta(assignment: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = assignment.get("meta") or {}
    return meta if isinstance(meta, Mapping) else {}


def _where(item: DesiredObject) -> str:
    """`assignments.yaml:12:5: ` before a problem with a declared assignment."""
    return f"{item.location}: " if item.location else ""


@lru_cache(maxsize=1024)
def _owned_metadata(owned_text: str) -> frozenset[str]:
    """`crew,po_number` -> {metadata.crew, metadata.po_number}; one shared set per distinct text."""
    return frozenset(f"metadata.{name}" for name in owned_text.split(",") if name)

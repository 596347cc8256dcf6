"""Previsto assignment metadata: Basic auth, zero-based pages, partial `PUT` of `meta`.

Assignments exist already (Previsto generates them, or someone creates them by hand); a declared
assignment `select`s exactly one, and the reconciler manages only metadata keys. It marks the
assignment with three reserved keys: `reconciler_key` (our key), `reconciler_owned` (the keys we
set, comma-separated), so a key removed from YAML is removed remotely while keys set by anyone
else are never touched, and `reconciler_scope` (the scope mark: `team-a`, or `team-a (protected)`).

Listing reads what the docs promise and no more: a bare JSON array per page and the
`X-Total-Count` header (without it, pages are read until a short one); never the `Link` header.
Previsto's API reference allows pages of 100, its newer developer pages 1000: the walk asks for
1000 (at 120 requests a minute, ten times fewer pages) and, on a 400 naming `size`, reads pages
of 100 for the rest of the run. A server that silently serves fewer than asked is paged by what
it serves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from typing import Any

import httpx

from reconciler.errors import PlanError, ResponseError
from reconciler.model import (
    Action,
    DeclaredObject,
    DesiredObject,
    FieldChange,
    HttpCall,
    ProviderSettings,
    RemoteObject,
)
from reconciler.providers.base import Provider, UpdatePlan, expect
from reconciler.providers.marker import read_scope_mark

log = logging.getLogger(__name__)

PAGE_LARGE = 1000  # the newer developer pages' maximum
PAGE_DOCUMENTED = 100  # the API reference's maximum, which every Previsto serves
READ_AHEAD = 4  # pages in flight during a walk, once the first page has told the total
KEY_META = "reconciler_key"
OWNED_META = "reconciler_owned"
SCOPE_META = "reconciler_scope"
RESERVED = frozenset({KEY_META, OWNED_META, SCOPE_META})
# A list request's refusals this module reads itself (a 400 may name `size`).
REFUSALS = frozenset({400})

# `select` filter names (YAML) → assignment properties; `date` is plan.executionTime's day.
SELECT_FIELDS = {
    "id": "id",
    "contact_id": "contactId",
    "paying_contact_id": "payingContactId",
    "account_id": "accountId",
    "remote_order_id": "remoteOrderId",
    "status": "status",
    "action": "action",
}


class PrevistoProvider(Provider):
    name = "previsto"
    kind = "assignments"
    merge_fields = frozenset({"metadata"})
    requests_per_minute = 120.0
    probe_path = "account"
    rate_window = 60.0  # "120 requests per minute" per key: a slot frees within a minute

    def __init__(
        self, *, settings: ProviderSettings, client: httpx.Client, scope: str | None = None
    ) -> None:
        super().__init__(settings=settings, client=client, scope=scope)
        # The page size this run asks for; falls back once, for the run, if refused.
        self.page_size = PAGE_LARGE

    @staticmethod
    def auth(settings: ProviderSettings) -> httpx.Auth:
        return httpx.BasicAuth(settings.settings.get("api_key", ""), "")

    def canonical(self, declared: DeclaredObject) -> DesiredObject:
        fields: dict[str, Any] = {}
        if "metadata" in declared.fields:
            metadata = declared.fields["metadata"] or {}
            fields["metadata"] = {str(k): v for k, v in dict(metadata).items()}
        return self.desired_object(
            declared, fields, lookup=dict(declared.fields.get("select") or {})
        )

    # -- refresh ---------------------------------------------------------------------------------

    def refresh(self, desired: Sequence[DesiredObject]) -> list[RemoteObject]:
        assignments = self.list_all()
        selected = self.resolve(desired, assignments)
        found: list[RemoteObject] = []
        claimed: set[str] = set()
        for item in desired:
            assignment = selected[item.key]
            claimed.add(str(assignment["id"]))
            found.append(replace(self.remote(assignment, item.key), selected=True))
        # Every other marked assignment, of every scope: the engine sorts them into this scope's
        # (undeclared, or extras of a declared key), other scopes' and those of before scopes.
        for assignment in assignments:
            meta = assignment.get("meta") or {}
            key = meta.get(KEY_META) if isinstance(meta, Mapping) else None
            if isinstance(key, str) and str(assignment["id"]) not in claimed:
                found.append(self.remote(assignment, key))
        return found

    def list_all(self) -> list[dict[str, Any]]:
        """Walk every page; walk again (at most twice) if the total changes mid-walk."""
        for _attempt in range(3):
            assignments = self._walk()
            if assignments is not None:
                return assignments
            log.info("previsto: /assignments changed during the walk; walking it again")
        raise ResponseError(
            self.name, "GET /assignments", "the list kept changing during the walk; try again"
        )

    def _walk(self) -> list[dict[str, Any]] | None:
        """Read every page, or None when the total moved between pages (walk again).

        Once the first page has told the total, the rest are read a few at a time (within the
        same pacing) and taken in order.
        """
        assignments: dict[str, dict[str, Any]] = {}
        body, total = self._page(0)
        self._take(body, assignments)
        size = self._served_size(len(body), total)
        if total is None:  # no X-Total-Count: page on until a short (or empty) page
            page = 1
            while body and len(body) >= size:
                body, _ = self._page(page)
                self._take(body, assignments)
                page += 1
            return list(assignments.values())
        pages = range(1, -(-total // size))
        # The pool only waits on the network; pages are decoded here, on one thread, which also
        # keeps their memory in one allocator arena.
        with ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="previsto-page") as pool:
            for response in pool.map(self._fetch, pages):
                body, now_total = self._read(response)
                if now_total is not None and now_total != total:
                    return None
                self._take(body, assignments)
        return list(assignments.values())

    def _served_size(self, first: int, total: int | None) -> int:
        """How many assignments a page holds: what was asked, unless the first page shows less.

        A first page shorter than both the size asked and the total means the server caps pages
        below what it was asked without saying so; its pages are then that long.
        """
        asked = self.page_size
        capped = first < asked and (total is None or first < total)
        if not capped or first == 0:
            return asked
        if total is not None:
            log.info("previsto: asked for pages of %d, the server serves %d; paging by that",
                     asked, first)
        return first

    def _page(self, page: int) -> tuple[list[Any], int | None]:
        return self._read(self._fetch(page))

    def _fetch(self, page: int) -> httpx.Response:
        params = {"page": str(page), "size": str(self.page_size)}
        response = self.request("GET", "assignments", params=params, allow=REFUSALS)
        refused_size = response.status_code == 400 and _refused_param(response) == "size"
        if refused_size and self.page_size > PAGE_DOCUMENTED:
            log.info("previsto: the server refused pages of %d (400 naming size); reading pages "
                     "of %d for the rest of this run", self.page_size, PAGE_DOCUMENTED)
            self.list_requests += 1
            self.page_size = PAGE_DOCUMENTED
            return self._fetch(page)
        if response.status_code in REFUSALS:
            raise ResponseError(
                self.name,
                "GET /assignments",
                f"{response.status_code} {self.error_message(response)}",
                status=response.status_code,
            )
        return response

    def _read(self, response: httpx.Response) -> tuple[list[Any], int | None]:
        """One page of assignments and the X-Total-Count it was read with."""
        body = self.decode(response, "GET /assignments")
        expect(isinstance(body, list), self.name, "GET /assignments", "expected a JSON array")
        header = response.headers.get("X-Total-Count", "").strip()
        return body, int(header) if header.isdigit() else None

    def _take(self, body: list[Any], assignments: dict[str, dict[str, Any]]) -> None:
        """Keep one page's assignments (by id) and count its request."""
        self.list_requests += 1
        for assignment in body:
            expect(
                isinstance(assignment, dict) and isinstance(assignment.get("id"), str),
                self.name,
                "GET /assignments",
                "an assignment without an id",
            )
            assignments[assignment["id"]] = assignment
        self.page_read(len(assignments))

    def resolve(
        self, desired: Sequence[DesiredObject], assignments: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Each declared assignment's one match, or a PlanError listing every bad `select`."""
        problems: list[str] = []
        selected: dict[str, dict[str, Any]] = {}
        owners: dict[str, str] = {}
        index = _SelectIndex(assignments)
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
            meta = assignment.get("meta") or {}
            marked = meta.get(KEY_META) if isinstance(meta, Mapping) else None
            if isinstance(marked, str) and marked != item.key:
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
        meta = assignment.get("meta") or {}
        meta = meta if isinstance(meta, Mapping) else {}
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
            updated_at=assignment.get("timestamp"),
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
        meta: dict[str, Any] = {}
        for change in changes:
            if change.name == "metadata" and isinstance(change.after, Mapping):
                meta.update(change.after)
        declared = desired.fields.get("metadata")
        owned = ",".join(sorted(declared)) if isinstance(declared, Mapping) else ""
        if current.state != "managed":
            meta[KEY_META] = desired.key
        recorded = sorted(name.partition(".")[2] for name in current.owned or ())
        if current.state != "managed" or ",".join(recorded) != owned:
            meta[OWNED_META] = owned or None
        if current.state != "managed" or self.marker_stale(current, desired):
            mark = self.mark(desired)
            if mark is not None:
                meta[SCOPE_META] = mark
        return UpdatePlan(
            action=Action.UPDATE,
            requests=(
                HttpCall(
                    method="PUT", path=f"/assignments/{current.remote_id}", body={"meta": meta}
                ),
            ),
            reason="metadata differs from the configuration",
        )

    def removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        owned = sorted(name.partition(".")[2] for name in current.owned or ())
        meta: dict[str, Any] = dict.fromkeys(owned)
        meta.update(dict.fromkeys(RESERVED))
        return Action.DELETE, (
            HttpCall(method="PUT", path=f"/assignments/{current.remote_id}", body={"meta": meta}),
        )

    # -- import and adoption ---------------------------------------------------------------------

    def list_unmanaged(self) -> list[RemoteObject]:
        found: list[RemoteObject] = []
        for assignment in self.list_all():
            meta = assignment.get("meta") or {}
            if isinstance(meta, Mapping) and isinstance(meta.get(KEY_META), str):
                continue
            tasks = assignment.get("tasks") or [{}]
            first = tasks[0] if isinstance(tasks[0], Mapping) else {}
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
        return (
            HttpCall(method="PUT", path=f"/assignments/{current.remote_id}", body={"meta": meta}),
        )


class _SelectIndex:
    """Assignments grouped by the value of each `select` field, built on first use.

    Resolving 10,000 selects against 10,000 assignments by scanning is 10^8 comparisons; with the
    groups, each select looks up its first filter and checks the few candidates left.
    """

    def __init__(self, assignments: list[dict[str, Any]]) -> None:
        self.assignments = assignments
        self.groups: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def matches(self, select: Mapping[str, Any]) -> list[dict[str, Any]]:
        if not select:
            return list(self.assignments)
        first, wanted = next(iter(select.items()))
        return [
            assignment
            for assignment in self._group(first).get(str(wanted), [])
            if all(_value(assignment, name) == str(value) for name, value in select.items())
        ]

    def _group(self, name: str) -> dict[str, list[dict[str, Any]]]:
        if name not in self.groups:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for assignment in self.assignments:
                grouped.setdefault(_value(assignment, name), []).append(assignment)
            self.groups[name] = grouped
        return self.groups[name]


def _refused_param(response: httpx.Response) -> str | None:
    """The `param` a Previsto error body names, if it is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    param = body.get("param") if isinstance(body, dict) else None
    return param if isinstance(param, str) else None


def _where(item: DesiredObject) -> str:
    """`assignments.yaml:12:5: ` before a problem with a declared assignment."""
    return f"{item.location}: " if item.location else ""


@lru_cache(maxsize=1024)
def _owned_metadata(owned_text: str) -> frozenset[str]:
    """`crew,po_number` -> {metadata.crew, metadata.po_number}; one shared set per distinct text."""
    return frozenset(f"metadata.{name}" for name in owned_text.split(",") if name)


def _value(assignment: Mapping[str, Any], name: str) -> str:
    """The assignment's value for a `select` field, as text (`date`: executionTime's day)."""
    if name == "date":
        plan = assignment.get("plan") or {}
        when = plan.get("executionTime") if isinstance(plan, Mapping) else None
        return when[:10] if isinstance(when, str) else ""
    return str(assignment.get(SELECT_FIELDS.get(name, name)))

"""How a Previsto list request reads: `page`/`size`, equality filters, `sort`, and the next link.

`page` is zero-based (0..2147483647), `size` 1..max (default 20; the maximum is the sandbox's
`previsto_max_page_size`, 100 unless set: Previsto's reference says 100, its newer developer
pages 1000). Any other parameter is an equality filter on a scalar property (`status=Invoiced`,
`plan.executionTime=...`, `address.city=Aalborg`) or on a metadata key (`meta.route=R7`); an
empty value matches null or absent. `sort=<property>[,asc|desc]` may repeat; ties, and lists
without `sort`, keep creation order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from reconciler.sandbox.previsto.errors import bad_request
from reconciler.sandbox.previsto.meta import key_problem
from reconciler.sandbox.previsto.records import QueryKind, Resource

DEFAULT_SIZE = 20
MAX_PAGE = 2**31 - 1
_DIGITS = re.compile(r"^[0-9]{1,10}$")
_INTEGER = re.compile(r"^-?[0-9]{1,19}$")
_INT64 = 2**63


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """One list request, checked: the slice wanted, its filters and its order."""

    page: int
    size: int
    where: dict[str, object]
    order_by: list[tuple[str, bool]]

    @property
    def offset(self) -> int:
        return self.page * self.size


def parse_list_query(
    resource: Resource, items: Sequence[tuple[str, str]], *, max_size: int
) -> ListQuery:
    """Check a list request's query parameters; any mistake is a 400 naming the parameter."""
    page, size = 0, DEFAULT_SIZE
    where: dict[str, object] = {}
    order_by: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for name, value in items:
        if name == "sort":
            order_by.append(_sort_key(resource, value))
            continue
        if name in seen:
            raise bad_request(f"'{name}' was given more than once.", param=name)
        seen.add(name)
        if name == "page":
            page = _bounded(name, value, 0, MAX_PAGE)
        elif name == "size":
            size = _bounded(name, value, 1, max_size)
        else:
            where[name] = _filter_value(name, value, _kind(resource, name, param=name))
    return ListQuery(page=page, size=size, where=where, order_by=order_by)


def next_link(url: str, items: Sequence[tuple[str, str]], query: ListQuery) -> str:
    """The `Link` header value for the next page: the same request, `page` one further."""
    following = [(name, value) for name, value in items if name not in ("page", "size")]
    following += [("page", str(query.page + 1)), ("size", str(query.size))]
    return f'<{url}?{urlencode(following, safe=",:")}>; rel="next"'


def _bounded(name: str, value: str, low: int, high: int) -> int:
    number = int(value) if _DIGITS.fullmatch(value) else -1
    if not low <= number <= high:
        raise bad_request(f"'{name}' must be an integer from {low} to {high}.", param=name)
    return number


def _kind(resource: Resource, path: str, *, param: str) -> QueryKind:
    if path.startswith("meta."):
        problem = key_problem(path[len("meta."):])
        if problem is not None:
            raise bad_request(f"Invalid metadata filter '{path}': {problem}.", param=param)
        return "string"
    kind = resource.queryable().get(path)
    if kind is not None:
        return kind
    if path in resource.properties:
        raise bad_request(
            f"'{path}' is not a scalar property: filter and sort on scalar properties "
            f"or on meta.<key>.",
            param=param,
        )
    raise bad_request(f"Unknown {resource.singular} property '{path}'.", param=param)


def _filter_value(name: str, value: str, kind: QueryKind) -> object:
    if value == "":
        return None
    if kind == "integer":
        if not _INTEGER.fullmatch(value) or not -_INT64 <= int(value) < _INT64:
            raise bad_request(f"'{name}' must be an integer.", param=name)
        return int(value)
    return value


def _sort_key(resource: Resource, value: str) -> tuple[str, bool]:
    # The direction is what follows the last comma when it is asc or desc; otherwise the whole
    # value is the property (a metadata key may itself hold a comma).
    path, comma, direction = value.rpartition(",")
    if not comma or direction.lower() not in ("asc", "desc"):
        path, direction = value, "asc"
    if not path:
        raise bad_request(
            "'sort' must be <property>,asc or <property>,desc, e.g. timestamp,desc.",
            param="sort",
        )
    _kind(resource, path, param="sort")
    return path, direction.lower() == "asc"

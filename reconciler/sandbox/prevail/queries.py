"""The query parameters of Prevail's lists and of cancel, validated (bad ones answer 400).

Lists take `page` (1-based), `per_page` (default 100; above 1000 clamped to 1000), `state`, and
a `start_time` / `end_time` window in Unix seconds; cancel takes `cancel_without_email`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from reconciler.sandbox.prevail.errors import Findings, PrevailError
from reconciler.sandbox.prevail.validation import STATES

MAX_PER_PAGE: Final = 1000
DEFAULT_PER_PAGE: Final = 100

_INTEGER = re.compile(r"-?[0-9]{1,100}")
_EPOCH = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?")


@dataclass(frozen=True)
class Listing:
    """A validated list query: 1-based page, clamped per_page, optional state and time window."""

    page: int
    per_page: int
    state: str | None
    window_start: float | None
    window_end: float | None


def parse_listing(params: Mapping[str, str], *, with_window: bool = True) -> Listing:
    """`page`, `per_page`, `state`, `start_time`, `end_time` of a list request."""
    findings = Findings()
    page = _integer(findings, params, "page", default=1)
    per_page = _integer(findings, params, "per_page", default=DEFAULT_PER_PAGE)
    state = params.get("state")
    if state is not None and state not in STATES:
        findings.bad_shape("state", f"is not included in the list ({', '.join(STATES)})")
    start = _epoch(findings, params, "start_time") if with_window else None
    end = _epoch(findings, params, "end_time") if with_window else None
    findings.raise_if_any()
    return Listing(
        page=page,
        per_page=min(per_page, MAX_PER_PAGE),
        state=state,
        window_start=start,
        window_end=end,
    )


def _integer(findings: Findings, params: Mapping[str, str], name: str, *, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        findings.bad_shape(name, "must be an integer")
        return default
    value = int(raw)
    if value < 1:
        findings.bad_shape(name, "must be greater than or equal to 1")
        return default
    return value


def _epoch(findings: Findings, params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    value = float(raw) if _EPOCH.fullmatch(raw) else math.nan
    if not math.isfinite(value):
        findings.bad_shape(name, "must be a Unix time in seconds")
        return None
    return value


def parse_cancel_flag(params: Mapping[str, str]) -> bool:
    """`cancel_without_email=true|false` (default false)."""
    raw = params.get("cancel_without_email")
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise PrevailError(
        400,
        "Bad request: cancel_without_email must be true or false",
        {"cancel_without_email": ["must be true or false"]},
    )

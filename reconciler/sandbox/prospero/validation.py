"""Prospero's event on the wire: field validation, canonical form, UTC instants and merge patch.

Everything here is pure: handlers in `routes.py` hand in decoded JSON and get back either a
validated event in canonical form or a `ProsperoError` carrying the status and message Prospero
answers with (`{"status": 400, "error": "events[2].start: ..."}`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Writable fields in the order the wire document lists them.
EVENT_FIELDS = (
    "title",
    "details",
    "start",
    "end",
    "allDay",
    "isDraft",
    "flagged",
    "status",
    "location",
    "capacity",
    "customFields",
)
READ_ONLY_FIELDS = ("id", "orgId", "createdAt", "lastUpdatedAt", "archivedAt")
REQUIRED_FIELDS = ("title", "start", "end")
LOCATION_FIELDS = ("name", "address")
STATUSES = (0, 1, 2)  # CONFIRMED, TENTATIVE, CANCELLED

MAX_TITLE = 500
MAX_DETAILS = 65_536
MAX_LOCATION_NAME = 500
MAX_LOCATION_ADDRESS = 1_000
MAX_CAPACITY = 2_147_483_647
MAX_CUSTOM_FIELDS = 50
MAX_CUSTOM_STRING = 2_000
# Integers beyond 2**53 do not survive a round trip through JavaScript clients or SQLite's JSON.
MAX_SAFE_INTEGER = 2**53 - 1
CUSTOM_FIELD_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)

_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z",
    re.ASCII,
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86_400.0


class ProsperoError(Exception):
    """A failure answered with Prospero's error body and the same HTTP status."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_body(status: int, message: str) -> dict[str, Any]:
    """Prospero's `APIError` shape; the HTTP status is repeated in the body."""
    return {"status": status, "error": message}


def bad_request(message: str) -> ProsperoError:
    return ProsperoError(400, message)


# -- instants -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instant:
    """A validated UTC date-time or date, with its canonical wire text and epoch seconds."""

    text: str
    epoch: float
    date_only: bool


def parse_instant(value: object, *, field: str, allow_date: bool = False) -> Instant:
    """Parse Prospero's UTC-only format; any offset (even +00:00) or a naive time is refused."""
    expected = "a UTC date-time 'YYYY-MM-DDThh:mm:ssZ'"
    if allow_date:
        expected += " or a date 'YYYY-MM-DD'"
    if not isinstance(value, str):
        raise bad_request(f"{field}: must be {expected}")
    match = _DATE_TIME.fullmatch(value)
    if match is not None:
        year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
        fraction = match.group(7) or ""
        try:
            moment = datetime(
                year, month, day, hour, minute, second,
                int(fraction.ljust(6, "0")) if fraction else 0, tzinfo=UTC,
            )
        except ValueError:
            raise bad_request(f"{field}: {value!r} is not a valid date-time") from None
        return Instant(format_instant(moment), (moment - _EPOCH).total_seconds(), False)
    match = _DATE.fullmatch(value) if allow_date else None
    if match is not None:
        try:
            year, month, day = (int(part) for part in match.groups())
            moment = datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            raise bad_request(f"{field}: {value!r} is not a valid date") from None
        return Instant(value, (moment - _EPOCH).total_seconds(), True)
    raise bad_request(f"{field}: must be {expected}")


def format_instant(moment: datetime) -> str:
    """Canonical text: whole seconds, or the fraction without trailing zeros; always `Z`."""
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def timestamp(epoch: float) -> str:
    """A server timestamp (`createdAt`, `lastUpdatedAt`): whole seconds in UTC."""
    return format_instant(datetime.fromtimestamp(int(epoch), tz=UTC))


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidEvent:
    """The writable part of an event in canonical wire form, plus its time span."""

    content: dict[str, Any]
    start: Instant
    end: Instant

    @property
    def span(self) -> tuple[float, float]:
        """Epoch seconds covered; a date-only end is inclusive, so it runs to the next midnight."""
        end = self.end.epoch + (_DAY if self.end.date_only else 0.0)
        return self.start.epoch, end


def check_fields(body: Mapping[str, Any], *, where: str = "") -> None:
    """Refuse read-only and unknown fields by name (first in alphabetical order)."""
    for name in sorted(body):
        if name in READ_ONLY_FIELDS:
            raise bad_request(f"{where}{name}: read-only field")
        if name not in EVENT_FIELDS:
            raise bad_request(f"{where}{name}: unknown field")


def validate_event(body: object, *, where: str = "") -> ValidEvent:
    """Validate a whole event (a create body or a merged patch) and put it in canonical form.

    Top-level `null` means "not set" (absent from the result); `status` then defaults to 0.
    """
    if not isinstance(body, Mapping):
        raise bad_request(f"{where[:-1] if where else 'event'}: must be a JSON object")
    check_fields(body, where=where)
    for name in REQUIRED_FIELDS:
        if body.get(name) is None:
            raise bad_request(f"{where}{name}: is required")
    content: dict[str, Any] = {"title": _title(body["title"], where)}
    if body.get("details") is not None:
        content["details"] = _string(body["details"], f"{where}details", MAX_DETAILS)
    all_day = body.get("allDay")
    if all_day is not None and not isinstance(all_day, bool):
        raise bad_request(f"{where}allDay: must be a boolean")
    start = parse_instant(body["start"], field=f"{where}start", allow_date=all_day is True)
    end = parse_instant(body["end"], field=f"{where}end", allow_date=all_day is True)
    content["start"], content["end"] = start.text, end.text
    for name in ("allDay", "isDraft", "flagged"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise bad_request(f"{where}{name}: must be a boolean")
        content[name] = value
    content["status"] = _status(body.get("status"), where)
    if body.get("location") is not None:
        content["location"] = _location(body["location"], where)
    if body.get("capacity") is not None:
        content["capacity"] = _capacity(body["capacity"], where)
    if body.get("customFields") is not None:
        content["customFields"] = _custom_fields(body["customFields"], where)
    valid = ValidEvent(content=content, start=start, end=end)
    span_start, span_end = valid.span
    # A date-only end covers its whole day, so it must end strictly after the start.
    if span_end < span_start or (end.date_only and span_end <= span_start):
        raise ProsperoError(422, f"{where}end: must not be before start")
    return valid


def validate_patch(patch: object) -> dict[str, Any]:
    """Check a merge patch's shape before merging, so that merging stays shallow and safe.

    Whole-document rules (types of scalars, end after start) are checked on the merged result.
    """
    if not isinstance(patch, dict):
        raise bad_request("merge patch must be a JSON object")
    check_fields(patch)
    for name in REQUIRED_FIELDS:
        if name in patch and patch[name] is None:
            raise bad_request(f"{name}: is required and cannot be removed")
    location = patch.get("location")
    if isinstance(location, dict):
        for key, value in location.items():
            if key not in LOCATION_FIELDS:
                raise bad_request(f"location.{key}: unknown field")
            if value is not None and not isinstance(value, str):
                raise bad_request(f"location.{key}: must be a string")
    custom = patch.get("customFields")
    if isinstance(custom, dict):
        for key, value in custom.items():
            _custom_name(key, "")
            if value is not None:
                _custom_value(value, f"customFields.{key}")
    return patch


def merge_patch(target: object, patch: object) -> Any:
    """RFC 7386: objects merge recursively, `null` removes a member, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def custom_field_text(value: object) -> str:
    """The text a `customFields.<name>=` filter compares with: a string itself, else its JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _title(value: object, where: str) -> str:
    title = _string(value, f"{where}title", MAX_TITLE)
    if not title.strip():
        raise bad_request(f"{where}title: must not be empty")
    return title


def _string(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{field}: must be a string")
    if len(value) > limit:
        raise bad_request(f"{field}: must be at most {limit} characters")
    return value


def _status(value: object, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value not in STATUSES:
        raise bad_request(f"{where}status: must be 0 (CONFIRMED), 1 (TENTATIVE) or 2 (CANCELLED)")
    return value


def _location(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad_request(f"{where}location: must be an object with name and address")
    location: dict[str, str] = {}
    for key in sorted(value):
        if key not in LOCATION_FIELDS:
            raise bad_request(f"{where}location.{key}: unknown field")
    limits = {"name": MAX_LOCATION_NAME, "address": MAX_LOCATION_ADDRESS}
    for key in LOCATION_FIELDS:
        if value.get(key) is not None:
            location[key] = _string(value[key], f"{where}location.{key}", limits[key])
    return location


def _capacity(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CAPACITY:
        raise bad_request(f"{where}capacity: must be an integer from 0 to {MAX_CAPACITY}")
    return value


def _custom_fields(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{where}customFields: must be an object")
    if len(value) > MAX_CUSTOM_FIELDS:
        raise bad_request(f"{where}customFields: at most {MAX_CUSTOM_FIELDS} fields")
    fields: dict[str, Any] = {}
    for key, item in value.items():
        _custom_name(key, where)
        fields[key] = None if item is None else _custom_value(item, f"{where}customFields.{key}")
    return fields


def _custom_name(key: str, where: str) -> None:
    if CUSTOM_FIELD_NAME.fullmatch(key) is None:
        raise bad_request(
            f"{where}customFields: field name {key[:80]!r} must be 1-64 characters "
            "of A-Z, a-z, 0-9, '_' or '-'"
        )


def _custom_value(value: object, field: str) -> str | int | float | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _string(value, field, MAX_CUSTOM_STRING)
    if isinstance(value, int | float):
        # abs() first: math.isfinite cannot take an int too large for a float.
        if not (abs(value) <= MAX_SAFE_INTEGER and math.isfinite(value)):
            raise bad_request(f"{field}: numbers must be within +/-{MAX_SAFE_INTEGER}")
        return value
    raise bad_request(f"{field}: must be a string, number, boolean or null")

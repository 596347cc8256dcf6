"""What a Prospero request body may hold: JSON, then an event, a merge patch or a webhook.

`read_json` decodes a body (size, media type, JSON). The rest is pure: handlers hand in decoded
JSON and get back either a validated value in canonical form (an event, UTC instants, a webhook's
url and event types) or a `ProsperoError` carrying the status and message Prospero answers with
(`{"status": 400, "error": "events[2].start: ..."}`).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import urlsplit

from starlette.requests import Request

from reconciler.sandbox.prospero.errors import ProsperoError, bad_request

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
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_URL = 2_048
WEBHOOK_EVENT_TYPES = ("event.created", "event.updated", "event.deleted")
JSON = ("application/json",)
MERGE_PATCH = ("application/merge-patch+json", "application/json")

_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z",
    re.ASCII,
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86_400.0


# -- request bodies --------------------------------------------------------------------------


async def read_json(request: Request, *, accept: Sequence[str] = JSON) -> Any:
    """The decoded JSON body; 413 too large, 400 empty or malformed, 415 wrong media type."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ProsperoError(413, f"request body exceeds {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise bad_request("request body is required")
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in accept:
        raise ProsperoError(415, f"Content-Type must be {' or '.join(accept)}")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise bad_request("request body is not valid JSON") from None


def _refuse_constant(name: str) -> NoReturn:
    # Python's json accepts NaN and Infinity; JSON does not.
    raise ValueError(f"{name} is not JSON")


# -- instants -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
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
        return Instant(
            text=format_instant(moment), epoch=(moment - _EPOCH).total_seconds(), date_only=False
        )
    match = _DATE.fullmatch(value) if allow_date else None
    if match is not None:
        try:
            year, month, day = (int(part) for part in match.groups())
            moment = datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            raise bad_request(f"{field}: {value!r} is not a valid date") from None
        return Instant(text=value, epoch=(moment - _EPOCH).total_seconds(), date_only=True)
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


@dataclass(frozen=True, kw_only=True)
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


# -- webhooks -------------------------------------------------------------------------------


def webhook_url(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise bad_request(f"url: is required, a string of at most {MAX_URL} characters")
    try:
        parts = urlsplit(value)
        secure = parts.scheme == "https" and bool(parts.hostname)
        # [model] The sandbox also delivers over plain http to a receiver on this machine, as
        # webhook tools' local forwarders do; Prospero itself reaches public HTTPS only.
        local = parts.scheme == "http" and _is_loopback(parts.hostname)
    except ValueError:
        secure = local = False
    if not (secure or local):
        raise bad_request("url: must be an absolute https:// URL (or http:// on a loopback host)")
    return value


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_types(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad_request(f"events: must be a non-empty array of {', '.join(WEBHOOK_EVENT_TYPES)}")
    for item in value:
        if item not in WEBHOOK_EVENT_TYPES:
            raise bad_request(f"events: unknown event type; use {', '.join(WEBHOOK_EVENT_TYPES)}")
    return list(dict.fromkeys(value))


# -- field checks -----------------------------------------------------------------------------


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

"""What a Previsto body may hold: JSON, then property values, each checked into its stored form.

`parse_json_body` decodes a body (size, UTF-8, JSON, finite numbers). A check is
`check(param, value) -> stored value`; it raises a 400 `PrevistoError` naming `param` (the name
the client sent, e.g. `handledDate` or `assignments[3].plan.executionTime`). Server stamps
(`createdDate`; a contact's or agreement's `timestamp`) are UTC instants with milliseconds.
Planning times (`plan.executionTime` and its deprecated alias, an assignment's `timestamp`;
`handledDate`) are local date-times to the minute without an offset, `2017-05-31T08:05`, as
Previsto's docs show them.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from reconciler.sandbox.previsto.errors import bad_request

Check = Callable[[str, Any], Any]

MAX_BODY_BYTES = 1024 * 1024

_INSTANT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?P<fraction>\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})$"
)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Seconds are accepted when they are zero (`08:05:00`) and dropped; an offset never is.
_LOCAL_TIME = re.compile(r"^(?P<minute>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})(?::00)?$")
_EMAIL = re.compile(r"^[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+$")


def parse_json_body(raw: bytes, *, limit: int | None = MAX_BODY_BYTES) -> Any:
    """A request body as JSON, or a 400: too large, not UTF-8, not JSON, NaN or infinite."""
    if limit is not None and len(raw) > limit:
        raise bad_request(f"The request body is larger than {limit} bytes.")
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        raise bad_request("The request body is not valid JSON.") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def stamp(epoch: float) -> str:
    """A server timestamp: UTC, fixed width with milliseconds, so text order is time order."""
    return _utc_text(datetime.fromtimestamp(epoch, UTC), milliseconds=True)


def _utc_text(moment: datetime, *, milliseconds: bool) -> str:
    # isoformat, not strftime: strftime does not zero-pad years before 1000 on every platform.
    timespec = "milliseconds" if milliseconds else "seconds"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _parse_instant(param: str, value: Any, *, milliseconds: bool) -> datetime:
    if not isinstance(value, str):
        raise bad_request(f"'{param}' must be an ISO-8601 date-time, not {describe(value)}.",
                          param=param)
    match = _INSTANT.fullmatch(value)
    if match is None:
        raise bad_request(
            f"'{param}' must be an ISO-8601 date-time with a UTC offset, "
            f"e.g. 2027-01-14T08:00:00Z.",
            param=param,
        )
    digits = (match.group("fraction") or ".")[1:]
    allowed = 3 if milliseconds else 0
    if digits.rstrip("0") and len(digits.rstrip("0")) > allowed:
        precision = "milliseconds" if milliseconds else "whole seconds"
        raise bad_request(f"'{param}' is kept to {precision}: drop the finer fraction.",
                          param=param)
    try:
        # fromisoformat reads at most microseconds; the regex allowed nine digits.
        text = value if len(digits) <= 6 else value.replace(f".{digits}", f".{digits[:6]}")
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad_request(f"'{param}' is not a valid date-time.", param=param) from None


def local_time(*, nullable: bool) -> Check:
    """A planning time: a local date-time to the minute, no offset (`2017-05-31T08:05`)."""

    def check(param: str, value: Any) -> Any:
        if value is None and nullable:
            return None
        match = _LOCAL_TIME.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise bad_request(
                f"'{param}' must be a local date-time without offset, e.g. 2017-05-31T08:05.",
                param=param,
            )
        try:
            datetime.fromisoformat(match.group("minute"))
        except ValueError:
            raise bad_request(f"'{param}' is not a valid date-time.", param=param) from None
        return match.group("minute")

    return check


def server_stamp(param: str, value: Any) -> str:
    """A server timestamp given to the admin API: normalised to milliseconds, UTC."""
    return _utc_text(_parse_instant(param, value, milliseconds=True), milliseconds=True)


def calendar_date(*, nullable: bool) -> Check:
    def check(param: str, value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise bad_request(f"'{param}' must be a date as YYYY-MM-DD.", param=param)
        try:
            date.fromisoformat(value)
        except ValueError:
            raise bad_request(f"'{param}' is not a valid date.", param=param) from None
        return value

    return check


def text(*, nullable: bool, max_length: int, min_length: int = 0) -> Check:
    def check(param: str, value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            expected = "a string or null" if nullable else "a string"
            raise bad_request(f"'{param}' must be {expected}, not {describe(value)}.",
                              param=param)
        if not min_length <= len(value) <= max_length:
            raise bad_request(
                f"'{param}' must be {min_length} to {max_length} characters long.", param=param
            )
        return value

    return check


def email(*, nullable: bool) -> Check:
    as_text = text(nullable=nullable, max_length=254)

    def check(param: str, value: Any) -> Any:
        stored = as_text(param, value)
        if stored is not None and not _EMAIL.fullmatch(stored):
            raise bad_request(f"'{param}' is not a valid email address.", param=param)
        return stored

    return check


def reference(prefix: str, *, nullable: bool) -> Check:
    """An id of another object: `prefix` followed by 1 to 40 letters and digits."""
    pattern = re.compile(rf"^{re.escape(prefix)}[A-Za-z0-9]{{1,40}}$")

    def check(param: str, value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise bad_request(f"'{param}' must be an id like {prefix}…", param=param)
        return value

    return check


def country_code(param: str, value: Any) -> Any:
    """An ISO 3166-1 alpha-2 country code (`DK`), or null."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
        raise bad_request(f"'{param}' must be a two-letter country code such as DK.",
                          param=param)
    return value


def one_of(*values: str) -> Check:
    def check(param: str, value: Any) -> Any:
        if not isinstance(value, str) or value not in values:
            raise bad_request(f"'{param}' must be one of {', '.join(values)}.", param=param)
        return value

    return check


def integer(*, minimum: int, maximum: int) -> Check:
    def check(param: str, value: Any) -> Any:
        # JSON does not tell 3 from 3.0, so an integral number is an integer.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"'{param}' must be an integer, not {describe(value)}.",
                              param=param)
        if not minimum <= value <= maximum:
            raise bad_request(f"'{param}' must be between {minimum} and {maximum}.", param=param)
        return value

    return check


def number(*, minimum: float, maximum: float) -> Check:
    def check(param: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f"'{param}' must be a number, not {describe(value)}.", param=param)
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise bad_request(f"'{param}' must be between {minimum:g} and {maximum:g}.",
                              param=param)
        return value

    return check


def location(param: str, value: Any) -> Any:
    """`[longitude, latitude]` in degrees, or null."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise bad_request(f"'{param}' must be [longitude, latitude] or null.", param=param)
    return [
        number(minimum=-180, maximum=180)(f"{param}[0]", value[0]),
        number(minimum=-90, maximum=90)(f"{param}[1]", value[1]),
    ]


def string_list(item: Check, *, max_items: int) -> Check:
    def check(param: str, value: Any) -> Any:
        if not isinstance(value, list) or len(value) > max_items:
            raise bad_request(f"'{param}' must be an array of at most {max_items} strings.",
                              param=param)
        return [item(f"{param}[{index}]", entry) for index, entry in enumerate(value)]

    return check


def record(fields: Mapping[str, tuple[Check, Any]], *, nullable: bool = False) -> Check:
    """An object with exactly these properties; missing ones take their default."""

    def check(param: str, value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, dict):
            raise bad_request(f"'{param}' must be an object, not {describe(value)}.",
                              param=param)
        for name in value:
            if name not in fields:
                raise bad_request(f"Received unknown parameter: {param}.{name}",
                                  param=f"{param}.{name}")
        stored: dict[str, Any] = {}
        for name, (inner, default) in fields.items():
            if name in value:
                stored[name] = inner(f"{param}.{name}", value[name])
            else:
                stored[name] = copy.deepcopy(default)
        return stored

    return check


def records(item: Check, *, max_items: int) -> Check:
    def check(param: str, value: Any) -> Any:
        if not isinstance(value, list) or len(value) > max_items:
            raise bad_request(f"'{param}' must be an array of at most {max_items} objects.",
                              param=param)
        return [item(f"{param}[{index}]", entry) for index, entry in enumerate(value)]

    return check

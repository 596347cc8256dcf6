"""Why a date or time of day that is shaped right does not exist: the calendar's own reason.

`2027-02-30T09:00` has the form of an ISO 8601 date-time, so "not an ISO 8601 date-time" would
send the reader looking for a typo in the format; what is wrong is the calendar ("February 2027
has no 30th"). Only the fields are judged here; whether the text parses at all is the caller's.
"""

from __future__ import annotations

import calendar
import re

_SHAPE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)


def not_a_date(text: str) -> str | None:
    """`is not a date: February 2027 has no 30th (it has 28 days)`, or None when the text's
    date and time of day exist (or it is not shaped like a date at all)."""
    found = _SHAPE.match(text)
    if found is None:
        return None
    year, month, day = int(found["year"]), int(found["month"]), int(found["day"])
    if not 1 <= month <= 12:
        return f"is not a date: there is no month {found['month']} (months run 01 to 12)"
    if day == 0:
        return "is not a date: there is no day 00 (days start at 01)"
    days = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if day > days:
        month_name = calendar.month_name[month]
        why = f"{year} is not a leap year" if (month, day) == (2, 29) else f"it has {days} days"
        return f"is not a date: {month_name} {year} has no {_ordinal(day)} ({why})"
    if found["hour"] is None:
        return None
    hour, minute = int(found["hour"]), int(found["minute"])
    second = int(found["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        clock = text[found.start("hour") : found.end()]
        return (
            f"is not a time of day: {clock} does not exist (hours run 00 to 23, minutes 00 to 59)"
        )
    return None


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"

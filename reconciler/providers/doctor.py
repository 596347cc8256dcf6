"""`reconciler doctor`: read-only checks of an account against what the client relies on.

A new user runs it first against a real account, and a bug report quotes it: one line per check,
each saying what the account showed. Every check reads; none writes (a cookie login is the only
POST, as for any run). The checks of each API's list shapes, paging and field names are in
`shapes.py`; this module holds the ones every API shares, and what can be learnt of write
permission without writing: Prospero's `whoami` may show the user's scopes and levels (a
read-only user differs: apply would be refused); Prevail and Previsto document no way to ask,
so doctor says it cannot tell. A 403 to the probe itself is permission denied, not bad
credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler.errors import AuthenticationError, PermissionDeniedError, ProviderError
from reconciler.providers.base import Provider
from reconciler.providers.shapes import SHAPES
from reconciler.reports import Check

# Permission levels as APIs name them: those that may only read, and those that may write.
READ_LEVELS = frozenset({"none", "read", "readonly", "read-only", "read_only", "view", "viewer"})
WRITE_LEVELS = frozenset({"write", "edit", "editor", "admin", "owner", "manage", "full"})
CANNOT_TELL = "cannot tell without writing"

# Rate-limit headers in the forms APIs use: the IETF draft's and the common X- prefixed one.
REMAINING_HEADERS = ("RateLimit-Remaining", "X-RateLimit-Remaining")
LIMIT_HEADERS = ("RateLimit-Limit", "X-RateLimit-Limit")


def examine(provider: Provider) -> list[Check]:
    """Every check of one provider, in the order a reader follows them."""
    name = provider.name
    try:
        response = provider.request("GET", provider.probe_path, params=provider.probe_params)
    except AuthenticationError as error:
        return [Check(provider=name, name="credentials", ok=False, seen=str(error))]
    except PermissionDeniedError as error:
        return [Check(provider=name, name="write access", ok=False, seen=str(error))]
    except ProviderError as error:
        return [Check(provider=name, name="reachable", ok=False, seen=str(error))]
    checks = [
        Check(
            provider=name,
            name="credentials",
            ok=True,
            seen=f"GET /{provider.probe_path} answered {response.status_code}",
        ),
        clock_check(provider, response),
        rate_limit_check(provider, response),
        write_access_check(provider, response),
    ]
    shapes = SHAPES.get(provider.name)
    try:
        checks.extend(shapes(provider) if shapes else [])
    except ProviderError as error:
        checks.append(Check(provider=name, name="listing", ok=False, seen=str(error)))
    return checks


def clock_check(provider: Provider, response: httpx.Response) -> Check:
    """The server's `Date` against this machine's clock (minted tokens expire by it)."""
    tolerance = provider.clock_tolerance
    stamp = response.headers.get("Date")
    try:
        server = parsedate_to_datetime(stamp) if stamp else None
    except (TypeError, ValueError):
        server = None
    if server is None or server.tzinfo is None:
        return Check(
            provider=provider.name,
            name="clock",
            ok=tolerance is None,
            seen="the server sent no usable Date header",
            required=tolerance is not None,
        )
    # `Date` has one-second resolution and was stamped while the request was in flight.
    elapsed = response.elapsed.total_seconds() if _has_elapsed(response) else 0.0
    skew = (server - datetime.now(UTC)).total_seconds()
    apparent = max(0.0, abs(skew) - elapsed - 1.0)
    direction = "ahead of" if skew > 0 else "behind"
    seen = (
        f"server clock {abs(skew):.0f} s {direction} this machine's"
        if apparent
        else "server clock agrees with this machine's (to the Date header's second)"
    )
    if tolerance is None:
        return Check(provider=provider.name, name="clock", ok=True, seen=seen, required=False)
    ok = apparent <= tolerance
    if not ok:
        seen += f" (tokens are minted for {tolerance:.0f} s: fix this machine's clock)"
    return Check(provider=provider.name, name="clock", ok=ok, seen=seen)


def rate_limit_check(provider: Provider, response: httpx.Response) -> Check:
    """The headroom the server reports, or the documented limit the client paces itself to."""
    remaining = _first_header(response, REMAINING_HEADERS)
    limit = _first_header(response, LIMIT_HEADERS)
    paced = provider.settings.requests_per_minute or provider.requests_per_minute
    if remaining is not None:
        of = f" of {limit}" if limit is not None else ""
        exhausted = remaining.strip() == "0"
        return Check(
            provider=provider.name,
            name="rate limit",
            ok=not exhausted,
            seen=f"{remaining}{of} requests left in the window" + (
                ": other integrations share this key and have used it up" if exhausted else ""
            ),
            required=False,
        )
    seen = (
        f"not reported by the server; the client paces itself to {paced:g} requests a minute"
        if paced
        else "no limit reported or documented"
    )
    return Check(provider=provider.name, name="rate limit", ok=True, seen=seen, required=False)


def write_access_check(provider: Provider, response: httpx.Response) -> Check:
    """What the probe's answer shows of write permission; never learnt by writing."""
    if provider.name != "prospero":
        return Check(
            provider=provider.name, name="write access", ok=True, required=False,
            seen=f"{CANNOT_TELL}: {provider.name} documents no way to ask (a read-only key is "
            "refused at apply time, as permission denied)",
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    user = body.get("user") if isinstance(body, dict) else None
    scopes = user.get("scopes") if isinstance(user, dict) else None
    if not isinstance(scopes, Mapping):
        return Check(provider=provider.name, name="write access", ok=True, required=False,
                     seen=f"{CANNOT_TELL}: GET /auth/whoami shows no scopes for the user")
    scope, level = _event_level(scopes)
    if level in READ_LEVELS:
        return Check(
            provider=provider.name, name="write access", ok=False,
            seen=f"the user is read-only ({scope}: {level}): plan and drift work, apply's "
            "writes would be refused (permission denied)",
        )
    if level in WRITE_LEVELS:
        return Check(provider=provider.name, name="write access", ok=True,
                     seen=f"the user may write events ({scope}: {level})")
    shown = f"{scope}: {level}" if scope else "no scope that covers events"
    return Check(provider=provider.name, name="write access", ok=True, required=False,
                 seen=f"{CANNOT_TELL}: GET /auth/whoami shows {shown}")


def _event_level(scopes: Mapping[str, Any]) -> tuple[str, str]:
    """The scope that decides access to events, by the documented fallback, and its level."""
    for scope in ("entities.events.default", "entities.default", "default"):
        level = scopes.get(scope)
        if isinstance(level, str):
            return scope, level.strip().lower()
    return "", ""


def _first_header(response: httpx.Response, names: tuple[str, ...]) -> str | None:
    for header in names:
        if header in response.headers:
            return response.headers[header]
    return None


def _has_elapsed(response: httpx.Response) -> bool:
    try:
        response.elapsed  # noqa: B018 - set only once the response was read
    except RuntimeError:
        return False
    return True

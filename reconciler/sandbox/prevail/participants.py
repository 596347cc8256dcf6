"""Who takes part in a session, as a create or edit body names them: invitees and the deponent.

Invitees are emails or `{email, access_level}` objects (`host` or `participant`), under `invites`
or, in a create or edit body, the older docs' name `invite_emails`; the deponent is
`{name, email, role}` with `role` one of `deponent` and `witness`, as Prevail's docs list them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from reconciler.sandbox.prevail.errors import Findings

ACCESS_LEVELS: Final = ("host", "participant")
DEPONENT_ROLES: Final = ("deponent", "witness")
DEPONENT_FIELDS: Final = ("name", "email", "role")
MAX_INVITES: Final = 100
MAX_SHORT_TEXT: Final = 255

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, kw_only=True)
class Invite:
    """One invitee as sent; `access_level` None when the client did not say."""

    email: str
    access_level: str | None


def invite_list(findings: Findings, payload: Mapping[str, Any]) -> tuple[Invite, ...]:
    """`invites`, or the same list under its older name `invite_emails`."""
    if "invite_emails" not in payload:
        return invites_of(findings, payload.get("invites"))
    if "invites" in payload:
        findings.bad_shape("invite_emails", "is the older name of invites: send only one of them")
        return ()
    return invites_of(findings, payload["invite_emails"], name="invite_emails")


def invites_of(findings: Findings, value: object, *, name: str = "invites") -> tuple[Invite, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        findings.bad_shape(name, "must be an array")
        return ()
    if len(value) > MAX_INVITES:
        findings.bad_value(name, f"is too long (maximum is {MAX_INVITES} invitees)")
        return ()
    invites: list[Invite] = []
    for index, item in enumerate(value):
        path = f"{name}[{index}]"
        if isinstance(item, str):
            if _email(findings, path, item):
                invites.append(Invite(email=item, access_level=None))
        elif isinstance(item, dict):
            invite = _invite_object(findings, path, item)
            if invite is not None:
                invites.append(invite)
        else:
            findings.bad_shape(path, "must be an email string or an object {email, access_level}")
    return tuple(invites)


def _invite_object(findings: Findings, path: str, item: Mapping[str, Any]) -> Invite | None:
    findings.unknown_fields(item, ("email", "access_level"), f"{path}.")
    email = item.get("email")
    level = item.get("access_level")
    valid = True
    if email is None:
        findings.bad_value(f"{path}.email", "can't be blank")
        valid = False
    elif not isinstance(email, str):
        findings.bad_shape(f"{path}.email", "must be a string")
        valid = False
    elif not _email(findings, f"{path}.email", email):
        valid = False
    if level is not None:
        if not isinstance(level, str):
            findings.bad_shape(f"{path}.access_level", "must be a string")
            valid = False
        elif level not in ACCESS_LEVELS:
            findings.bad_value(
                f"{path}.access_level", f"is not included in the list ({', '.join(ACCESS_LEVELS)})"
            )
            valid = False
    if not valid or not isinstance(email, str):
        return None
    return Invite(email=email, access_level=level if isinstance(level, str) else None)


def _email(findings: Findings, path: str, value: str) -> bool:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        findings.bad_value(path, "is not a valid email address")
        return False
    return True


def deponent_of(findings: Findings, value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        findings.bad_shape("deponent", "must be an object {name, email, role}")
        return None
    findings.unknown_fields(value, DEPONENT_FIELDS, "deponent.")
    for name in DEPONENT_FIELDS:
        field = value.get(name)
        path = f"deponent.{name}"
        if field is None:
            continue
        if not isinstance(field, str):
            findings.bad_shape(path, "must be a string")
        elif name == "email" and field:
            _email(findings, path, field)
        elif name == "role" and field not in DEPONENT_ROLES:
            findings.bad_value(path, f"is not included in the list ({', '.join(DEPONENT_ROLES)})")
        elif len(field) > MAX_SHORT_TEXT:
            findings.bad_value(path, f"is too long (maximum is {MAX_SHORT_TEXT} characters)")
    return {name: value[name] for name in DEPONENT_FIELDS if name in value}

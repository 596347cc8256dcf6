"""What no log record or output may carry: header credentials, JWTs, URL user-info, secrets.

`RedactingFilter` sits on the logging handlers the CLI installs and rewrites each record it is
asked to emit: the message (arguments rendered once), the formatted exception and the stack. It
removes, whatever the level:

- the values of `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie` headers, in the
  forms httpx and httpcore log them (`(b'set-cookie', b'...')` tuples, `Cookie: ...` lines, dict
  reprs);
- anything shaped like a JWT (`eyJ...` and two more base64url parts);
- the user-info of a URL (`https://user:pw@host` becomes `https://***@host`);
- every secret value registered with `register_secrets` (configured credentials, and the forms
  they take on the wire that only exist at run time: a minted JWT, an issued token), in every
  form `secret_forms` gives (Basic-auth base64, percent-encoded, JSON- and HTML-escaped).

The same registered secrets are kept out of what is not a log record: `redact` for text an API
sent (an error body may repeat the request's credentials), `redact_secrets` for rendered output
whose header-like shapes are the user's own text (a plan), `redact_json` for every string of a
JSON document (a journal entry, a JSON plan).

The same module owns the rule that a base URL carries no user-info (`has_userinfo`), which the
configuration and the transport both apply without ever echoing the URL.

It lives on the ground floor, not in the CLI, because the secrets are learnt in several places:
the CLI knows the configured ones, but only a provider knows the tokens it mints or is issued
mid-run. The secrets live in the filter instances themselves (found through the root logger's
handlers), so each CLI run, which installs fresh handlers, starts with only its own.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "USERINFO_REFUSED",
    "RedactingFilter",
    "has_userinfo",
    "install",
    "redact",
    "redact_json",
    "redact_patterns",
    "redact_secrets",
    "redact_text",
    "register_secrets",
    "secret_forms",
]

MASK = "***"

# The floor below which a secret is not replaced wherever it occurs as a substring: a one- to
# three-character value (a test's dummy "x", a PIN "7") is in nearly every line, so masking it
# everywhere turns a log or a PR comment into asterisks and hides nothing an attacker could not
# guess. Four is where other maskers draw the line (Octopus Deploy, Ansible, Google's GitHub
# Actions). A short secret is still removed where it is known to stand as a value: by the shapes
# below (header values, JWTs, URL user-info) and, in text for people, as a whole quoted value.
MIN_SECRET_LENGTH = 4
# Issued tokens kept for redaction: a Prevail JWT lives minutes and a Prospero access token an
# hour, so the last 64 cover every token still valid and many long expired.
ISSUED_KEPT = 64

_QUOTED = r"""'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*\""""
_HEADER = r"(?:proxy-)?authorization|(?:set-)?cookie"

# `(b'authorization', b'Bearer ...')`: httpcore's request and response header tuples.
_HEADER_TUPLE = re.compile(
    rf"""(?P<head>\(\s*b?(?P<q>['"])(?:{_HEADER})(?P=q)\s*,\s*b?)(?P<value>{_QUOTED})""",
    re.IGNORECASE,
)
# `Authorization: Bearer ...`, `'cookie': 'a=b'`: header lines and mapping reprs. An unquoted
# value runs to the end of the line, as a header's does; a `b` is a bytes prefix only before a
# quote (case-insensitive matching must not take the B of `Bearer`).
_HEADER_FIELD = re.compile(
    rf"""(?P<head>(?<![\w-])b?(?P<q>['"]?)(?:{_HEADER})(?P=q)\s*:\s*(?:b(?=['"]))?)"""
    rf"""(?P<value>{_QUOTED}|[^\r\n]*)""",
    re.IGNORECASE,
)
# A JWT: a base64url JSON header (`{"` encodes as `eyJ`), then payload and signature.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# `scheme://user-info@`: the authority ends at the first `/`, `?`, `#` or blank, so a greedy
# run up to the last `@` before those takes the whole user-info (a raw `@` in a password too).
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@")


USERINFO_REFUSED = (
    "must not carry a user name or password; put credentials in the providers block"
)


def has_userinfo(url: str) -> bool:
    """Whether a URL names a user (and maybe a password) before its host: `https://u:p@host`."""
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:  # a malformed host ("[::1"): the log pattern's reading of the authority
        return _URL_USERINFO.search(url) is not None


def _masked_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if value[:1] in ("'", '"'):
        return f"{match.group('head')}{value[0]}{MASK}{value[0]}"
    return f"{match.group('head')}{MASK}" if value.strip() else match.group(0)


def redact_patterns(text: str) -> str:
    """`text` without header credentials, JWTs and URL user-info (no registered secrets)."""
    text = _HEADER_TUPLE.sub(_masked_value, text)
    text = _HEADER_FIELD.sub(_masked_value, text)
    text = _JWT.sub(MASK, text)
    return _URL_USERINFO.sub(lambda match: f"{match.group('scheme')}{MASK}@", text)


def secret_forms(secret: str) -> list[str]:
    """The forms a secret takes on the wire and in text, the secret itself first: as is and as
    the base64 payload of a Basic header with the secret as user name (Previsto's API key), each
    of them also percent-encoded, JSON-escaped and HTML-escaped (a server's or proxy's error page
    may repeat either in any of these)."""
    wire = (secret, base64.b64encode(f"{secret}:".encode()).decode())
    forms = [
        escaped
        for form in wire
        for escaped in (form, quote(form, safe=""), json.dumps(form)[1:-1], html.escape(form))
    ]
    return [form for form in dict.fromkeys(forms) if len(form) >= MIN_SECRET_LENGTH]


def _maskable_forms(secrets: Iterable[str]) -> set[str]:
    """Every form of the secrets long enough to be replaced wherever it occurs."""
    return {form for secret in secrets if len(secret) >= MIN_SECRET_LENGTH
            for form in secret_forms(secret)}


def _any_of(values: Iterable[str]) -> str:
    """A pattern matching any of the values, longest first, so that a secret that contains
    another is replaced whole."""
    return "|".join(map(re.escape, sorted(values, key=lambda value: (-len(value), value))))


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """`text` (a PR comment, an annotation) without the secrets' values: one of at least
    `MIN_SECRET_LENGTH` characters wherever it occurs, in every form `secret_forms` gives; a
    shorter one only as a whole quoted value (`"x"`, `'x'`), where a value is printed as itself."""
    values = [secret for secret in dict.fromkeys(secrets) if secret]
    forms = _maskable_forms(values)
    if forms:
        text = re.sub(_any_of(forms), MASK, text)
    short = [secret for secret in values if len(secret) < MIN_SECRET_LENGTH]
    if short:
        text = re.sub(rf"""(?P<q>["'])(?:{_any_of(short)})(?P=q)""",
                      lambda match: f"{match['q']}{MASK}{match['q']}", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record a handler emits so that nothing secret reaches the output.

    On a handler rather than a logger, so it runs only for records that pass the level: at the
    default WARNING a run's debug chatter is never rendered, let alone redacted.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        # The forms and the pattern over them, replaced together in one assignment: a thread
        # redacting meanwhile sees the old pair or the new one, never a mix.
        self._registered: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)
        self._configured: frozenset[str] = frozenset()
        self._issued: deque[frozenset[str]] = deque(maxlen=ISSUED_KEPT)
        self.add(secrets)

    def add(self, secrets: Iterable[str], *, issued: bool = False) -> None:
        """Redact these values from now on (shorter than `MIN_SECRET_LENGTH`: by shape only).

        `issued`: tokens a server handed out (access tokens, minted JWTs), each of which
        replaces the one before within hours. Only the last `ISSUED_KEPT` are kept, so that a
        process that lives for weeks does not redact with a pattern of every token it ever
        held; the configured secrets are kept for the life of the process."""
        forms = frozenset(_maskable_forms(secrets))
        with self._lock:
            if forms <= self._registered[0]:
                return
            if issued:
                self._issued.append(forms)
            else:
                self._configured |= forms
            known = self._configured.union(*self._issued)
            self._registered = (known, re.compile(_any_of(known)))

    def holds_secret(self, text: str) -> bool:
        """Whether a registered secret occurs in `text`, in any form."""
        return any(form in text for form in self._registered[0])

    def redact(self, text: str) -> str:
        """`text` without the registered secrets and the credential shapes."""
        return redact_patterns(self.redact_secrets(text))

    def redact_secrets(self, text: str) -> str:
        """`text` without the registered secrets (in every form), shapes left as they are."""
        forms, pattern = self._registered
        # Substring tests first: several times faster than the pattern over a large text (a
        # plan) that holds none of them, the usual case.
        if pattern is None or not any(form in text for form in forms):
            return text
        return pattern.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        # Render once with the record's own arguments, then freeze the result: a handler after
        # this one, or a formatter, must not render the arguments again unredacted.
        record.msg = self.redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            # The formatter would cache this text on the record; do it here, redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(secrets: Iterable[str] = ()) -> RedactingFilter:
    """Put one redacting filter on every handler of the root logger; returns it."""
    redactor = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    return redactor


def _installed() -> list[RedactingFilter]:
    """The redacting filters on the root logger's handlers, each once."""
    found: dict[int, RedactingFilter] = {}
    for handler in logging.getLogger().handlers:
        for candidate in handler.filters:
            if isinstance(candidate, RedactingFilter):
                found.setdefault(id(candidate), candidate)
    return list(found.values())


def register_secrets(secrets: Iterable[str], *, issued: bool = False) -> None:
    """Redact these values from every record the installed filters see from now on, and from
    what `redact`, `redact_secrets` and `redact_json` return; `issued`: tokens a server
    handed out, of which the latest `ISSUED_KEPT` are kept (`RedactingFilter.add`).

    A no-op when no filter is installed (a library caller that configures its own logging).
    """
    values = [secret for secret in secrets if secret]
    if not values:
        return
    for redactor in _installed():
        redactor.add(values, issued=issued)


def redact(text: str) -> str:
    """`text` (an API's error message, an outcome) without this run's secrets, in every
    registered form, and without credential shapes (header values, JWTs, URL user-info)."""
    return redact_patterns(redact_secrets(text))


def redact_secrets(text: str) -> str:
    """`text` without this run's registered secrets, in every form, and nothing else: for a
    rendered plan, where `Cookie: ...` may well be the title a user wrote."""
    for redactor in _installed():
        text = redactor.redact_secrets(text)
    return text


def redact_json(document: Any, *, shapes: bool = True, **options: Any) -> str:
    """`json.dumps(document, **options)` with every string in the document passed through
    `redact` (without `shapes`: `redact_secrets`). The strings, not the JSON text, are redacted:
    a mask laid over the text could cut an escape in two and leave it unreadable."""
    redactors = _installed()
    text = json.dumps(document, **options)
    if not shapes and not any(redactor.holds_secret(text) for redactor in redactors):
        return text  # the usual case, found without walking a large plan string by string

    def clean(value: str) -> str:
        for redactor in redactors:
            value = redactor.redact_secrets(value)
        return redact_patterns(value) if shapes else value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return clean(item)
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(inner) for inner in item]
        return item

    return json.dumps(walk(document), **options)

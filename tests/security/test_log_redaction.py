"""No log record carries a credential, at any level: canary runs against the served sandbox, and
the redacting filter's patterns one by one.

The canary runs read the CLI's own stderr (its logging handler writes there, `--debug` includes
httpcore's header lines), the plan file and the journal, and look for every configured secret,
any header credential, any JWT, and every token the sandbox issued during the run: candidates
are looked up by their SHA-256 in the sandbox's token store, so the live values are checked.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from reconciler.errors import ReconcilerError
from reconciler.http import check_base_url
from reconciler.redaction import (
    ISSUED_KEPT,
    MASK,
    RedactingFilter,
    install,
    redact,
    redact_json,
    redact_patterns,
    redact_secrets,
    register_secrets,
)
from reconciler.sandbox.prospero.auth import FIXED_REFRESH_TOKEN, TOKENS
from reconciler.sandbox.store import Store
from tests.fixtures.repo import EXAMPLES, SANDBOX_ENV, Repo, Run

JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}")
# A header credential left in place: a tuple, a header line or a mapping entry whose value is
# not the mask.
HEADER_VALUE = re.compile(
    r"""(?:\(b?['"]|['"]?)(?:proxy-)?(?:authorization|(?:set-)?cookie)['"]?\s*[:,]\s*"""
    r"""(?:b?['"])?(?!b?['"])(?!\*\*\*)[^\s'"]""",
    re.IGNORECASE,
)
# The sandbox issues Prospero tokens with `secrets.token_urlsafe(32)`: 43 base64url characters.
TOKEN_CANDIDATE = re.compile(r"(?<![\w-])[\w-]{43}(?![\w-])")

REFRESH_ENV = "PROSPERO_REFRESH_TOKEN"

# Each provider alone, with the kind it serves; Prospero twice: logging in with a password,
# and starting from a refresh token (a GET /auth/refresh that issues a live access token).
BLOCKS = {
    "prevail": ("sessions", "company_id: ${PREVAIL_COMPANY_ID}\n    api_key: ${PREVAIL_API_KEY}"),
    "prospero-login": ("events", "email: ${PROSPERO_EMAIL}\n    password: ${PROSPERO_PASSWORD}"),
    "prospero-refresh": ("events", f"refresh_token: ${{{REFRESH_ENV}}}"),
    "previsto": ("assignments", "api_key: ${PREVISTO_API_KEY}"),
}
SECRETS = [
    SANDBOX_ENV["PREVAIL_API_KEY"],
    SANDBOX_ENV["PROSPERO_PASSWORD"],
    SANDBOX_ENV["PREVISTO_API_KEY"],
    FIXED_REFRESH_TOKEN,
    "sandbox-prospero-token",
]


def secret_forms(secret: str) -> list[str]:
    return [secret, base64.b64encode(f"{secret}:".encode()).decode(),
            base64.b64encode(f"{SANDBOX_ENV['PROSPERO_EMAIL']}:{secret}".encode()).decode()]


def issued_tokens(store: Store, text: str) -> list[str]:
    """The strings in `text` that the sandbox holds as Prospero tokens (by their digest)."""
    return [
        candidate[:6] + "…"
        for candidate in set(TOKEN_CANDIDATE.findall(text))
        if store.get(TOKENS, hashlib.sha256(candidate.encode()).hexdigest())
    ]


def leaks(store: Store, texts: dict[str, str]) -> list[str]:
    found = []
    for where, text in texts.items():
        found += [f"{where}: {form[:6]}…" for secret in SECRETS for form in secret_forms(secret)
                  if form in text]
        found += [f"{where}: JWT" for _ in JWT.finditer(text)]
        found += [f"{where}: header {match.group(0)!r}" for match in HEADER_VALUE.finditer(text)]
        found += [f"{where}: issued token {token}" for token in issued_tokens(store, text)]
    return found


def configure_one(repo: Repo, name: str) -> None:
    """Leave one provider block (`BLOCKS[name]`) in the repository, and the examples of its kind."""
    kind, block = BLOCKS[name]
    provider = name.partition("-")[0]
    text = (repo.root / "providers.yaml").read_text(encoding="utf-8")
    base_url = re.search(rf"base_url: (\S+/{provider})\n", text)
    assert base_url is not None
    repo.write("providers.yaml", f"version: 1\nproviders:\n  {provider}:\n"
                                 f"    base_url: {base_url.group(1)}\n    {block}\n")
    shutil.copytree(EXAMPLES / kind, repo.root / kind)


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """The CLI replaces the root logger's handlers (`basicConfig(force=True)`): put them back."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


@pytest.mark.usefixtures("root_handlers")
@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_no_credential_in_logs_plans_or_journal(
    repo: Repo, cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
):
    monkeypatch.setenv(REFRESH_ENV, FIXED_REFRESH_TOKEN)
    configure_one(repo, name)
    root = repo.root
    plan_file = tmp_path / "plan.json"
    tokens_before = repo.sandbox.store.count(TOKENS)
    outputs: dict[str, str] = {}
    runs = [
        ("--debug", "plan", root, "--format", "json", "-o", plan_file),
        ("-v", "plan", root),
        ("--debug", "apply", plan_file, "--auto-approve"),
        ("-v", "apply", root, "--auto-approve", "--prune"),
        ("--debug", "apply", root, "--auto-approve"),
    ]
    for args in runs:
        result = cli(*args)
        outputs[" ".join(map(str, args))] = result.stdout + result.stderr
    for path in (plan_file, Path(".reconciler/journal.jsonl")):
        outputs[path.name] = path.read_text(encoding="utf-8")
    debug = outputs[f"--debug plan {root} --format json -o {plan_file}"]
    # The logs were captured, httpcore's header lines included: the scan below sees them.
    assert "DEBUG httpcore" in debug and "receive_response_headers" in debug
    assert repo.writes(), "the apply made no write: the runs exercised less than they should"
    if name.startswith("prospero"):
        assert repo.sandbox.store.count(TOKENS) > tokens_before, "no live token was issued"
    assert leaks(repo.sandbox.store, outputs) == []


@pytest.mark.usefixtures("root_handlers")
def test_no_sandbox_credential_in_logs_with_the_embedded_sandbox(
    examples_repo: Repo, cli: Run, tmp_path: Path
):
    # `--sandbox` serves its own emulators from a file: the tokens it issued are read from there.
    db = tmp_path / "sandbox.db"
    outputs = {}
    for level in ("--debug", "-v"):
        result = cli(level, "plan", examples_repo.root, "--sandbox", "--sandbox-db", db,
                     expect=None)
        assert result.exit_code in (0, 2), result.output
        outputs[level] = result.stdout + result.stderr
    assert "receive_response_headers" in outputs["--debug"]
    store = Store(str(db))
    try:
        assert store.count(TOKENS) > 2, "no live token was issued"
        assert leaks(store, outputs) == []
    finally:
        store.close()


@pytest.mark.usefixtures("root_handlers")
@pytest.mark.parametrize(("provider", "kind"), [("prevail", "sessions"),
                                                ("prospero", "events"),
                                                ("previsto", "assignments")])
@pytest.mark.parametrize("from_env", [False, True], ids=["literal", "env"])
def test_base_url_with_user_info_is_refused_without_echo(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch, provider: str, kind: str,
    from_env: bool,
):
    password = "canary-userinfo-3e9d"
    path = repo.root / "providers.yaml"
    text = path.read_text(encoding="utf-8")
    plain = re.search(rf"base_url: http://(\S+/{provider})\n", text)
    assert plain is not None
    with_user = f"http://operator:{password}@{plain.group(1)}"
    if from_env:
        monkeypatch.setenv("CANARY_BASE_URL", with_user)
    value = "${CANARY_BASE_URL}" if from_env else with_user
    path.write_text(text.replace(plain.group(0), f"base_url: {value}\n"), encoding="utf-8")
    shutil.copytree(EXAMPLES / kind, repo.root / kind)
    line = 1 + text[: text.index(plain.group(0))].count("\n")
    for level in ("-v", "--debug"):
        result = cli(level, "plan", repo.root, expect=1)
        assert f"providers.yaml:{line}:" in result.stderr
        assert (f"providers.{provider}.base_url: must not carry a user name or "
                "password; put credentials in the providers block") in result.stderr
        assert password not in result.output
    assert repo.requests() == []


def test_check_base_url_refuses_user_info_without_echo():
    with pytest.raises(ReconcilerError) as raised:
        check_base_url("previsto", "https://operator:canary-pw-77@api.previsto.io/")
    assert "canary-pw-77" not in str(raised.value)
    assert "must not carry a user name or password" in str(raised.value)


# -- the filter's patterns ------------------------------------------------------------------------


def emitted(*args: object, secrets: tuple[str, ...] = (), exc: bool = False) -> str:
    """What a handler with the filter writes for `log.debug(*args)`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(secrets))
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        if exc:
            try:
                raise RuntimeError(str(args[0]))
            except RuntimeError:
                log.exception(*args)
        else:
            log.debug(*args)
    finally:
        log.removeHandler(handler)
    return stream.getvalue()


JWT_TEXT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("return_value=(b'HTTP/1.1', 200, b'OK', [(b'set-cookie', b'access_token=abc; Path=/'), "
         "(b'content-type', b'application/json')])",
         "return_value=(b'HTTP/1.1', 200, b'OK', [(b'set-cookie', b'***'), "
         "(b'content-type', b'application/json')])"),
        ("[(b'Authorization', b'Bearer tok.en'), (b'cookie', b\"a=b; c='d'\")]",
         "[(b'Authorization', b'***'), (b'cookie', b\"***\")]"),
        ("('authorization', 'Basic c2tfc2FuZGJveDo=')", "('authorization', '***')"),
        ("Authorization: Bearer abc.def\nAccept: */*", "Authorization: ***\nAccept: */*"),
        ("cookie: a=b; c=d", "cookie: ***"),
        ("Set-Cookie: refresh_token=xyz; HttpOnly", "Set-Cookie: ***"),
        ("Headers({'cookie': 'access_token=q', 'accept': '*/*'})",
         "Headers({'cookie': '***', 'accept': '*/*'})"),
        (f"token {JWT_TEXT} sent", "token *** sent"),
        ("GET https://bob:hunter2@api.example.com/v1?x=a@b failed",
         "GET https://***@api.example.com/v1?x=a@b failed"),
        ("at https://bob:p@ss@host/ and http://host/a@b", "at https://***@host/ and http://host/a@b"),
        ("a cookie, a set of cookies, an authorization",
         "a cookie, a set of cookies, an authorization"),
    ],
)
def test_patterns(message: str, expected: str):
    assert redact_patterns(message) == expected
    assert emitted("%s", message) == expected + "\n"


def test_a_secret_inside_a_longer_string_and_its_encoded_forms():
    secret = "s3cr/et+key"
    text = emitted("sent key=%s%s, basic %s, url %s, json %s", "x", secret,
                   base64.b64encode(f"{secret}:".encode()).decode(), "s3cr%2Fet%2Bkey",
                   '"s3cr/et+key"', secrets=(secret,))
    assert text == f"sent key=x{MASK}, basic {MASK}, url {MASK}, json \"{MASK}\"\n"


def test_short_secrets_do_not_garble_text():
    assert emitted("a normal message about data", secrets=("a", "ab", "abc")) == (
        "a normal message about data\n")
    assert emitted("key abcd here", secrets=("abcd",)) == f"key {MASK} here\n"


def test_the_longer_of_two_overlapping_secrets_is_replaced_whole():
    assert emitted("x password123 y", secrets=("password", "password123")) == f"x {MASK} y\n"


def test_tracebacks_are_redacted():
    text = emitted("failed with https://u:pw@host/ and secret-value-9", exc=True,
                   secrets=("secret-value-9",))
    assert "Traceback" in text and "RuntimeError" in text
    assert "pw@" not in text and "secret-value-9" not in text
    assert text.count(MASK) == 4  # the message and the exception's text, two of each


def test_a_long_running_process_keeps_the_latest_issued_tokens_and_every_configured_secret():
    """A watch that mints a token every few minutes for weeks redacts with a bounded pattern:
    the latest issued tokens and every configured secret, never every token it ever held."""
    redactor = RedactingFilter(["configured-api-key"])
    tokens = [f"issued-token-{n:04d}" for n in range(ISSUED_KEPT * 3)]
    for token in tokens:
        redactor.add([token], issued=True)
    latest = tokens[-ISSUED_KEPT:]
    assert redactor.redact(" ".join(["configured-api-key", *latest])) == " ".join(
        [MASK] * (1 + ISSUED_KEPT)
    )
    assert not redactor.holds_secret(tokens[0])  # long expired, and no longer in the pattern
    assert redactor.holds_secret("configured-api-key")


def test_arguments_are_rendered_once_and_frozen():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key %s, %d", ("k-123456", 5), None)
    assert RedactingFilter(["k-123456"]).filter(record)
    assert (record.msg, record.args) == (f"key {MASK}, 5", ())
    assert record.getMessage() == f"key {MASK}, 5"


def test_a_record_below_the_level_is_never_rendered():
    # The filter is on the handler: a record the logger drops never reaches it.
    class Loud:
        def __str__(self) -> str:
            raise AssertionError("rendered")

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("tests.redaction.quiet")
    log.addHandler(handler)
    log.setLevel(logging.WARNING)
    log.propagate = False
    try:
        log.debug("%s", Loud())
    finally:
        log.removeHandler(handler)
    assert stream.getvalue() == ""


def test_every_wire_form_of_a_secret_is_redacted():
    secret = "k&y<9>+"
    payload = base64.b64encode(f"{secret}:".encode()).decode()
    assert quote(payload, safe="") != payload  # the payload has padding to percent-encode
    text = emitted("html %s, basic %s, in a query %s", html.escape(secret), payload,
                   quote(payload, safe=""), secrets=(secret,))
    assert text == f"html {MASK}, basic {MASK}, in a query {MASK}\n"


# -- outputs: the run's registered secrets, outside log records -----------------------------------


@pytest.mark.usefixtures("root_handlers")
def test_outputs_are_redacted_with_the_secrets_registered_for_the_run():
    logging.basicConfig(stream=io.StringIO(), force=True)
    token = 'minted\\tok"en-4821'  # a backslash and a quote: JSON escapes both
    assert redact(f"echo {token}") == f"echo {token}"  # nothing registered yet
    install()
    register_secrets([token])
    assert redact(f"echo {token}") == f"echo {MASK}"
    # Shapes too for what an API sent; only the secrets in a rendered plan, whose header-like
    # text is the user's own.
    assert redact("Cookie: oatmeal") == f"Cookie: {MASK}"
    assert redact_secrets(f"title: Cookie: oatmeal {token}") == f"title: Cookie: oatmeal {MASK}"
    # JSON: each string redacted, never the text, so the document still reads.
    document = {"message": f"echo {token}", "count": 1, "list": [token, "Cookie: x"]}
    assert json.loads(redact_json(document, sort_keys=True)) == {
        "message": f"echo {MASK}", "count": 1, "list": [MASK, f"Cookie: {MASK}"]}
    assert json.loads(redact_json(document, shapes=False)) == {
        "message": f"echo {MASK}", "count": 1, "list": [MASK, "Cookie: x"]}
    plain = {"title": "Board dinner", "cookie": "oatmeal"}
    assert redact_json(plain, shapes=False, indent=2) == json.dumps(plain, indent=2)


@pytest.mark.usefixtures("root_handlers")
def test_a_library_caller_without_the_filter_gets_the_shapes_only():
    logging.getLogger().handlers[:] = []
    register_secrets(["never-registered-1234"])  # no filter: nowhere to keep it
    assert redact("never-registered-1234 Authorization: Bearer x") == (
        f"never-registered-1234 Authorization: {MASK}")

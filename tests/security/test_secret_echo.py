"""A server that repeats the request's credentials in its error bodies (some APIs and proxies do):
per provider, every form the credential took on the wire is in no output line, no journal line
and no line of the Action's log, at every log level, and the mask stands where the server put it.

The forms are the ones the sandbox's `echo` fault saw on the requests it refused, each checked
against what the test knows independently: Prevail's JWT is verified with the API key, Previsto's
Basic payload is computed from the key, Prospero's access token is found (by its digest) among
the tokens the sandbox issued. The scans then look for each of them, and for the configured
secret itself, in every text a user or a job log could see.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import traceback
import warnings
from pathlib import Path
from urllib.parse import quote

import jwt
import pytest
from click.testing import Result
from jwt.warnings import InsecureKeyLengthWarning

from reconciler.redaction import MASK
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.faults import Echoed, Fault
from reconciler.sandbox.prospero.auth import TOKENS
from tests.fixtures.action import mask_lines
from tests.fixtures.action_runner import ActionResult, Runner
from tests.fixtures.repo import EXAMPLES, SANDBOX_ENV, Repo, Run

KINDS = {"prevail": "sessions", "prospero": "events", "previsto": "assignments"}
BLOCKS = {
    "prevail": "company_id: ${PREVAIL_COMPANY_ID}\n    api_key: ${PREVAIL_API_KEY}",
    "prospero": "email: ${PROSPERO_EMAIL}\n    password: ${PROSPERO_PASSWORD}",
    "previsto": "api_key: ${PREVISTO_API_KEY}",
}
# The variable holding the configured secret each provider's wire forms derive from.
VARIABLE = {
    "prevail": "PREVAIL_API_KEY",
    "prospero": "PROSPERO_PASSWORD",
    "previsto": "PREVISTO_API_KEY",
}
# Where the mask must stand in the echoed message: proof the echo reached the output.
MASKED = {
    "prevail": f"authorization=Bearer {MASK} ",
    "prospero": f"cookie=access_token={MASK} ",
    "previsto": f"authorization=Basic {MASK} ",
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
LEVELS = ((), ("-v",), ("--debug",))


def configure(root: Path, origin: str, provider: str) -> None:
    """A configuration of one provider on the sandbox at `origin`, and the examples of its kind."""
    (root / "providers.yaml").write_text(
        f"version: 1\nproviders:\n  {provider}:\n    base_url: {origin}/{provider}\n"
        f"    {BLOCKS[provider]}\n",
        encoding="utf-8",
    )
    shutil.copytree(EXAMPLES / KINDS[provider], root / KINDS[provider])


def echo(sandbox: Sandbox, provider: str, methods: tuple[str, ...]) -> list[Fault]:
    """Every request of these methods to the provider's API (not its login or refresh) is
    refused with an error body that repeats its credentials and body."""
    sandbox.faults.clear()
    return [
        sandbox.faults.add(Fault(kind="echo", path=f"^/{provider}/(?!auth/)", method=method,
                                 status=400, times=None))
        for method in methods
    ]


def wire_forms(sandbox: Sandbox, provider: str, echoed: list[Echoed]) -> set[str]:
    """Every form the credential took on the refused requests, each checked for what it is,
    with the configured secret; the test fails if the echo saw none."""
    assert echoed, "the echo fault refused no request: nothing was tested"
    secret = SANDBOX_ENV[VARIABLE[provider]]
    forms = {secret}
    for seen in echoed:
        if provider == "prevail":
            scheme, _, token = seen.authorization.partition(" ")
            with warnings.catch_warnings():  # the sandbox's key is short, as the product's may be
                warnings.simplefilter("ignore", InsecureKeyLengthWarning)
                claims = jwt.decode(token, secret, algorithms=["HS256"],
                                    options={"verify_exp": False})
            assert (scheme, claims["slug"]) == ("Bearer", SANDBOX_ENV["PREVAIL_COMPANY_ID"])
            forms.add(token)
        elif provider == "previsto":
            payload = base64.b64encode(f"{secret}:".encode()).decode()
            assert seen.authorization == f"Basic {payload}"
            forms |= {payload, quote(payload, safe="")}
        else:
            name, _, token = seen.cookie.partition("=")
            digest = hashlib.sha256(token.encode()).hexdigest()
            assert name == "access_token" and sandbox.store.get(TOKENS, digest) is not None
            forms.add(token)
    return forms


def shown(result: Result) -> str:
    """What a user sees of a run: stdout, stderr, and with --debug the traceback the process
    prints (the CLI re-raises; the runner keeps the exception)."""
    text = result.stdout + result.stderr
    if result.exc_info and not isinstance(result.exception, SystemExit):
        text += "".join(traceback.format_exception(*result.exc_info))
    return text


def leaks(texts: dict[str, str], forms: set[str]) -> list[str]:
    return [f"{where}: {form[:8]}…" for where, text in texts.items()
            for line in text.splitlines() for form in sorted(forms) if form in line]


@pytest.mark.parametrize("provider", sorted(KINDS))
def test_echoed_credentials_are_in_no_output_or_journal_line(
    repo: Repo, cli: Run, sandbox_url: str, provider: str
):
    (repo.root / "providers.yaml").unlink()
    configure(repo.root, sandbox_url, provider)
    journal = Path(".reconciler/journal.jsonl")
    outputs: dict[str, str] = {}
    faults: list[Fault] = []
    for level in LEVELS:
        # A refused list: the plan stops with the API's message on one `Error:` line.
        faults += echo(repo.sandbox, provider, ("GET",))
        refused = cli(*level, "plan", repo.root, expect=1)
        outputs[f"{level} plan"] = shown(refused)
        assert MASKED[provider] in shown(refused), shown(refused)
        # Refused writes: each outcome line, the final table and the journal carry the message.
        faults += echo(repo.sandbox, provider, WRITES)
        failed = cli(*level, "apply", repo.root, "--auto-approve", expect=1)
        outputs[f"{level} apply"] = shown(failed)
        assert "failed" in failed.stdout and MASKED[provider] in failed.stdout, failed.stdout
    outputs["journal"] = journal.read_text(encoding="utf-8")
    messages = [json.loads(line).get("message", "") for line in outputs["journal"].splitlines()]
    assert any(MASKED[provider] in message for message in messages), outputs["journal"]
    forms = wire_forms(repo.sandbox, provider, [seen for fault in faults for seen in fault.echoed])
    # The sandbox's admin API describes the faults without what they echoed.
    outputs["admin API"] = json.dumps([fault.to_json() for fault in faults])
    assert leaks(outputs, forms) == []


@pytest.mark.parametrize("provider", sorted(KINDS))
def test_echoed_credentials_are_in_no_line_of_the_actions_log(
    push_runner: Runner, sandbox: Sandbox, sandbox_url: str, provider: str
):
    workspace = push_runner.workspace
    (workspace / "events.yaml").unlink()
    configure(workspace, sandbox_url, provider)
    faults = echo(sandbox, provider, WRITES)
    result = push_runner.run({"command": "apply", "path": ".",
                              "args": "--max-change-percent 100"})
    assert result.outputs["exitcode"] == "1", result.stdout + result.stderr
    forms = wire_forms(sandbox, provider, [seen for fault in faults for seen in fault.echoed])
    log = job_log(result)
    masks = [line for line in log.splitlines() if line.startswith("::add-mask::")]
    # The forms known before the run (the secret, the Basic payload) are handed to the runner,
    # which never shows those lines; the ones minted during the run only the tool can redact.
    assert mask_lines(VARIABLE[provider]) <= set(masks)
    texts = {"job log": "\n".join(line for line in log.splitlines() if line not in masks),
             "journal": (Path(result.step("run").outputs["dir"]) / "journal.jsonl").read_text(
                 encoding="utf-8")}
    assert MASKED[provider] in texts["job log"], texts["job log"]
    assert leaks(texts, forms) == []


def job_log(result: ActionResult) -> str:
    """Every line the job's steps printed, and the job summary."""
    return "".join(step.stdout + step.stderr for step in result.steps) + result.summary

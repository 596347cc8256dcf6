"""A secret too short to mean anything (a dummy "e", a PIN "7") must not garble the comment or
the job log, yet is still never printed where it stands as a value."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from reconciler.github.publish import publish
from reconciler.github.report import RunReport
from reconciler.github.runner import mask_commands
from reconciler.redaction import MIN_SECRET_LENGTH, redact_text
from tests.fixtures.repo import Repo, Run

EVENT = """version: 1
events:
  - key: gala
    title: Winter Gala at the Peace Hall
    start: 2027-01-15T18:00:00+01:00
    end: 2027-01-15T23:00:00+01:00
    custom_fields: {door_code: "e", note: "see the events team"}
"""


def test_a_one_character_secret_leaves_the_comment_readable(repo: Repo, cli: Run,
                                                            tmp_path: Path):
    repo.write("events.yaml", EVENT)
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    summary = tmp_path / "summary.md"
    report = RunReport(command="plan", exitcode=2, markdown=markdown,
                       document={"has_changes": True, "summary": {"create": 1}})
    publish(report, environ={"GITHUB_STEP_SUMMARY": str(summary)},
            secrets=["e", "sandbox-prospero-password"])
    written = summary.read_text(encoding="utf-8")
    # Every "e" of ordinary text stays; the value that is exactly the secret does not.
    assert "Winter Gala at the Peace Hall" in written and "see the events team" in written
    assert '"door_code": "***"' in written and '"door_code": "e"' not in written
    assert written.count("***") == 1
    # Below the named marker and heading, the plan as the CLI wrote it, that value aside.
    body = markdown.replace('"door_code": "e"', '"door_code": "***"').split("\n", 2)[2]
    assert written.split("\n", 2)[2] == body


def test_long_secrets_go_wherever_they_occur_short_ones_only_as_whole_values():
    assert MIN_SECRET_LENGTH == 4
    text = "token=abcd1234 in 'abc' and abc and \"abc\" and abcd"
    assert redact_text(text, ["abcd1234", "abc"]) == (
        "token=*** in '***' and abc and \"***\" and abcd"
    )
    assert redact_text("x%2By x+y", ["x+y"]) == "x%2By x+y"  # short: no encoded forms either
    assert redact_text("p%40ss p@ss", ["p@ss"]) == "*** ***"


def test_the_log_is_not_masked_for_a_short_secret_and_the_run_says_so(tmp_path: Path):
    # k-123 and base64("k-123:"), the form a Basic header would carry it in; 7 not at all.
    assert mask_commands(["7", "k-123"]) == ["::add-mask::k-123", "::add-mask::ay0xMjM6"]
    config = tmp_path / "providers.yaml"
    config.write_text(
        "providers:\n  previsto: {api_key: '${PIN}'}\n  prospero: {email: x, password: '${PW}'}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["github", "mask", str(config)],
                                env={"GITHUB_ACTIONS": "true", "PIN": "7", "PW": "k-123"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "::add-mask::k-123" in lines
    assert not any(line.startswith("::add-mask::7") for line in lines)
    assert (
        "::warning title=reconciler secrets::PIN is shorter than 4 characters: it is not masked "
        "in the log (masking it would hide every occurrence of those characters); use a real "
        "secret"
    ) in lines
    assert lines[-1] == "Masked 1 secret value named in the providers block."

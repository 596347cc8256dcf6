"""A notification that cannot be delivered is one line on stderr and changes nothing else: not
apply's exit code, not its output, and it is not remembered as told."""

from __future__ import annotations

import pytest

from reconciler.sandbox.faults import Fault
from tests.fixtures.faults import FAST, event
from tests.fixtures.repo import Repo, Run
from tests.notify.conftest import TOKEN, VARIABLE, Inbox, closed_port_url, notify_to

EVENTS = "version: 1\nevents:\n" + event("d-one", "One", 3) + event("d-two", "Two", 4)


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "notification" in line]


@pytest.mark.parametrize("level", [(), ("-v",), ("--debug",)])
def test_an_endpoint_that_is_down_leaves_the_exit_code_and_says_one_line(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch, level: tuple[str, ...]
):
    monkeypatch.setenv(VARIABLE, closed_port_url())
    notify_to(repo)
    repo.write("events.yaml", EVENTS)
    result = cli(*level, "apply", repo.root, "--auto-approve", expect=0)
    assert "Apply complete: 2 applied, 0 failed, 0 not attempted." in result.stdout
    (warning,) = warnings_of(result.stderr)
    assert warning.startswith('Warning: notification "team" was not sent: ')
    assert "Connection error" in warning
    # Neither the URL nor its token, whatever the log level.
    assert TOKEN not in result.stdout + result.stderr


def test_an_endpoint_that_refuses_leaves_a_failed_apply_at_exit_1(
    repo: Repo, cli: Run, inbox: Inbox
):
    repo.write("events.yaml", EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo)
    inbox.status = 503
    repo.write("events.yaml", "version: 1\nevents:\n" + event("d-one", "One", 5))
    repo.sandbox.faults.add(
        Fault(kind="status", status=500, path="^/prospero/events", method="PATCH", times=5)
    )
    result = cli(*FAST, "apply", repo.root, "--auto-approve", expect=1)
    assert len(inbox.payloads) == 1  # it was sent, and refused
    (warning,) = warnings_of(result.stderr)
    assert warning.startswith('Warning: notification "team" was not sent: ')
    assert "503" in warning
    assert TOKEN not in result.stdout + result.stderr


def test_a_finding_not_delivered_is_told_on_the_next_run(repo: Repo, cli: Run, inbox: Inbox):
    repo.write("events.yaml", EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo, ["drift-detected"])
    page = repo.sandbox.store.query(
        "prospero.events", where={"customFields.reconciler_key": "d-one"}
    )
    (one,) = page.documents
    repo.sandbox.store.replace("prospero.events", str(one["id"]), {**one, "title": "Edited"})
    inbox.status = 500
    first = cli("drift", repo.root, expect=2)
    assert len(warnings_of(first.stderr)) == 1
    inbox.status = 200
    cli("drift", repo.root, expect=2)
    assert inbox.first_lines == ["1 event edited remotely", "1 event edited remotely"]
    cli("drift", repo.root, expect=2)
    assert len(inbox.payloads) == 2


def test_a_memory_that_cannot_be_kept_is_one_line_and_the_exit_code_stays(
    repo: Repo, cli: Run, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, tmp_path
):
    repo.write("events.yaml", EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo)
    page = repo.sandbox.store.query(
        "prospero.events", where={"customFields.reconciler_key": "d-two"}
    )
    (two,) = page.documents
    repo.sandbox.store.replace("prospero.events", str(two["id"]), {**two, "title": "Edited"})
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    result = cli("drift", repo.root, expect=2)
    assert inbox.first_lines == ["1 event edited remotely"]
    (warning,) = warnings_of(result.stderr)
    assert warning.startswith(
        'Warning: notification "team" was sent, but what it was told could not be remembered: '
    ), warning

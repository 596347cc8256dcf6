"""Apply reads again what it will change right before its first write: an edit a colleague made
in the web UI while the plan was being read (or after a plan was saved) is not overwritten.

The person at the terminal is a stdin that is a terminal: while the plan waits for their answer,
the colleague's edit is made in the sandbox's store, then `yes` is typed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.clock import FakeClock
from tests.fixtures.faults import assignment, backdate_events, event, many_events, session
from tests.fixtures.repo import Repo, Run
from tests.fixtures.terminal import Terminal

EVENTS = "prospero.events"


def stored_event(repo: Repo, key: str) -> dict[str, Any]:
    (found,) = [
        e
        for e in repo.sandbox.store.query(EVENTS).documents
        if (e.get("customFields") or {}).get("reconciler_key") == key
    ]
    return found


def edit_event(repo: Repo, key: str, **fields: Any) -> Callable[[], None]:
    def edit() -> None:
        stored = stored_event(repo, key)
        repo.sandbox.store.replace(EVENTS, str(stored["id"]), {**stored, **fields})

    return edit


def applied(repo: Repo, cli: Run, objects: str) -> None:
    """The objects declared and applied; the request log is then empty."""
    repo.write("objects.yaml", "version: 1\n" + objects)
    cli("apply", repo.root, "--auto-approve")
    repo.forget_requests()


def test_a_colleague_edit_to_a_field_the_apply_writes_is_refused_and_kept(
    repo: Repo, cli: Run
) -> None:
    """The plan retitles the event; while it is read, a colleague retitles it too. `yes` sends
    nothing: the refusal names the object and the field, and the colleague's title stays."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5))
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One (ours)", 5))
    colleague = edit_event(repo, "e-one", title="One (colleague)")
    result = cli("apply", repo.root, input=Terminal("yes\n", colleague), expect=1)
    assert '"One" → "One (ours)"' in result.stdout  # what was shown
    assert "Error: refusing to apply: changed remotely after the plan was read" in result.stderr
    assert "events.e-one (title)" in result.stderr
    assert "nothing was sent" in result.stderr
    assert repo.writes() == []
    assert stored_event(repo, "e-one")["title"] == "One (colleague)"


def test_an_edit_to_a_field_the_apply_does_not_write_survives_the_update(
    repo: Repo, cli: Run
) -> None:
    """The plan raises the capacity; the colleague's new title is no conflict: the merge patch
    sends the capacity alone, and both edits hold."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5))
    repo.write(
        "objects.yaml",
        "version: 1\nevents:\n" + event("e-one", "One", 5).replace("capacity: 10", "capacity: 30"),
    )
    colleague = edit_event(repo, "e-one", title="One (colleague)")
    cli("apply", repo.root, input=Terminal("yes\n", colleague))
    assert [w.body for w in repo.writes()] == [{"capacity": 30}]
    stored = stored_event(repo, "e-one")
    assert (stored["title"], stored["capacity"]) == ("One (colleague)", 30)


def test_a_written_field_edited_to_the_planned_value_is_left_out_of_the_request(
    repo: Repo, cli: Run
) -> None:
    """The colleague made the very edit the plan makes: nothing of theirs is lost, so no
    conflict, and the field is not sent again (no write that changes nothing)."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5))
    repo.write(
        "objects.yaml",
        "version: 1\nevents:\n" + event("e-one", "Two", 5).replace("capacity: 10", "capacity: 30"),
    )
    colleague = edit_event(repo, "e-one", title="Two")
    cli("apply", repo.root, input=Terminal("yes\n", colleague))
    assert [w.body for w in repo.writes()] == [{"capacity": 30}]


def test_a_removal_of_an_object_edited_meanwhile_is_refused(repo: Repo, cli: Run) -> None:
    """A delete throws away every field, so any edit to the object counts: the colleague's
    new details stop `--prune` from deleting it."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5) + event("e-two", "Two", 6))
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One", 5))
    colleague = edit_event(repo, "e-two", details="<p>Keep this one, please.</p>")
    result = cli("apply", repo.root, "--prune", input=Terminal("yes\n", colleague), expect=1)
    assert "events.e-two (details)" in result.stderr
    assert repo.writes() == []
    assert stored_event(repo, "e-two")["details"] == "<p>Keep this one, please.</p>"


def test_an_object_created_meanwhile_under_the_key_is_not_created_again(
    repo: Repo, cli: Run, sandbox_url: str
) -> None:
    """Another run created the declared event while the plan was read: no second one."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5))
    repo.write(
        "objects.yaml",
        "version: 1\nevents:\n" + event("e-one", "One", 5) + event("e-new", "New", 7),
    )
    marker = {**stored_event(repo, "e-one")["customFields"], "reconciler_key": "e-new"}

    def other_run() -> None:
        body = {
            "event": {
                "title": "New",
                "start": "2027-07-07T10:00:00Z",
                "end": "2027-07-07T11:00:00Z",
                "customFields": marker,
            }
        }
        httpx.post(
            f"{sandbox_url}/prospero/events",
            json=body,
            headers={"Authorization": "Bearer sandbox-prospero-token"},
        ).raise_for_status()

    result = cli("apply", repo.root, input=Terminal("yes\n", other_run), expect=1)
    assert "events.e-new (an object with this key appeared" in result.stderr
    assert len(repo.writes()) == 1  # the other run's create alone
    assert stored_event(repo, "e-new")["title"] == "New"


def test_on_drift_keep_leaves_the_edit_and_sends_the_other_fields(repo: Repo, cli: Run) -> None:
    """`--on-drift keep` mirrors plan-time drift: the colleague's title is kept, the capacity
    the configuration changed is sent, and the output says what was kept."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "base"]):
        subprocess.run([*git, *args], cwd=repo.root, check=True, capture_output=True)
    repo.write(
        "objects.yaml",
        "version: 1\nevents:\n" + event("e-one", "Ours", 5).replace("capacity: 10", "capacity: 30"),
    )
    subprocess.run([*git, "commit", "-q", "-am", "more"], cwd=repo.root, check=True)
    colleague = edit_event(repo, "e-one", title="Theirs")
    result = cli(
        "apply",
        repo.root,
        "--on-drift",
        "keep",
        "--base-ref",
        "HEAD~1",
        input=Terminal("yes\n", colleague),
    )
    assert "events.e-one: not sent: remote edit made after the plan was read kept (title" in (
        result.stdout
    )
    assert [w.body for w in repo.writes()] == [{"capacity": 30}]
    assert stored_event(repo, "e-one")["title"] == "Theirs"


def test_a_saved_plan_confirmed_at_the_terminal_is_checked_again_before_writing(
    repo: Repo, cli: Run, tmp_path: Path
) -> None:
    """The saved plan is fresh when `apply plan.json` verifies it; the colleague edits while
    it waits for `yes`: the pre-write check refuses it, where the staleness check could not."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5))
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One (ours)", 5))
    plan_file = tmp_path / "plan.json"
    cli("plan", repo.root, "-o", plan_file)
    colleague = edit_event(repo, "e-one", title="One (colleague)")
    result = cli("apply", plan_file, input=Terminal("yes\n", colleague), expect=1)
    assert "events.e-one (title)" in result.stderr
    assert repo.writes() == []


def test_the_check_costs_one_list_request_per_kind_written(repo: Repo, cli: Run) -> None:
    """Between the plan's refresh and the first write: one list of each kind written (the
    written objects' window, as the read-back reads), and no per-object read."""
    ident = next(a["id"] for a in repo.sandbox.store.query("previsto.assignments").documents)
    objects = (
        "sessions:\n"
        + session("s-one", "One", 5)
        + "events:\n"
        + event("e-one", "One", 5)
        + "assignments:\n"
        + assignment("a-one", ident, "n")
    )
    applied(repo, cli, objects)
    repo.write(
        "objects.yaml", "version: 1\n" + objects.replace("One", "Uno").replace("crew: n", "crew: s")
    )
    cli("plan", repo.root)
    planned = [r.path for r in repo.requests() if r.method == "GET"]
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    records = repo.requests()
    first_write = next(i for i, r in enumerate(records) if r.method in ("PATCH", "PUT"))
    before = [r.path for r in records[:first_write] if r.method == "GET"]
    extra = list(before)
    for path in planned:
        extra.remove(path)
    # Only list paths, one a kind: no GET of one object.
    assert sorted(extra) == ["/prevail/sessions", "/previsto/assignments", "/prospero/events"]


def test_a_stale_saved_plan_names_the_object_and_field_that_moved(
    repo: Repo, cli: Run, tmp_path: Path
) -> None:
    """The colleague's edit lands between `plan -o` and `apply plan.json`: the saved plan's own
    staleness check refuses it (no second read is needed for that), naming what moved."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5))
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One (ours)", 5))
    plan_file = tmp_path / "plan.json"
    cli("plan", repo.root, "-o", plan_file)
    edit_event(repo, "e-one", title="One (colleague)")()
    result = cli("apply", plan_file, "--auto-approve", expect=1)
    assert "is stale" in result.stderr
    assert "(events.e-one: title); nothing was sent" in result.stderr
    assert repo.writes() == []


def test_a_field_the_request_carries_along_counts_as_written(repo: Repo, cli: Run) -> None:
    """api-contract.md, Prevail — Edit: to change any of start_date, start_time, time_zone, send
    all three. The plan moves the session's start; a colleague changes its zone meanwhile: the
    edit would send the planned zone over theirs, so it is a conflict, named."""
    applied(repo, cli, "sessions:\n" + session("s-one", "One", 5))
    moved = session("s-one", "One", 5).replace("T09:00", "T10:00")
    repo.write("objects.yaml", "version: 1\nsessions:\n" + moved)

    def colleague() -> None:
        (stored,) = [
            s
            for s in repo.sandbox.store.query("prevail.sessions").documents
            if "reconciler-key: s-one" in str(s.get("session_details"))
        ]
        ident = str(stored["remote_session_id"])
        repo.sandbox.store.replace(
            "prevail.sessions", ident, {**stored, "time_zone": "America/Chicago"}
        )

    result = cli("apply", repo.root, input=Terminal("yes\n", colleague), expect=1)
    assert "sessions.s-one (time_zone)" in result.stderr
    assert repo.writes() == []


def test_a_removal_whose_object_is_already_gone_is_left_out(repo: Repo, cli: Run) -> None:
    """The colleague deleted the event the plan prunes: nothing of theirs is lost, the result is
    the one confirmed, so the apply goes on without sending the delete, and says so."""
    applied(repo, cli, "events:\n" + event("e-one", "One", 5) + event("e-two", "Two", 6))
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One", 5))

    def colleague() -> None:
        repo.sandbox.store.delete(EVENTS, str(stored_event(repo, "e-two")["id"]))

    result = cli("apply", repo.root, "--prune", input=Terminal("yes\n", colleague))
    assert "events.e-two: not sent: already gone when the apply was about to remove it" in (
        result.stdout
    )
    assert "Nothing left to apply; nothing was changed." in result.stdout
    assert repo.writes() == []


def moved_far(repo: Repo, clock: FakeClock) -> Callable[[], None]:
    """A colleague moves e-0 two years on, as the web UI would (its last change is now)."""

    def move() -> None:
        stored = stored_event(repo, "e-0")
        moved = {**stored, "start": "2029-07-01T00:00:00Z", "end": "2029-07-01T00:30:00Z",
                 "lastUpdatedAt": clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}
        repo.sandbox.store.replace(EVENTS, str(stored["id"]), moved)

    return move


def test_a_colleague_moving_an_event_far_away_is_seen_among_hundreds(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    """700 events (two of Prospero's pages); the plan moves the first by ten minutes, and a
    colleague moves it two years on meanwhile, out of the window the plan writes in. The check
    reads what moved since the plan (recently updated first: one list), wherever it moved to,
    and refuses."""
    repo.write("objects.yaml", many_events(700))
    cli("apply", repo.root, "--auto-approve")
    backdate_events(repo)
    clock.advance(3600)
    first = "start: 2027-07-01T00:00:00Z\n    end: 2027-07-01T00:30:00Z"
    assert many_events(700).count(first) == 1
    repo.write("objects.yaml", many_events(700).replace(
        first, "start: 2027-07-01T00:10:00Z\n    end: 2027-07-01T00:40:00Z"))
    repo.forget_requests()

    result = cli("apply", repo.root, input=Terminal("yes\n", moved_far(repo, clock)), expect=1)
    assert "events.e-0 (" in result.stderr and "nothing was sent" in result.stderr
    assert repo.writes() == []
    assert stored_event(repo, "e-0")["start"] == "2029-07-01T00:00:00Z"
    checked = [r for r in repo.requests() if r.method == "GET" and r.path == "/prospero/events"
               and "order=lastUpdatedAt" in r.query]
    assert len(checked) == 1


def test_an_event_moved_far_away_after_the_plan_is_still_read_back(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    """The plan retitles the first of 700 events; the colleague's move two years on touches a
    field the update does not write, so the title goes and the move stays; the read-back finds
    the event where it went and verifies the title."""
    repo.write("objects.yaml", many_events(700))
    cli("apply", repo.root, "--auto-approve")
    backdate_events(repo)
    clock.advance(3600)
    repo.write("objects.yaml", many_events(700, renamed=frozenset({0})))

    result = cli("apply", repo.root, input=Terminal("yes\n", moved_far(repo, clock)))
    assert "Read back: 1 verified, 0 unverified, 0 duplicates removed." in result.stdout
    stored = stored_event(repo, "e-0")
    assert (stored["title"], stored["start"]) == ("Event 0 moved", "2029-07-01T00:00:00Z")

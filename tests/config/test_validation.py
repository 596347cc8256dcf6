"""One validation: what `plan` refuses for the configuration's own content, `validate` refuses
too, with the same FILE:LINE:COL line, and neither says "internal error" or sends a request."""

from __future__ import annotations

import pytest

from tests.fixtures.repo import Repo, Run

EVENT = """version: 1
events:
  - key: gala
    title: {title}
    start: 2027-04-10T10:00:00Z
    end: 2027-04-10T11:00:00Z
"""

SESSION = """version: 1
sessions:
  - key: deposition
    title: Deposition
    case: 2027-CV-0142
    start: 2027-04-12T09:00
    time_zone: America/New_York
    duration_hours: {hours}
    invites: [counsel@example.com]
"""

SERIES = """version: 1
events:
  - key: standup
    title: Stand-up
    start: 2027-04-05T09:00
    end: 2027-04-05T09:15
    time_zone: Europe/Copenhagen
    recurrence:
      rrule: {rule}
"""


def issue_lines(stderr: str) -> list[str]:
    """stderr without the note a pinned clock adds."""
    return [line for line in stderr.splitlines() if not line.startswith("Note: ")]


def refused_alike(repo: Repo, cli: Run, *options: str) -> str:
    """The first issue line, which `validate` and `plan` both print; plan sent nothing."""
    repo.forget_requests()
    validated = cli("validate", *options, repo.root, expect=1)
    planned = cli("plan", *options, repo.root, expect=1)
    for result in (validated, planned):
        assert "internal error" not in result.output
        assert result.stderr.splitlines()[-1].startswith("Error: the configuration has")
    first, *_ = issue_lines(validated.stderr)
    assert issue_lines(planned.stderr)[0] == first
    assert repo.requests() == []
    return first


def test_events_without_a_provider_block_are_refused_by_validate_as_by_plan(
    repo: Repo, cli: Run
) -> None:
    (repo.root / "providers.yaml").unlink()
    path = repo.write("events.yaml", EVENT.format(title="Gala"))
    assert refused_alike(repo, cli) == (
        f"{path}:2:1: events: events are declared but providers.prospero is not configured in "
        "any file"
    )
    # Against the sandbox, which brings its own providers, the same files are valid.
    assert cli("validate", "--sandbox", repo.root).stdout.startswith("Valid: 0 sessions, 1 event,")


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("http://prospero.example.com", "uses plain http; credentials travel only over https"),
        ("https://prospero.example.com:99999/api", "must be an http:// or https:// URL with a"),
    ],
)
def test_a_base_url_the_transport_refuses_is_a_configuration_error(
    repo: Repo, cli: Run, base_url: str, problem: str
) -> None:
    providers = repo.root / "providers.yaml"
    text = providers.read_text(encoding="utf-8")
    start = text.index("base_url:", text.index("prospero:"))
    end = text.index("\n", start)
    providers.write_text(text[:start] + f"base_url: {base_url}" + text[end:], encoding="utf-8")
    repo.write("events.yaml", EVENT.format(title="Gala"))
    line = text[:start].count("\n") + 1
    first = refused_alike(repo, cli)
    assert first.startswith(f"{providers}:{line}:5: providers.prospero.base_url: {problem}")
    assert base_url not in first  # a value of the providers block is never echoed


@pytest.mark.parametrize(
    ("hours", "column", "message"),
    [
        ("1e308", 5, "must be at most 8760"),
        ("100000", 5, "must be at most 8760"),
        (".inf", 21, ".inf is not a finite number"),
    ],
)
def test_an_overflowing_duration_is_refused_in_place(
    repo: Repo, cli: Run, hours: str, column: int, message: str
) -> None:
    path = repo.write("sessions.yaml", SESSION.format(hours=hours))
    assert refused_alike(repo, cli) == (
        f"{path}:8:{column}: sessions[0].duration_hours: {message}"
    )


def test_an_integer_past_pythons_conversion_limit_is_refused_in_place(repo: Repo, cli: Run) -> None:
    path = repo.write("events.yaml", EVENT.format(title="Gala") + "    capacity: " + "9" * 5000)
    assert refused_alike(repo, cli).startswith(f"{path}:7:5: events[0].capacity: must be")


def test_a_lone_surrogate_in_a_title_is_refused_in_place(repo: Repo, cli: Run) -> None:
    path = repo.write("events.yaml", EVENT.format(title='"Gala \\ud800"'))
    assert refused_alike(repo, cli) == (
        f"{path}:4:12: events[0].title: contains \\ud800, half of a UTF-16 surrogate pair and "
        "not a character on its own: write the character itself"
    )


def test_a_lone_surrogate_in_a_key_is_refused_in_place(repo: Repo, cli: Run) -> None:
    path = repo.write("events.yaml", EVENT.format(title="Gala") + '    "x\\udfff": 1\n')
    assert refused_alike(repo, cli).startswith(
        f'{path}:7:5: events[0]["x\\ufffd"]: contains \\udfff'
    )


def test_a_secret_that_is_not_utf8_is_refused_without_echo(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What os.environ holds for bytes the locale cannot decode.
    monkeypatch.setenv("PROSPERO_PASSWORD", "pw-\udcff-canary")
    repo.write("events.yaml", EVENT.format(title="Gala"))
    result = cli("plan", repo.root, expect=1)
    assert "providers.prospero.password: environment variable PROSPERO_PASSWORD is not valid " \
           "UTF-8 text" in result.stderr
    assert "canary" not in result.output
    assert repo.requests() == []


@pytest.mark.parametrize(
    ("rule", "more", "where", "message"),
    [
        ("FREQ=WEEKLY;COUNT=-1", "", "9:7: events[0].recurrence.rrule",
         "COUNT must be a whole number of 1 or more, not '-1'"),
        ("FREQ=WEEKLY;COUNT=0", "", "9:7: events[0].recurrence.rrule",
         "COUNT must be a whole number of 1 or more, not '0'"),
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "", "9:7: events[0].recurrence.rrule",
         "INTERVAL must be a whole number of 1 or more, not '0'"),
        ("FREQ=DAILY;COUNT=3", "      until: 2027-01-01\n", "8:5: events[0].recurrence",
         "the series has no occurrence"),
    ],
)
def test_a_rule_without_occurrences_is_refused_before_it_plans_to_delete_the_series(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch, rule: str, more: str, where: str,
    message: str,
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-03-01T00:00:00Z")
    path = repo.write("events.yaml", SERIES.format(rule="FREQ=WEEKLY;COUNT=3"))
    cli("apply", repo.root, "--auto-approve")
    assert len(repo.sandbox.store.query("prospero.events",
                                        where={"customFields.managed_by": "reconciler"}).documents
               ) == 3

    repo.write("events.yaml", SERIES.format(rule=rule) + more)
    first = refused_alike(repo, cli)
    assert first.startswith(f"{path}:{where}: ")
    assert message in first


def test_exdates_that_drop_every_occurrence_leave_no_series(repo: Repo, cli: Run) -> None:
    path = repo.write(
        "events.yaml",
        SERIES.format(rule="FREQ=WEEKLY;COUNT=2")
        + "      exdates: [2027-04-05, 2027-04-12]\n",
    )
    assert "the series has no occurrence" in refused_alike(repo, cli)
    assert refused_alike(repo, cli).startswith(f"{path}:8:5: events[0].recurrence:")


def test_a_series_that_ended_is_still_valid(repo: Repo, cli: Run) -> None:
    # All its occurrences are past: nothing to declare, nothing refused.
    repo.write("events.yaml", SERIES.format(rule="FREQ=WEEKLY;COUNT=2")
               .replace("2027-04-05", "2020-04-06"))
    assert cli("validate", repo.root).stdout.startswith("Valid: 0 sessions, 0 events")
    cli("plan", repo.root)


def test_an_override_ending_before_its_start_is_refused_by_validate(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-03-01T00:00:00Z")
    path = repo.write(
        "events.yaml",
        SERIES.format(rule="FREQ=WEEKLY;COUNT=3")
        + "    overrides:\n      2027-04-12: {end: 2027-04-12T08:00}\n",
    )
    assert refused_alike(repo, cli) == (
        f"{path}:11:7: events.standup@2027-04-12 ends (2027-04-12T06:00:00Z) before it starts "
        "(2027-04-12T07:00:00Z): give the override an end after its start"
    )


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_start_at_the_ends_of_the_calendar_is_refused_in_place(
    repo: Repo, cli: Run, start: str
) -> None:
    # Tokyo is ahead of UTC, New York behind: either way the instant leaves what dates can hold.
    for zone in ("Asia/Tokyo", "America/New_York"):
        path = repo.write(
            "sessions.yaml",
            SESSION.format(hours=1).replace("2027-04-12T09:00", start)
            .replace("America/New_York", zone),
        )
        assert refused_alike(repo, cli) == (
            f'{path}:6:5: sessions[0].start: "{start}" is out of range: use a date from 1900 '
            "to 2999"
        )


def test_an_override_moved_off_the_calendar_is_refused_at_the_override(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-03-01T00:00:00Z")
    path = repo.write(
        "events.yaml",
        SERIES.format(rule="FREQ=WEEKLY;COUNT=3")
        + "    overrides:\n      2027-04-12: {end: 0001-01-01T08:00}\n",
    )
    assert refused_alike(repo, cli) == (
        f'{path}:11:7: events.standup@2027-04-12: end "0001-01-01T08:00" is out of range: use a '
        "date from 1900 to 2999"
    )

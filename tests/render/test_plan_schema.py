"""The JSON plan is a published format: schemas/plan.schema.json describes every plan written."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.render.json import SCHEMA_ID, schema_problems
from tests.fixtures.configs import SMITH_SCHEDULE
from tests.fixtures.repo import SCOPE, Repo, Run

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"

SCHEDULE = SMITH_SCHEDULE


def planned(repo: Repo, cli: Run, *extra: str) -> dict[str, object]:
    result = cli("plan", repo.root, "--format", "json", *extra)
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def test_the_schema_is_a_valid_2020_12_schema_published_under_an_https_id() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID and SCHEMA_ID.startswith("https://")
    assert schema["properties"]["format_version"] == {
        "description": schema["properties"]["format_version"]["description"],
        "const": 1,
    }


def test_each_change_carries_before_after_origin_scope_and_its_times_on_both_clocks(
    repo: Repo, cli: Run, plan_schema_audit: Path
) -> None:
    """A create has no `before`, its `after` is the declared object, and its start and end are
    given in UTC and on the wall clock of its zone; the plan names its schema."""
    repo.write("schedule.yaml", SCHEDULE.format(capacity=200))
    document = planned(repo, cli)
    assert document["$schema"] == SCHEMA_ID
    changes = {change["address"]: change for change in document["changes"]}  # type: ignore[attr-defined]
    session = changes["sessions.smith-depo"]
    assert session["before"] is None
    assert session["after"]["title"] == "Deposition of J. Smith"
    assert session["origin"] is None  # made without --base-ref: why is not known
    assert session["scope"] == SCOPE
    assert session["times"] == {
        "time_zone": "America/New_York",
        "start": {"utc": "2027-03-02T14:00:00Z", "local": "2027-03-02T09:00:00-05:00"},
        "end": {"utc": "2027-03-02T15:30:00Z", "local": "2027-03-02T10:30:00-05:00"},
    }
    event = changes["events.gala"]
    assert event["times"]["start"]["local"] == "2027-01-15T17:00:00+00:00"  # no zone: UTC
    assert event["times"]["end"]["utc"] == "2027-01-15T22:00:00Z"
    # The autouse audit saw this plan and found it valid.
    lines = plan_schema_audit.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"schema": "plan.schema.json", "problems": []}]


def test_an_update_shows_the_whole_object_before_and_after(
    repo: Repo, cli: Run, tmp_path: Path
) -> None:
    """`before` is the object as found, `after` as apply leaves it: the unchanged fields too,
    which a rule over the plan needs (capacity against the invitees of an unchanged list)."""
    repo.write("schedule.yaml", SCHEDULE.format(capacity=200))
    cli("apply", repo.root, "--auto-approve")
    repo.write("schedule.yaml", SCHEDULE.format(capacity=250))
    saved = tmp_path / "plan.json"
    cli("plan", repo.root, "-o", saved)
    (change,) = json.loads(saved.read_text(encoding="utf-8"))["changes"]
    assert change["action"] == "update"
    assert (change["before"]["capacity"], change["after"]["capacity"]) == (200, 250)
    assert change["before"]["title"] == change["after"]["title"] == "Winter Gala"
    assert schema_problems(json.loads(saved.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    ("damage", "found"),
    [
        (lambda d: d.update(format_version=2), "/format_version"),
        (lambda d: d["changes"][0].update(action="explode"), "/changes/0/action"),
        (lambda d: d["changes"][0].pop("after"), "/changes/0"),
        (lambda d: d["changes"][0]["times"]["start"].update(utc="tomorrow"), "/changes/0/times"),
        (lambda d: d.pop("changes"), "/"),
    ],
)
def test_the_schema_refuses_what_is_not_a_plan_of_version_1(
    repo: Repo, cli: Run, damage: object, found: str
) -> None:
    repo.write("schedule.yaml", SCHEDULE.format(capacity=200))
    document = planned(repo, cli)
    damage(document)  # type: ignore[operator]
    problems = schema_problems(document)
    assert problems and any(problem.startswith(found) for problem in problems), problems


def test_fields_added_later_within_version_1_keep_a_plan_valid(repo: Repo, cli: Run) -> None:
    """Readers ignore what they do not know: a field a newer reconciler adds to a change (or
    to the plan) does not make the document invalid under this schema."""
    repo.write("schedule.yaml", SCHEDULE.format(capacity=200))
    document = planned(repo, cli)
    document["changes"][0]["moved_from"] = "sessions.old-key"  # type: ignore[index]
    document["windows"] = {"next_opening": None}
    assert schema_problems(document) == []


def test_an_all_day_event_gives_its_dates_as_its_times(repo: Repo, cli: Run) -> None:
    repo.write(
        "schedule.yaml",
        """version: 1
events:
  - key: offsite
    title: Offsite
    start: 2027-04-17
    end: 2027-04-18
    all_day: true
""",
    )
    (change,) = planned(repo, cli)["changes"]  # type: ignore[misc]
    assert change["times"]["start"] == {"utc": "2027-04-17", "local": "2027-04-17"}
    assert schema_problems(planned(repo, cli)) == []

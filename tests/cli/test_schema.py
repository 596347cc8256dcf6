"""`reconciler schema`, the schema's https `$id`, the examples' editor modelines, and the date and
zone patterns an editor checks as one types."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.config.discovery import is_config_name
from reconciler.config.schema import schema
from tests.fixtures.repo import Run

ROOT = Path(__file__).resolve().parents[2]
# The configuration's files (policy files beside them are not configuration).
EXAMPLES = sorted(
    path for path in (ROOT / "examples").rglob("*.yaml")
    if is_config_name(path.name)
    and not any(part.startswith(".") for part in path.relative_to(ROOT / "examples").parts)
)
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def test_the_schema_command_prints_the_published_schema(cli: Run):
    printed = cli("schema").stdout
    assert printed == (ROOT / "schemas" / "reconciler.schema.json").read_text(encoding="utf-8")
    assert json.loads(printed) == schema()


def test_the_id_is_an_https_address_and_every_example_names_it_in_a_modeline():
    identifier = schema()["$id"]
    assert identifier.startswith("https://") and identifier.endswith("/reconciler.schema.json")
    assert EXAMPLES
    for path in EXAMPLES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema={identifier}", path


def check(tmp_path: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema, as an editor or a CI step would run it, against the printed schema."""
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema()), encoding="utf-8")
    command = [str(CHECK_JSONSCHEMA), "--schemafile", str(schema_file), *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_examples_pass_a_standalone_schema_check(tmp_path: Path):
    result = check(tmp_path, *EXAMPLES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("start", "2027-03-02T09:00", True),
        ("start", "2027-03-02T09:00:00.5+01:00", True),
        ("start", "2027-03-02 09:00Z", True),
        ("start", "2027-03-02", True),
        ("start", "tomorrow", False),
        ("start", "03/02/2027 9am", False),
        ("end", "2027-03-02T10:00:00Z", True),
        ("end", "next week", False),
        ("time_zone", "Europe/Copenhagen", True),
        ("time_zone", "America/Argentina/Buenos_Aires", True),
        ("time_zone", "Etc/GMT+5", True),
        ("time_zone", "+01:00", False),
        ("time_zone", "5", False),
        ("time_zone", "Europe/Copenhagen\n", False),
    ],
)
def test_dates_and_zones_have_patterns(tmp_path: Path, field: str, value: str, accepted: bool):
    event = {"key": "gala", "title": "Gala", "start": "2027-03-02T18:00:00Z", field: value}
    path = tmp_path / "events.yaml"
    path.write_text(json.dumps({"version": 1, "events": [event]}), encoding="utf-8")
    result = check(tmp_path, path)
    assert (result.returncode == 0) is accepted, result.stdout


def test_a_session_zone_may_be_prevails_own_name(tmp_path: Path):
    session = {"key": "depo", "title": "Deposition", "case": "2027-CV-0142",
               "start": "2027-03-02T09:00", "time_zone": "(GMT-05:00) Eastern Time (US & Canada)"}
    path = tmp_path / "sessions.yaml"
    path.write_text(json.dumps({"version": 1, "sessions": [session]}), encoding="utf-8")
    assert check(tmp_path, path).returncode == 0

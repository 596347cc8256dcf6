"""The desired-state loader: good configs load to the right DesiredState, bad ones say where."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import reconciler
from reconciler.config import DesiredState, load, load_text
from reconciler.config.schema import RESERVED_METADATA_KEYS, schema
from reconciler.errors import ConfigError
from reconciler.model import (
    KINDS,
    PROVIDER_OF,
    ConfigIssue,
    DeclaredObject,
    Location,
    ObjectOptions,
)
from tests.fixtures.configs import BAD, BAD_CASES, ENV, GOOD
from tests.fixtures.hostile import flawed_objects


def issues_of(path: str | Path, **options: Any) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        load(path, **options)
    return caught.value.issues


def by_key(state: DesiredState, kind: str) -> dict[str, DeclaredObject]:
    return {obj.key: obj for obj in state.objects[kind]}


# --- good configs ---------------------------------------------------------------------------


def test_single_file_loads_every_kind_with_providers_resolved() -> None:
    state = load(GOOD / "single.yaml", environ=ENV)

    assert state.files == (str(GOOD / "single.yaml"),)
    assert set(state.objects) == set(KINDS)
    assert [obj.key for obj in state.objects["sessions"]] == ["smith-deposition", "jones-hearing"]
    assert [obj.key for obj in state.objects["events"]] == ["winter-gala", "new-year", "market"]
    assert [obj.key for obj in state.objects["assignments"]] == [
        "acme-december-clean",
        "acme-friday-clean",
    ]

    prevail = state.providers["prevail"]
    assert prevail.settings == {
        "base_url": "https://prevail.ai/api/v1",
        "company_id": "acme-co",
        "api_key": "prevail-key-123",
    }
    assert prevail.secrets == frozenset({"prevail-key-123"})
    assert prevail.location == Location(str(GOOD / "single.yaml"), 4, 3)
    assert state.providers["prospero"].settings == {
        "base_url": "https://api.prosperoapp.com",
        "email": "ops@example.com",
        "password": "prospero-pw-456",
    }
    assert state.providers["prospero"].secrets == frozenset({"prospero-pw-456"})
    assert state.providers["previsto"].settings["base_url"] == "https://api.previsto.io"


def test_fields_are_kept_exactly_as_written_and_dates_stay_strings() -> None:
    state = load(GOOD / "single.yaml", environ=ENV)
    smith = by_key(state, "sessions")["smith-deposition"]
    assert smith.kind == "sessions"
    assert smith.fields == {
        "title": "Deposition of J. Smith",
        "case": "2026-CV-0142",
        "start": "2026-12-01T09:00",
        "time_zone": "America/New_York",
        "duration_hours": 1.5,
        "deponent": {"name": "Jane Smith", "email": "jane@example.com", "role": "witness"},
        "invites": [
            "counsel@example.com",
            {"email": "host@example.com", "access_level": "host"},
        ],
        "session_type": "remote_deposition",
        "video_provider": "zoom_meeting",
        "languages": "English",
        "details": "Bring exhibits A-F.",
    }
    assert smith.options == ObjectOptions()

    events = by_key(state, "events")
    assert events["winter-gala"].fields["start"] == "2026-12-12T18:00:00+01:00"
    assert events["new-year"].fields == {
        "title": "New Year's Day",
        "start": "2027-01-01",
        "end": "2027-01-01",
        "all_day": True,
        "details": None,  # managed and absent
    }
    friday = by_key(state, "assignments")["acme-friday-clean"]
    assert friday.fields["select"] == {"contact_id": "cont-242342", "date": "2026-12-03"}
    assert friday.fields["metadata"] == {"crew": "south", "po_number": None}


def test_options_are_separated_from_fields() -> None:
    state = load(GOOD / "single.yaml", environ=ENV)
    jones = by_key(state, "sessions")["jones-hearing"]
    assert jones.options == ObjectOptions(
        protect=False,
        ignore_changes=("invites", "details"),
        allow_short_notice=True,
        via="request",
    )
    assert not {"key", "via", "ignore_changes", "allow_short_notice"} & set(jones.fields)
    assert jones.fields["time_zone"] == "Pacific Time (US & Canada)"  # Prevail's own name
    assert by_key(state, "events")["market"].options == ObjectOptions(protect=True)
    friday = by_key(state, "assignments")["acme-friday-clean"]
    assert friday.options == ObjectOptions(protect=True, ignore_changes=("metadata",))


def test_an_object_is_located_where_its_entry_starts() -> None:
    file = str(GOOD / "single.yaml")
    smith = by_key(load(GOOD / "single.yaml", environ=ENV), "sessions")["smith-deposition"]
    assert smith.location == Location(file, 15, 5)


def test_directory_merges_files_in_sorted_order_and_skips_hidden_ones() -> None:
    state = load(GOOD / "dir", environ=ENV)
    root = GOOD / "dir"
    assert state.files == (
        str(root / "00-providers.yaml"),
        str(root / "events.yml"),
        str(root / "team" / "sessions.yaml"),
    )
    assert [obj.key for obj in state.objects["events"]] == [
        "winter-gala",
        "summer-gala",
        "team-offsite",
    ]
    assert state.objects["events"][2].location == Location(
        str(root / "team" / "sessions.yaml"), 9, 5
    )
    assert [obj.key for obj in state.objects["sessions"]] == ["smith-deposition"]
    assert state.objects["assignments"] == ()
    assert set(state.providers) == {"prevail", "prospero"}
    prevail = state.providers["prevail"].settings
    assert prevail["base_url"] == "http://127.0.0.1:8787/prevail"  # ${NAME} inside a URL
    assert prevail["default_via"] == "request"
    assert state.providers["prospero"].secrets == frozenset({"prospero-refresh-789"})


def test_sandbox_mode_validates_providers_but_keeps_references() -> None:
    state = load(GOOD / "dir", environ={}, resolve_providers=False)
    prevail = state.providers["prevail"]
    assert prevail.settings["api_key"] == "${PREVAIL_API_KEY}"
    assert prevail.settings["base_url"] == "${SANDBOX}/prevail"
    assert prevail.secrets == frozenset()
    # the schema still runs on the providers block
    with pytest.raises(ConfigError, match="literal secrets are refused"):
        load(BAD / "literal-secret.yaml", resolve_providers=False)


def test_sandbox_mode_needs_no_providers_block() -> None:
    text = "events:\n  - {key: gala, title: Gala, start: '2026-12-12T18:00:00Z'}\n"
    state = load_text(text, filename="x.yaml", resolve_providers=False)
    assert state.providers == {}
    assert state.files == ("x.yaml",)


def test_environ_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TEST_KEY", "from-os-environ")
    text = "providers:\n  previsto:\n    api_key: ${RECONCILER_TEST_KEY}\n"
    state = load_text(text, filename="p.yaml")
    assert state.providers["previsto"].settings["api_key"] == "from-os-environ"


def test_merge_keys_and_aliases_are_expanded() -> None:
    text = (
        "events:\n"
        "  - &gala {key: winter-gala, title: Gala, status: tentative, "
        "start: '2026-12-12T18:00:00Z'}\n"
        "  - <<: *gala\n"
        "    key: summer-gala\n"
        "    start: 2027-06-12T18:00:00Z\n"
    )
    state = load_text(text, filename="m.yaml", resolve_providers=False)
    summer = by_key(state, "events")["summer-gala"]
    assert summer.fields == {
        "title": "Gala",
        "status": "tentative",
        "start": "2027-06-12T18:00:00Z",
    }
    assert summer.location == Location("m.yaml", 3, 5)  # where its entry starts


def test_empty_file_declares_nothing() -> None:
    state = load_text("# nothing yet\n", filename="empty.yaml")
    assert state.objects == {kind: () for kind in KINDS}
    assert state.providers == {}


# --- bad configs: exact FILE:LINE:COL, path and message -------------------------------------

# (file or directory under tests/configs/bad, resolve providers?, expected issues in order as
# (the "FILE:LINE:COL: path" prefix, a fragment of the message))



@pytest.mark.parametrize(
    ("name", "resolve", "expected"), BAD_CASES, ids=[case[0] for case in BAD_CASES]
)
def test_bad_config_is_reported_at_its_exact_place(
    name: str,
    resolve: bool,
    expected: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(BAD)  # so that issues name the file as the table does
    lines = [str(issue) for issue in issues_of(name, environ=ENV, resolve_providers=resolve)]
    assert len(lines) == len(expected), lines
    for line, (prefix, fragment) in zip(lines, expected, strict=True):
        assert line.startswith(prefix + " "), line
        assert fragment in line[len(prefix) :], line


def test_bad_table_covers_every_fixture() -> None:
    fixtures = {entry.name for entry in BAD.iterdir()}
    assert fixtures <= {case[0] for case in BAD_CASES}
    assert len(BAD_CASES) >= 25


def test_error_carries_every_issue_one_per_line() -> None:
    with pytest.raises(ConfigError) as caught:
        load(BAD / "several-issues.yaml", resolve_providers=False)
    assert str(caught.value).splitlines() == [str(issue) for issue in caught.value.issues]


def test_issues_are_sorted_by_line_whatever_order_they_were_found_in() -> None:
    text = (
        "events:\n"
        "  - {key: a, title: A, start: nope}\n"
        "sessions:\n"
        "  - {key: s, title: S, case: C-1, start: nope, time_zone: UTC}\n"
        "version: 3\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_text(text, filename="a.yaml", resolve_providers=False)
    assert [(issue.location.line, issue.path) for issue in caught.value.issues] == [
        (2, "events[0].start"),
        (4, "sessions[0].start"),
        (5, "version"),
    ]


def test_directory_issues_are_sorted_in_file_order(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("events:\n  - {key: x, title: X, start: bad}\n")
    (tmp_path / "a.yaml").write_text("\n\n\nversion: 2\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yml").write_text("events: 5\n")
    issues = issues_of(tmp_path, resolve_providers=False)
    assert [(Path(i.location.file).name, i.location.line) for i in issues] == [
        ("a.yaml", 4),
        ("b.yaml", 2),
        ("c.yml", 1),
    ]


def test_tagged_timestamps_and_binary_are_refused() -> None:
    text = (
        "events:\n  - key: a\n    title: !!binary aGk=\n    start: !!timestamp 2026-01-01\n"
        "    end: !!timestamp not-a-date\n"  # PyYAML's own constructor fails on this one
    )
    with pytest.raises(ConfigError) as caught:
        load_text(text, filename="t.yaml", resolve_providers=False)
    assert [str(issue) for issue in caught.value.issues] == [
        "t.yaml:3:12: events[0].title: unsupported tag !!binary: only plain YAML values are read",
        "t.yaml:4:12: events[0].start: unsupported tag !!timestamp: only plain YAML values are "
        "read",
        "t.yaml:5:10: events[0].end: unsupported tag !!timestamp: only plain YAML values are "
        "read",
    ]


def test_recursive_alias_is_refused_cleanly() -> None:
    with pytest.raises(ConfigError, match="an alias refers to itself"):
        load_text("events: &loop [*loop]\n", filename="r.yaml")


# --- many problems in one file: work linear in the file --------------------------------------

# Objects in the smaller file; the larger holds twice as many. Line counts, not seconds: the
# same on every machine, and a pass over every flawed path per object shows as a ratio near 3.
FLAWED = 600


def lines_run_to_load(text: str) -> int:
    """Lines of the package's own code executed while loading `text`, which must be refused."""
    package = str(Path(reconciler.__file__).parent)
    executed = 0

    def count_lines(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal executed
        if event == "line":
            executed += 1
        return count_lines

    def enter(frame: FrameType, event: str, arg: object) -> Any:
        return count_lines if frame.f_code.co_filename.startswith(package) else None

    before = sys.gettrace()  # a coverage tracer, if any, is put back
    sys.settrace(enter)
    try:
        with pytest.raises(ConfigError):
            load_text(text, filename="flawed.yaml", resolve_providers=False)
    finally:
        sys.settrace(before)
    return executed


def test_twice_the_flawed_objects_cost_twice_the_work() -> None:
    lines_run_to_load(flawed_objects(10).decode())  # modules and caches warmed outside the count
    single = lines_run_to_load(flawed_objects(FLAWED).decode())
    double = lines_run_to_load(flawed_objects(2 * FLAWED).decode())
    assert double <= 2.2 * single, (single, double)


# --- secrets ---------------------------------------------------------------------------------


def test_no_issue_message_carries_a_secret_value() -> None:
    secrets = {
        "PREVAIL_API_KEY": "SECRET-prevail-value",
        "PREVAIL_COMPANY_ID": "SECRET-company",
        "PROSPERO_PASSWORD": "SECRET-prospero-value",
        "PREVISTO_API_KEY": "SECRET-previsto-value",
        "PREVISTO_URL": "SECRET-not-a-url",
    }
    text = (
        "providers:\n"
        "  prevail:\n"
        "    company_id: ${PREVAIL_COMPANY_ID}\n"
        "    api_key: ${PREVAIL_API_KEY}\n"
        "    base_url: ${PREVAIL_URL_UNSET}\n"
        "    default_via: SECRET-literal-via\n"
        "  prospero:\n"
        "    email: 12345\n"
        "    password: SECRET-literal-password\n"
        "  previsto:\n"
        "    base_url: ${PREVISTO_URL}\n"
        "    api_key: ${PREVISTO_API_KEY}\n"
        "    token: SECRET-unknown-setting\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_text(text, filename="s.yaml", environ=secrets)
    message = str(caught.value)
    assert len(caught.value.issues) == 6, message
    assert "SECRET" not in message
    assert "PREVAIL_URL_UNSET is not set" in message
    assert "literal secrets are refused" in message


# --- the schema ------------------------------------------------------------------------------


def _subschemas(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((path, node))
        for name, child in node.items():
            if name in ("properties", "$defs"):
                for key, sub in child.items():
                    found += _subschemas(sub, f"{path}/{name}/{key}")
            elif name in ("items", "additionalProperties", "propertyNames", "not", "if", "then"):
                found += _subschemas(child, f"{path}/{name}")
            elif name in ("anyOf", "oneOf", "allOf"):
                for index, sub in enumerate(child):
                    found += _subschemas(sub, f"{path}/{name}/{index}")
    return found


def test_schema_is_valid_draft_2020_12_with_titles_and_descriptions() -> None:
    document = schema()
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"]
    for path, node in _subschemas(document):
        if "$ref" in node:
            continue  # described where it points ($defs are checked too)
        assert "title" in node and "description" in node, path
        if "properties" in node:
            assert node.get("additionalProperties") is False, path


def test_schema_encodes_previsto_limits_with_the_reserved_keys() -> None:
    """api-contract.md, Previsto — limits: ≤ 20 keys, names ≤ 40 chars, values ≤ 500 chars; more →
    400."""
    metadata = schema()["$defs"]["assignment"]["properties"]["metadata"]
    assert metadata["maxProperties"] == 20 - len(RESERVED_METADATA_KEYS)
    assert tuple(metadata["propertyNames"]["not"]["enum"]) == RESERVED_METADATA_KEYS
    assert metadata["propertyNames"]["maxLength"] == 40
    assert metadata["additionalProperties"]["maxLength"] == 500
    reserves = f"reserves {len(RESERVED_METADATA_KEYS)}"
    assert "20" in metadata["description"] and reserves in metadata["description"]


def test_schema_kinds_match_the_providers() -> None:
    properties = schema()["properties"]
    assert set(KINDS) <= set(properties)
    # the providers block also names the configuration's scope
    assert set(PROVIDER_OF.values()) | {"stack"} == set(properties["providers"]["properties"])

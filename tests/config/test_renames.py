"""`previous_keys`: loaded as the object's option, never as a field, and refused where a rename
would be ambiguous, at the previous key's own FILE:LINE:COL."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load, load_text
from reconciler.errors import ConfigError
from tests.fixtures.repo import Run

EVENT = "  - key: {key}\n    title: T\n    start: 2027-07-01T10:00:00Z\n"


def events(*entries: str) -> str:
    return "version: 1\nevents:\n" + "".join(entries)


def issues(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_text(text, filename="e.yaml", resolve_providers=False)
    return [str(issue) for issue in caught.value.issues]


def test_previous_keys_are_an_option_and_not_a_managed_field():
    text = events(EVENT.format(key="gala-2027") + "    previous_keys: [gala, gala-old]\n")
    [gala] = load_text(text, filename="e.yaml", resolve_providers=False).objects["events"]
    assert gala.options.previous_keys == ("gala", "gala-old")
    assert "previous_keys" not in gala.fields


def test_a_previous_key_that_is_another_declared_key_is_refused():
    text = events(
        EVENT.format(key="gala"), EVENT.format(key="gala-2027") + "    previous_keys: [gala]\n"
    )
    assert issues(text) == [
        'e.yaml:9:21: events[1].previous_keys[0]: "gala" is the key of another declared event '
        "(at e.yaml:3:5): a previous key must no longer be declared; rename that one first, or "
        "remove this previous key"
    ]


def test_an_objects_own_key_is_not_a_previous_key():
    text = events(EVENT.format(key="gala") + "    previous_keys: [gala]\n")
    assert issues(text) == [
        'e.yaml:6:21: events[0].previous_keys[0]: "gala" is this event\'s own key: list only '
        "keys it had before"
    ]


def test_one_previous_key_claimed_by_two_objects_across_files_names_both(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(
        events(EVENT.format(key="gala-a") + "    previous_keys: [gala]\n"), encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(
        events(EVENT.format(key="gala-b") + "    previous_keys:\n      - old\n      - gala\n"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, resolve_providers=False)
    [issue] = caught.value.issues
    assert str(issue) == (
        f'{tmp_path / "b.yaml"}:8:9: events[0].previous_keys[1]: "gala" is also a previous key '
        f"of events.gala-a (at {tmp_path / 'a.yaml'}:6:21): only one event can have been gala; "
        "remove it from one of them"
    )


def test_the_same_previous_key_in_two_kinds_is_two_renames():
    text = events(EVENT.format(key="gala-2027") + "    previous_keys: [gala]\n") + (
        "assignments:\n  - key: gala-2027\n    previous_keys: [gala]\n"
        "    select: {id: asgmt-1}\n    metadata: {crew: north}\n"
    )
    state = load_text(text, filename="e.yaml", resolve_providers=False)
    assert [o.options.previous_keys for o in state.objects["assignments"]] == [("gala",)]


def test_validate_refuses_a_previous_key_that_is_not_a_key(tmp_path: Path, cli: Run):
    path = tmp_path / "e.yaml"
    path.write_text(
        events(EVENT.format(key="gala") + "    previous_keys: [Summer Party]\n"), encoding="utf-8"
    )
    result = cli("validate", path, "--sandbox", expect=1)
    assert result.stderr.startswith(
        f'{path}:6:21: events[0].previous_keys[0]: "Summer Party" must be 1 to 63 characters'
    )

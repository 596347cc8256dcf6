"""The diff's equality and merge patches: what counts as a change, as the engine compares values."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.engine.diff import field_changes, merge_patch, same
from reconciler.model import DesiredObject, FieldChange, RemoteObject
from reconciler.sandbox.prospero.patching import apply_merge_patch as server_merge

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=12,
)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (1, 1.0, True),  # one number
        (True, 1, False),  # a boolean is not a number
        ({"a": True}, {"a": 1}, False),
        ({"a": None}, {}, True),  # None is absent
        ({}, {"a": 1}, False),
        ({"a": [1, {"b": None}]}, {"a": [1.0, {}]}, True),
        ([1, 2], [2, 1], False),  # lists keep their order
        ([1, 2], [1], False),
        (OrderedDict(a=1, b=2), {"b": 2, "a": 1}, True),  # any mapping, any key order
        (None, 0, False),
        ("x", "x", True),
    ],
)
def test_what_counts_as_the_same_value(left: Any, right: Any, expected: bool) -> None:
    assert same(left, right) is expected
    assert same(right, left) is expected


@given(JSON)
def test_a_value_is_the_same_as_itself_and_as_its_copy(value: Any) -> None:
    assert same(value, value)
    assert same(value, copy.deepcopy(value))


OBJECTS = st.dictionaries(st.text(max_size=2), JSON, max_size=4)


@given(OBJECTS, OBJECTS)
def test_a_merge_patch_turns_before_into_after(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    patch = merge_patch(before, after)
    # applied as the Prospero emulator applies a PATCH body: the server's side of RFC 7386
    assert same(server_merge(before, patch), after)
    if same(before, after):
        assert patch == {}



@given(OBJECTS, OBJECTS)
def test_an_object_changes_in_exactly_the_fields_whose_values_are_not_the_same(
    wanted: dict[str, Any], have: dict[str, Any]
) -> None:
    # most objects are decided by comparing JSON texts; the answer must be `same`'s, field by field
    desired, current = (
        DesiredObject(kind="events", key="k", fields=wanted),
        RemoteObject(kind="events", key="k", remote_id="1", fields=have),
    )
    changes = field_changes(desired, current)
    differing = [name for name, value in wanted.items() if not same(value, have.get(name))]
    assert [change.name for change in changes] == differing


def _changes(
    wanted: dict[str, Any], have: dict[str, Any], owned: frozenset[str] | None = None
) -> list[FieldChange]:
    return field_changes(
        DesiredObject(kind="events", key="k", fields=wanted),
        RemoteObject(kind="events", key="k", remote_id="1", fields=have, owned=owned),
        merge_fields=frozenset({"custom_fields"}),
    )


def test_a_boolean_is_not_its_number_inside_a_merging_field() -> None:
    assert _changes({"custom_fields": {"vip": 1}}, {"custom_fields": {"vip": True}}) == [
        FieldChange("custom_fields", {"vip": True}, {"vip": 1})
    ]


def test_an_owned_field_no_longer_declared_is_removed_even_when_the_rest_is_equal() -> None:
    owned = frozenset({"title", "capacity", "custom_fields.team"})
    have = {"title": "Gala", "capacity": 10, "custom_fields": {"team": "north", "room": "B"}}
    assert _changes({"title": "Gala", "custom_fields": {"team": "north"}}, have, owned) == [
        FieldChange("capacity", 10, None)
    ]
    assert _changes({"title": "Gala", "capacity": 10}, have, owned) == [
        FieldChange("custom_fields", {"team": "north"}, {"team": None})
    ]
    same_as_remote = {"title": "Gala", "capacity": 10, "custom_fields": {"team": "north"}}
    assert _changes(same_as_remote, have, owned) == []

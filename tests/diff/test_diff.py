"""The diff's equality and merge patches: what counts as a change, as the engine compares values."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.diff import merge_patch, same
from reconciler.sandbox.prospero_wire import merge_patch as server_merge

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


"""The diff's equality and merge patches: what counts as a change, as the engine compares values."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.engine.diff import apply_merge_patch, field_changes, merge_patch, same
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


# RFC 7386, Appendix A: (original, patch, result).
RFC_7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


def _members(patch: Any) -> int:
    """How many members a patch sets or removes, nested objects counted member by member."""
    if not isinstance(patch, dict):
        return 1
    return sum(_members(value) if isinstance(value, dict) else 1 for value in patch.values())


@pytest.mark.parametrize(("original", "patch", "result"), RFC_7386_EXAMPLES)
def test_the_client_applies_and_generates_patches_as_rfc_7386_appendix_a(
    original: Any, patch: Any, result: Any
) -> None:
    """api-contract.md, Prospero: PATCH /events/{id} [doc seed: JSON merge patch semantics]:
    the body is an RFC 7386 merge patch. Each example of the RFC's Appendix A applies as the
    RFC says, and the patch the client generates from the original to the result applies to
    exactly the result and is never larger than the RFC's own patch."""
    assert apply_merge_patch(original, patch) == result
    assert server_merge(original, patch) == result
    generated = merge_patch(original, result)
    assert apply_merge_patch(original, generated) == result
    assert server_merge(original, generated) == result
    assert _members(generated) <= _members(patch)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": [{"b": 1}]}, {"a": [{"b": None}]}, {"a": [{"b": None}]}),
        ({"a": [{"b": None}]}, {"a": [{}]}, {"a": [{}]}),
        ({"a": [{}]}, {"a": [{"b": None}]}, {"a": [{"b": None}]}),
        ({"a": [None]}, {"a": []}, {"a": []}),
        ({"loc": {"tags": [{"x": None}], "n": 1}}, {"loc": {"tags": [{}], "n": 1}},
         {"loc": {"tags": [{}]}}),
        ({"a": [{"b": None}]}, {"a": [{"b": None}]}, {}),
        ({"a": {"b": None}}, {"a": {}}, {}),  # object level: null is absent on both sides
    ],
)
def test_an_array_is_sent_verbatim_with_the_nulls_inside_it(
    before: dict[str, Any], after: dict[str, Any], expected: dict[str, Any]
) -> None:
    """api-contract.md, Prospero: PATCH /events/{id} [doc seed]: `null` removes a field,
    objects merge, arrays replace. A null inside an object inside an array is a member of the
    array, which the patch replaces whole, so it is kept, and an array that differs only by one
    is a change."""
    patch = merge_patch(before, after)
    assert patch == expected
    assert server_merge(before, patch) == apply_merge_patch(before, patch)
    assert _stored(server_merge(before, patch)) == _stored(after)


def _stored(document: Any) -> Any:
    """A document as a merge patch can leave it: no null members in objects outside arrays."""
    if isinstance(document, dict):
        return {key: _stored(value) for key, value in document.items() if value is not None}
    return document


@given(OBJECTS, OBJECTS)
def test_a_generated_patch_rebuilds_after_exactly_arrays_and_their_nulls_included(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    """api-contract.md, Prospero: PATCH /events/{id} [doc seed]: RFC 7386 both ways: applying
    the generated patch gives `after` as a stored document (nulls in arrays kept verbatim)."""
    patch = merge_patch(before, after)
    assert _stored(apply_merge_patch(before, patch)) == _stored(after)
    assert _stored(server_merge(before, patch)) == _stored(after)

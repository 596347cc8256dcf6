"""The two YAML readers give a file one meaning, and the text scan finds objects where marks do.

ryaml reads most files; PyYAML (with marks) reads the rest and locates problems. These tests hold
the two together: scalars, whole documents, and the positions of objects.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import ryaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config.yaml.locate import entry_sizes, object_starts, top_level_shape
from reconciler.config.yaml.marked import MarkedLoader, parse_with
from reconciler.config.yaml.reader import DeferredSourceMap, parse_yaml, read_fast
from reconciler.config.yaml.scalars import resolve_plain
from reconciler.config.yaml.source import MarkedSourceMap
from reconciler.model import Location
from tests.fixtures.hostile import block, nearly_valid_configurations, odd_yaml

ROOT = Path(__file__).resolve().parents[3]
CORPUS = sorted(
    path
    for path in [*ROOT.glob("examples/*.yaml"), *ROOT.glob("tests/configs/good/**/*.yaml")]
    if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)  # skipped on load
)

# Characters that make up numbers, booleans and nulls in every spelling, and some that do not.
SCALAR_ALPHABET = "0123456789+-.eExXoObB_:~abfilnrstuAEFILNRSTU"


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return type(left) is type(right) and left == right


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=SCALAR_ALPHABET, min_size=1, max_size=8))
def test_a_plain_scalar_means_what_ryaml_reads(text: str) -> None:
    try:
        document = ryaml.loads(f"value: {text}")
    except Exception:  # not a plain scalar ryaml accepts (a "- " start, a bare ":" ...)
        return
    assert isinstance(document, dict)
    assert _same(resolve_plain(text), document["value"]), text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),  # YAML 1.1's booleans are strings in 1.2
        ("off", "off"),
        ("True", True),
        ("~", None),
        ("007", "007"),  # a leading zero keeps a code as written
        ("-012", "-012"),
        ("0", 0),
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("+12", 12),
        ("1_000", "1_000"),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("-.inf", -math.inf),
        ("1e999", "1e999"),  # overflows: kept as written
        ("2027-03-01", "2027-03-01"),
        ("2027-03-01T09:00:00Z", "2027-03-01T09:00:00Z"),
        ("09:00", "09:00"),
    ],
)
def test_scalars_follow_yaml_1_2(text: str, value: Any) -> None:
    assert _same(resolve_plain(text), value)
    marked = parse_with(MarkedLoader, f"value: {text}\n", "f.yaml")
    assert _same(marked.document["value"], value)


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: str(path.relative_to(ROOT)))
def test_both_readers_give_the_same_document(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    marked = parse_with(MarkedLoader, text, str(path))
    fast = read_fast(text)
    if fast is None:
        pytest.skip("uses what only the marked reader reads (tags, merge keys)")
    assert not marked.issues
    assert fast == marked.document


def _marked_starts(text: str) -> tuple[dict[str, Any], MarkedSourceMap]:
    parsed = parse_with(MarkedLoader, text, "f.yaml")
    assert not parsed.issues, parsed.issues
    assert isinstance(parsed.source, MarkedSourceMap)
    return parsed.document, parsed.source


def _assert_scan_agrees(text: str) -> dict[Any, Location]:
    document, marked = _marked_starts(text)
    scanned = object_starts(text, top_level_shape(document), "f.yaml")
    lists = [name for name, value in document.items() if isinstance(value, list) and value]
    assert lists, "the text declares no list"
    for name in lists:
        for index in range(len(document[name])):
            assert scanned[(name, index)] == marked.value_at((name, index)), (name, index)
        assert scanned.entries(name) == [
            marked.value_at((name, index)) for index in range(len(document[name]))
        ]
    for name in document:
        assert scanned[(name,)] == marked.at((name,))
    _assert_keys_agree(text, document, marked)
    return scanned


def _assert_keys_agree(text: str, document: dict[str, Any], marked: MarkedSourceMap) -> None:
    """Where an issue about an object or one of its keys points: the same read fast or marked."""
    deferred = DeferredSourceMap("f.yaml", text, document)
    for name, value in document.items():
        if not isinstance(value, list):
            continue
        for index, item in enumerate(value):
            assert deferred.at((name, index)) == marked.at((name, index)), (name, index)
            for key in item if isinstance(item, dict) else ():
                path = (name, index, key)
                assert deferred.at(path) == marked.at(path), path
            absent = (name, index, "no such key")
            assert deferred.at(absent) == marked.at(absent), absent


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_scan_finds_objects_where_the_marks_are(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    document, _ = _marked_starts(text)
    if not any(isinstance(value, list) and value for value in document.values()):
        pytest.skip("declares no objects")
    _assert_scan_agrees(text)


SHAPES = {
    "flow mappings, one per line": (
        "version: 1\nevents:\n"
        '  - {"key": "a", "title": "A"}\n'
        '  - {"key": "b", "title": "B"}\n'
    ),
    "flush with the key, comments and blank lines between": (
        "events:\n"
        "# the first\n"
        "- key: a\n"
        "  title: A\n"
        "\n"
        "  # an indented comment\n"
        "- key: b\n"
        "  invites:\n"
        "  - x@example.com\n"
        "  - y@example.com\n"
        "version: 1\n"
    ),
    "the mapping on the line after the dash": (
        "sessions:\n"
        "  -\n"
        "    key: a\n"
        "  -   # a comment after the dash\n"
        "    key: b\n"
    ),
    "block scalars and nested lists": (
        "events:\n"
        "  - key: a\n"
        "    description: |\n"
        "      - not an item\n"
        "        - nor this\n"
        "    tags:\n"
        "      - x\n"
        "  - key: b\n"
        "assignments:\n"
        "  - key: c\n"
        "    metadata: {crew: north}\n"
    ),
    "quoted top-level keys": (
        '"events":\n  - key: a\n\'sessions\':\n  - key: b\n'
    ),
    "keys quoted, spaced and commented": (
        "events:\n"
        '  - "key": a\n'
        "    'title': A\n"
        "    start   : '2027-01-01T10:00:00Z'   # a comment\n"
        "    # a comment at the keys' indentation\n"
        "  # a comment less indented\n"
        "    details: |\n"
        "      words: not a key\n"
        "    location:\n"
        "      name: deeper\n"
        "  -   key: b\n"
        "      title: B\n"
    ),
    "values that run over lines at the keys' indentation": (
        "events:\n"
        "  - key: a\n"
        '    title: "two\n'
        '    words: here"\n'
        "  - key: b\n"
        "    tags: [x,\n"
        "    y: z]\n"
        "  - key: c\n"
    ),
    "entries that are not plain mappings": (
        "events:\n"
        "  - text\n"
        "  - &k key: a\n"
        "    title: A\n"
        "  - key: b\n"
        "    ? title\n"
        "    : B\n"
        "  - key: c\n"
    ),
    "line breaks in CRLF": "version: 1\r\nevents:\r\n  - key: a\r\n\r\n    title: A\r\n",
}


@pytest.mark.parametrize("text", SHAPES.values(), ids=SHAPES.keys())
def test_the_scan_agrees_with_the_marks_on_each_layout(text: str) -> None:
    _assert_scan_agrees(text)


def test_the_keys_of_plainly_written_objects_are_found_by_the_scan() -> None:
    text = (
        "events:\n"
        "  - key: a\n    title: A\n    unknown: 1\n"
        "  - key: b\n    invites:\n    - x@example.com\n    # note\n    unknown: 2\n"
    )
    document, marked = _marked_starts(text)
    scanned = object_starts(text, top_level_shape(document), "f.yaml")
    for index, size in enumerate(entry_sizes(document)["events"]):
        found = scanned.key_at("events", index, "unknown", size)
        assert found is not None
        assert found == marked.at(("events", index, "unknown"))


@pytest.mark.parametrize(
    "text",
    [
        'events:\n  - key: a\n    title: "two\n    unknown: here"\n',  # a key-like line in a value
        "events:\n  - key: a\n    ? unknown\n    : 1\n",  # an explicit key
        "events:\n  - {key: a, unknown: 1}\n",  # a flow mapping
        # PyYAML counts a line separator as a line break, the scan does not
        'events:\n  - key: a\n    title: "x\u2028y"\n    unknown: 1\n',
        "events:\r  - key: a\r    unknown: 1\r",  # a lone carriage return too
    ],
)
def test_objects_the_scan_cannot_be_sure_of_are_left_to_the_marks(text: str) -> None:
    document, marked = _marked_starts(text)
    scanned = object_starts(text, top_level_shape(document), "f.yaml")
    [size] = entry_sizes(document)["events"]
    assert scanned.key_at("events", 0, "unknown", size) is None
    _assert_keys_agree(text, document, marked)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(nearly_valid_configurations().map(block), odd_yaml()))
def test_issues_point_where_the_marks_do_on_drawn_configurations(text: str) -> None:
    text = text.removeprefix("\ufeff")  # decoded as utf-8-sig: a file's BOM is never read
    fast = read_fast(text)
    if fast is None:
        return  # read with marks anyway
    parsed = parse_with(MarkedLoader, text, "f.yaml")
    assert isinstance(parsed.source, MarkedSourceMap)
    _assert_keys_agree(text, fast, parsed.source)


def test_a_list_in_flow_style_is_left_to_the_marks() -> None:
    text = "events: [{key: a}, {key: b}]\n"
    document, marked = _marked_starts(text)
    assert ("events", 0) not in object_starts(text, top_level_shape(document), "f.yaml")
    deferred = DeferredSourceMap("f.yaml", text, document)
    assert deferred.value_at(("events", 1)) == marked.value_at(("events", 1)) == Location(
        "f.yaml", 1, 20
    )
    assert deferred.entry_starts("events", 2) == [
        Location("f.yaml", 1, 10), Location("f.yaml", 1, 20)
    ]


def test_a_file_read_fast_still_locates_a_problem_exactly() -> None:
    text = "version: 1\nevents:\n  - key: a\n    title: A\n    capacity: -3\n"
    parsed = parse_yaml(text, "f.yaml")
    assert isinstance(parsed.source, DeferredSourceMap)
    assert parsed.source.at(("events", 0, "capacity")) == Location("f.yaml", 5, 5)
    assert parsed.source.value_at(("events", 0, "capacity")) == Location("f.yaml", 5, 15)


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system x\n",  # a tag ryaml would drop
        "base: &b {x: 1}\nm:\n  <<: *b\n",  # a merge key ryaml would keep as a key
        "a: .nan\n",  # a non-finite number, reported as an issue
        "a: 1\na: 2\n",  # a duplicate key
        "1: a\n",  # a key that is not a string
        "- a\n",  # not a mapping at the top
    ],
)
def test_what_ryaml_would_read_differently_goes_to_the_marked_reader(text: str) -> None:
    assert read_fast(text) is None
    assert isinstance(parse_yaml(text, "f.yaml").source, MarkedSourceMap)

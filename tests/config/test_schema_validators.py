"""The two JSON Schema validators agree: jsonschema-rs decides "valid?", jsonschema words why.

A file jsonschema-rs accepts is never validated again, so a document on which the two disagree
would either pass unchecked or be refused with no message. Every file of the test corpus and
every example is checked with both. The wording validator reads the schema with its references
resolved beforehand; every problem reads as it does through the references.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config.schema import _explain, resolved, schema, schema_issues
from reconciler.config.yaml import JsonPath, parse_yaml
from reconciler.model import ConfigIssue
from tests.fixtures.configs import BAD, GOOD
from tests.fixtures.hostile import (
    FIELDS,
    block,
    configurations,
    nearly_valid_configurations,
    values,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CORPUS = sorted(
    [*BAD.rglob("*.y*ml"), *GOOD.rglob("*.y*ml"), *EXAMPLES.rglob("*.yaml")],
    key=str,
)


def documents() -> list[tuple[str, object]]:
    found = []
    for path in CORPUS:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue  # not YAML text: refused before any schema runs
        parsed = parse_yaml(text, str(path))
        if parsed.document is not None:
            found.append((str(path.relative_to(EXAMPLES.parent)), parsed.document))
    return found


DOCUMENTS = documents()


def test_the_corpus_holds_valid_and_invalid_documents():
    checker = jsonschema.Draft202012Validator(schema())
    verdicts = {checker.is_valid(document) for _, document in DOCUMENTS}
    assert verdicts == {True, False}
    assert len(DOCUMENTS) > 30


@pytest.mark.parametrize(("name", "document"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_both_validators_agree(name: str, document: object):
    fast = jsonschema_rs.Draft202012Validator(schema()).is_valid(document)
    worded = jsonschema.Draft202012Validator(schema()).is_valid(document)
    assert fast == worded, name


def through_references(document: Any, text: str) -> list[tuple[JsonPath, ConfigIssue]]:
    """What `schema_issues` says, worded by a validator that follows each `$ref` as it meets it."""
    source = parse_yaml(text, "f.yaml").source
    checker = jsonschema.Draft202012Validator(schema())
    return [
        (path, source.issue(path, message))
        for error in checker.iter_errors(document)
        for path, message in _explain(error)
    ]


def test_the_resolved_schema_has_no_references_left():
    assert "$ref" not in json.dumps(resolved(schema()))


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"$defs": {"a": {"$ref": "#/$defs/a"}}, "items": {"$ref": "#/$defs/a"}}, "itself"),
        ({"$defs": {"a": {}}, "items": {"$ref": "#/$defs/a", "type": "string"}}, "lost"),
        ({"items": {"$ref": "other.json"}}, "only local"),
    ],
)
def test_references_that_cannot_be_resolved_faithfully_are_refused(
    document: dict[str, Any], problem: str
):
    with pytest.raises(ValueError, match=problem):
        resolved(document)


def _mapping_files(paths: list[Path]) -> list[Path]:
    """The files whose text parses to a mapping: the only ones the schema words (the others
    are refused before it, as not YAML text or not a mapping)."""
    kept = []
    for path in paths:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        if isinstance(parse_yaml(text, str(path)).document, dict):
            kept.append(path)
    return kept


@pytest.mark.parametrize("path", _mapping_files([p for p in CORPUS if p.is_relative_to(BAD)]),
                         ids=lambda path: str(path.relative_to(BAD)))
def test_each_bad_file_is_worded_as_through_the_references(path: Path):
    text = path.read_bytes().decode("utf-8-sig")
    document = parse_yaml(text, str(path)).document
    assert schema_issues(document, parse_yaml(text, "f.yaml").source) == through_references(
        document, text
    )


# Names an object of one kind may carry by mistake: another kind's fields, and any text.
UNKNOWN_NAMES = st.one_of(
    st.sampled_from(sorted({name for names in FIELDS.values() for name in names})),
    st.text(min_size=1, max_size=8),
)


@st.composite
def with_unknown_fields(draw: st.DrawFn) -> dict[Any, Any]:
    """Nearly valid configurations whose objects carry a few fields their kind does not have:
    some objects have nothing else wrong, some have another problem too."""
    document: dict[Any, Any] = draw(nearly_valid_configurations())
    for kind in FIELDS:
        for entry in document.get(kind, []):
            for name in draw(st.lists(UNKNOWN_NAMES, max_size=2)):
                entry.setdefault(name, draw(values))
    return document


def test_unknown_fields_in_many_objects_are_worded_as_through_the_references():
    events = [
        {"key": "plain", "title": "A", "start": "2027-01-01T10:00:00Z"},
        {"key": "unknown", "title": "A", "start": "2027-01-01T10:00:00Z", "colour": "red"},
        {"key": "both", "title": 7, "start": "2027-01-01T10:00:00Z", "colour": "red"},
        {"key": "missing", "colour": "red", "size": 2},
        {"key": "Not A Key", "title": "A", "start": "2027-01-01T10:00:00Z", "deponent": {}},
    ]
    document = {"version": 1, "events": events * 3, "sessions": [{"key": "s", "colour": 1}]}
    text = block(document)
    parsed = parse_yaml(text, "f.yaml")
    assert schema_issues(parsed.document, parsed.source) == through_references(
        parsed.document, text
    )


@settings(max_examples=300, deadline=None)
@given(document=st.one_of(configurations(), nearly_valid_configurations(), with_unknown_fields()))
def test_drawn_configurations_are_worded_as_through_the_references(document: dict[Any, Any]):
    text = block(document)
    parsed = parse_yaml(text, "f.yaml")
    if not isinstance(parsed.document, dict):
        return
    assert schema_issues(parsed.document, parsed.source) == through_references(
        parsed.document, text
    )

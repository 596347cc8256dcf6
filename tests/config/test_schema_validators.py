"""The two JSON Schema validators agree: jsonschema-rs decides "valid?", jsonschema words why.

A file jsonschema-rs accepts is never validated again, so a document on which the two disagree
would either pass unchecked or be refused with no message. Every file of the test corpus and
every example is checked with both.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest

from reconciler.config.schema import schema
from reconciler.config.yaml import parse_yaml
from tests.fixtures.configs import BAD, GOOD

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

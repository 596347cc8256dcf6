"""Property test: whatever YAML a user writes, the CLI answers with exit 0 or 1 and a message,
never a traceback. A marked slow run takes 1,000 examples; CI runs fewer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main

FIELDS = {
    "sessions": ["key", "title", "case", "start", "time_zone", "duration_hours", "invites",
                 "deponent", "details", "via", "protect", "ignore_changes"],
    "events": ["key", "title", "details", "start", "end", "status", "capacity", "location",
               "custom_fields", "all_day", "time_zone"],
    "assignments": ["key", "select", "metadata", "protect"],
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=5000),
    st.sampled_from(["2027-01-01T10:00", "2027-13-45T99:99", "America/New_York", "Mars/Base",
                     "${MISSING}", "confirmed", "nope", "", "∞", "\u202e", "0x1F"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


@st.composite
def config_documents(draw: st.DrawFn) -> str:
    """Shaped like the format, with wrong values, wrong types and strange text."""
    document: dict[str, Any] = {"version": draw(st.sampled_from([1, 1, 1, 2, "1", None]))}
    for kind, names in FIELDS.items():
        if draw(st.booleans()):
            items = []
            for _ in range(draw(st.integers(0, 3))):
                chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
                items.append({name: draw(values) for name in chosen})
            document[kind] = draw(st.one_of(st.just(items), values))
    if draw(st.booleans()):
        document["providers"] = draw(values)
    return yaml.safe_dump(document, allow_unicode=True)


RAW_YAML = st.sampled_from([
    # alias bombs (billion laughs)
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "events: !!python/object/apply:os.system ['echo pwned']\n",
    "version: !!python/name:os.system\n",
    "events: [" * 200 + "]" * 200 + "\n",
    "version: 1\nevents:\n  - key: x\n    title: \"unterminated\n",
    "\t\tversion: 1\n",
    "version: 1\n" + "x" * 200_000 + ": 1\n",
    "version: 1\n<<: *undefined\n",
    "%YAML 9.9\n---\nversion: 1\n",
    "--- 1\n--- 2\n",
    "\x00\x01\x02",
])


def run_validate(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    if result.exit_code == 1:
        assert result.stderr.strip(), "an error must say something"


EXAMPLES = int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)


@FUZZ
@given(text=st.one_of(config_documents(), RAW_YAML, st.text(max_size=300)))
def test_validate_never_tracebacks(tmp_path: Path, text: str) -> None:
    run_validate(tmp_path, text)


@pytest.mark.slow
@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
@given(text=st.one_of(config_documents(), RAW_YAML, st.text(max_size=300)))
def test_validate_never_tracebacks_1000(tmp_path: Path, text: str) -> None:
    run_validate(tmp_path, text)

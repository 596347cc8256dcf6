"""The scope mark every provider writes beside the key, and Prevail's marker lines."""

from __future__ import annotations

import pytest

from reconciler.providers.marker import read_scope_mark, scope_mark
from reconciler.providers.prevail_marker import join_marker, split_marker


@pytest.mark.parametrize(("scope", "protected"), [("team-a", False), ("acme/cal/x", True)])
def test_a_scope_mark_reads_back_as_written(scope: str, protected: bool):
    written = scope_mark(scope, protected=protected)
    assert written == scope + (" (protected)" if protected else "")
    assert read_scope_mark(written) == (scope, protected)


@pytest.mark.parametrize("value", [None, "", "  ", 7])
def test_no_scope_mark_is_a_marker_of_before_scopes(value: object):
    assert read_scope_mark(value) == (None, False)


def test_prevail_keeps_the_key_on_the_last_line_and_the_scope_above_it():
    """api-contract.md, Prevail — [model] marker `reconciler-key: <key>`, last line of
    additional_details."""
    text = join_marker("Bring exhibits.", "smith", "team-a (protected)")
    assert text == "Bring exhibits.\nreconciler-scope: team-a (protected)\nreconciler-key: smith"
    assert split_marker(text) == ("Bring exhibits.", "smith", "team-a (protected)")
    assert split_marker(join_marker(None, "smith", "team-a")) == (None, "smith", "team-a")


def test_prevail_reads_a_marker_of_before_scopes_and_unmarked_text():
    """api-contract.md, Prevail — [model] marker `reconciler-key: <key>`, last line of
    additional_details."""
    assert split_marker("Notes\nreconciler-key: smith") == ("Notes", "smith", None)
    # A line that only looks like a scope mark, without our key below it, is the user's text.
    assert split_marker("reconciler-scope: team-a") == ("reconciler-scope: team-a", None, None)
    assert split_marker(None) == (None, None, None)

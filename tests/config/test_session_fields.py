"""Prevail's documented field rules, checked where the YAML is read (api-contract.md, Prevail)."""

from __future__ import annotations

import pytest

from reconciler.config import load_text
from reconciler.errors import ConfigError

SESSION = """version: 1
sessions:
  - key: smith
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-03-02T09:00
    time_zone: America/New_York
"""


def issues(extra: str, *, base: str = SESSION) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_text(base + extra, filename="s.yaml", resolve_providers=False)
    return [str(issue) for issue in caught.value.issues]


def test_case_is_required() -> None:
    """api-contract.md, Prevail create: `remote_session.case` is required."""
    without = SESSION.replace("    case: 2027-CV-0142\n", "")
    with pytest.raises(ConfigError) as caught:
        load_text(without, filename="s.yaml", resolve_providers=False)
    assert [str(issue) for issue in caught.value.issues] == [
        's.yaml:3:5: sessions[0]: missing required field "case"'
    ]


def test_a_deponent_role_is_deponent_or_witness() -> None:
    """api-contract.md, Prevail create: `deponent.role` is `deponent` or `witness`."""
    [issue] = issues("    deponent: {name: Jane Smith, role: Plaintiff}\n")
    assert issue.startswith("s.yaml:8:34: sessions[0].deponent.role:")
    assert '"Plaintiff"' in issue and "deponent" in issue and "witness" in issue
    state = load_text(SESSION + "    deponent: {name: Jane Smith, role: witness}\n",
                      filename="s.yaml", resolve_providers=False)
    assert state.objects["sessions"][0].fields["deponent"]["role"] == "witness"


def test_interpreter_names_languages_and_an_old_true_is_refused_clearly() -> None:
    """api-contract.md, Prevail create: `interpreter` is a string of languages."""
    assert issues("    interpreter: true\n") == [
        's.yaml:8:5: sessions[0].interpreter: is now the languages to interpret (Prevail takes '
        'a string), not true: write them, e.g. interpreter: "Spanish" ("" for none)'
    ]
    for written in ("Spanish", '""', "false"):
        state = load_text(SESSION + f"    interpreter: {written}\n", filename="s.yaml",
                          resolve_providers=False)
        assert state.objects["sessions"][0].key == "smith"


def test_a_zone_in_rails_display_form_is_valid() -> None:
    """api-contract.md, Prevail time zones: Rails' display form is a valid spelling."""
    text = SESSION.replace("America/New_York", '"(GMT-05:00) Eastern Time (US & Canada)"')
    state = load_text(text, filename="s.yaml", resolve_providers=False)
    assert state.objects["sessions"][0].fields["time_zone"] == (
        "(GMT-05:00) Eastern Time (US & Canada)"
    )

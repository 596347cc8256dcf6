"""Control characters in user-controlled text print as visible escapes: one value, one line."""

from __future__ import annotations

import json
import re

from reconciler.model import Action, Address, Change, FieldChange, Location, Plan, Skipped
from reconciler.render import plan_document, render_markdown, render_text
from reconciler.render.drift import render_drift_markdown, render_drift_text
from reconciler.render.safe import visible
from reconciler.reports import DriftItem, DriftReport

FORGED = "x\n::warning file=x::forged\r\x1b[2J\x85\u2028\u2029\x00"
SHOWN = "x\\n::warning file=x::forged\\r\\x1b[2J\\x85\\u2028\\u2029\\x00"


def plan() -> Plan:
    field = FieldChange(name=f"meta.{FORGED}", before=None, after="v")
    change = Change(address=Address("events", "gala"), provider="prospero", action=Action.UPDATE,
                    reason=f"because {FORGED}", fields=(field,), note=FORGED)
    return Plan(changes=(change,), state_checksum="0", warnings=(f"warned {FORGED}",),
                skipped=(Skipped(Address("events", "old"), f"skipped {FORGED}"),))


def no_forged_line(text: str) -> None:
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert not any(char in text for char in "\r\x1b\x85\u2028\u2029\x00")


def test_visible_escapes_c0_c1_and_line_separators():
    assert visible(FORGED) == SHOWN
    assert visible("tab\there, del\x7f, é ✏️") == "tab\\there, del\\x7f, é ✏️"


def test_the_text_plan_keeps_each_value_on_one_line():
    text = render_text(plan())
    no_forged_line(text)
    assert f"because {SHOWN}" in text and f"warned {SHOWN}" in text
    assert f"meta.{SHOWN}" in text and f"skipped {SHOWN}" in text


def test_colour_codes_survive_the_escaping():
    text = render_text(plan(), color=True)
    assert "\x1b[" in text  # click's own styling
    assert "\x1b[2J" not in text and f"because {SHOWN}" in text


def test_the_markdown_plan_keeps_table_rows_whole():
    text = render_markdown(plan())
    no_forged_line(text)
    row = next(line for line in text.splitlines() if line.startswith("| ✏️ update"))
    assert row.endswith(f"because {SHOWN} ({SHOWN}) |")
    assert f"> ⚠️ warned {SHOWN}" in text


def test_drift_reports_keep_each_value_on_one_line():
    item = DriftItem(address=Address("events", "gala"), status="drifted",
                     fields=(FieldChange(name=FORGED, before=1, after=2),),
                     location=Location(f"{FORGED}.yaml", 3, 5))
    report = DriftReport(items=(item,))
    for text in (render_drift_text(report), render_drift_markdown(report)):
        no_forged_line(text)
        assert SHOWN in text


def test_json_keeps_the_exact_value():
    document = plan_document(plan())
    assert json.loads(json.dumps(document))["changes"][0]["reason"] == f"because {FORGED}"


CELL_BORDER = re.compile(r"(?<!\\)\|")


def test_a_remote_value_with_a_pipe_or_backtick_keeps_its_drift_row_whole():
    # A title edited in a provider's UI reaches the drift issue's table as it was typed.
    edited = FieldChange(name="title", before="Gala | `after` party", after="Gala")
    item = DriftItem(address=Address("events", "gala"), status="drifted", fields=(edited,),
                     updated_at="2027-01-02 | <b>")
    text = render_drift_markdown(DriftReport(items=(item,)))
    (row,) = [line for line in text.splitlines() if line.startswith("| `events.gala`")]
    assert len(CELL_BORDER.findall(row)) == 7  # six cells
    assert '`` "Gala \\| `after` party" ``' in row
    assert row.endswith("| 2027-01-02 \\| &lt;b> |")

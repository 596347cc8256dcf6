"""Plan, apply and plan again against a Previsto that answers only as its public docs show.

The docs-shaped server (`tests/fixtures/docs_previsto.py`) allows pages of 100, as the API
reference says, sends `X-Total-Count` and no `Link`, and serves the docs' own example
assignments among 250. Every request the CLI makes is asserted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.docs_previsto import (
    DOCUMENTED_ID,
    KEY,
    REFERENCE_ID,
    DocsPrevisto,
    ServeDocsPrevisto,
    documented,
    documented_assignments,
)
from tests.fixtures.repo import SCOPE, Run

# A filler assignment that an earlier configuration managed and this one no longer declares.
RETIRED_META = {"crew": "west", "note": "kept", "reconciler_key": "retired",
                "reconciler_owned": "crew", "reconciler_scope": SCOPE}
FALLBACK_LOG = (
    "previsto: the server refused pages of 1000 (400 naming size); reading pages of 100 for the "
    "rest of this run"
)
# The scope's marked assignments are asked for with the [model] metadata filter, which this
# server (as the docs show it) does not apply: its answers are empty, which cannot tell "none
# marked" from "filter not read", so every run walks every assignment as well.
SCOPED = [
    ("GET", "/assignments", f"meta.reconciler_scope={SCOPE}&page=0&size=1000", 400),
    ("GET", "/assignments", f"meta.reconciler_scope={SCOPE}&page=0&size=100", 200),
    ("GET", "/assignments",
     f"meta.reconciler_scope={SCOPE}+%28protected%29&page=0&size=100", 200),
]
WALK = [
    *SCOPED,
    ("GET", "/assignments", "page=0&size=100", 200),
    ("GET", "/assignments", "page=1&size=100", 200),
    ("GET", "/assignments", "page=2&size=100", 200),
]

# After the writes, apply reads back what it wrote: the scope's plain mark alone (none of the
# written assignments is protected), at the page size the run has settled on; its empty answer
# proves nothing, so a walk.
READ_BACK = [SCOPED[1], *WALK[len(SCOPED):]]
# Right before the first write, the objects to be written are read again the same way (the
# plain mark is the only one they carry), so that an edit made meanwhile is not overwritten.
REREAD = READ_BACK


def walked_with_read_back() -> list[tuple[str, str, str, int]]:
    """An apply's GETs as `walked` shows them: the plan's walk, the re-read before the first
    write, then the read-back's."""
    return WALK[:4] + sorted(WALK[4:] + REREAD + READ_BACK)


@pytest.fixture
def server(serve_docs_previsto: ServeDocsPrevisto) -> DocsPrevisto:
    assignments = documented_assignments(extra=248)
    assignments[-1]["meta"] = dict(RETIRED_META)
    return serve_docs_previsto(assignments)


@pytest.fixture
def config(tmp_path: Path, server: DocsPrevisto, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PREVISTO_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "schedule"
    root.mkdir()
    # The pacing is lifted (the server has no limit): the run's requests are what is tested.
    (root / "providers.yaml").write_text(
        f"version: 1\nproviders:\n  previsto:\n    base_url: {server.url}\n"
        "    api_key: ${PREVISTO_API_KEY}\n    requests_per_minute: 60000\n",
        encoding="utf-8",
    )
    (root / "assignments.yaml").write_text(
        "version: 1\nassignments:\n"
        f"  - key: docs-example\n    select: {{id: {DOCUMENTED_ID}}}\n"
        "    metadata: {crew: north, po_number: PO-7781}\n"
        # The docs' contact and the reference example's local day pick exactly one.
        "  - key: reference-example\n"
        "    select: {contact_id: cont-242342DgHH2lkjkj23, date: 2017-06-14}\n"
        "    metadata: {crew: south}\n",
        encoding="utf-8",
    )
    return root


def seen(server: DocsPrevisto) -> list[tuple[str, str, str, int]]:
    """The requests so far (pages after the first are read concurrently: sorted per run)."""
    return [(r.method, r.path, r.query, r.status) for r in server.requests]


def walked(server: DocsPrevisto) -> list[tuple[str, str, str, int]]:
    gets = [entry for entry in seen(server) if entry[0] == "GET"]
    return gets[:4] + sorted(gets[4:])


def bodies(server: DocsPrevisto) -> dict[str, Any]:
    return {r.path: r.body for r in server.writes()}


def test_plan_apply_and_a_converged_plan_against_the_documented_api(
    config: Path, server: DocsPrevisto, cli: Run
) -> None:
    """api-contract.md, Previsto — Pagination: the client asks for pages of 1000 and falls back
    to 100 once per run on a 400 naming `size` (logged at -v); it reads the bare array and
    `X-Total-Count` [doc] and needs no `Link` [model]. Auth: Basic with the key [doc]. Resources:
    `PUT /assignments/{id}` a partial update [doc], carrying the whole resulting `meta`.
    Assignment: the docs' own example payloads, with their local `executionTime`, are parsed
    and selected [doc]."""
    first = cli("-v", "plan", config, "--prune", "--detailed-exitcode", expect=2)
    assert walked(server) == WALK
    assert first.stderr.count(FALLBACK_LOG) == 1
    assert "assignments.docs-example" in first.stdout
    assert "assignments.reference-example" in first.stdout
    assert "assignments.retired" in first.stdout
    assert server.writes() == []
    server.requests.clear()

    cli("apply", config, "--auto-approve", "--prune")
    assert walked(server) == walked_with_read_back()
    retired = list(server.assignments)[-1]
    assert bodies(server) == {
        f"/assignments/{DOCUMENTED_ID}": {"meta": {
            "crew": "north", "po_number": "PO-7781", "reconciler_key": "docs-example",
            "reconciler_owned": "crew,po_number", "reconciler_scope": SCOPE,
        }},
        f"/assignments/{REFERENCE_ID}": {"meta": {
            "crew": "south", "reconciler_key": "reference-example", "reconciler_owned": "crew",
            "reconciler_scope": SCOPE,
        }},
        # The whole resulting metadata: the key others set (`note`) is sent as it was read.
        f"/assignments/{retired}": {"meta": {
            "crew": None, "note": "kept", "reconciler_key": None, "reconciler_owned": None,
            "reconciler_scope": None,
        }},
    }
    assert all(r.method == "PUT" and r.status == 200 for r in server.writes())
    assert server.assignments[DOCUMENTED_ID]["meta"] == {
        "crew": "north", "po_number": "PO-7781", "reconciler_key": "docs-example",
        "reconciler_owned": "crew,po_number", "reconciler_scope": SCOPE,
    }
    assert server.assignments[retired]["meta"] == {"note": "kept"}
    server.requests.clear()

    again = cli("plan", config, "--prune", "--detailed-exitcode", expect=0)
    assert "No changes" in again.stdout
    assert walked(server) == WALK
    assert server.writes() == []


def test_the_docs_error_example_reaches_the_user_as_its_message(
    config: Path, serve_docs_previsto: ServeDocsPrevisto, cli: Run
) -> None:
    """api-contract.md, Previsto — Errors: `{"type", "message", "param"}` [doc]; the docs' own
    example (whose `type` reads `invalid_request`) is read for its message."""
    server = serve_docs_previsto(put_error=(400, documented("error.json")))
    result = cli("apply", config, "--auto-approve", expect=1)
    assert "'name' must be specified." in result.stdout + result.stderr
    assert {r.path for r in server.writes()} == {
        f"/assignments/{DOCUMENTED_ID}", f"/assignments/{REFERENCE_ID}"
    }
    assert server.assignments[DOCUMENTED_ID]["meta"] == {}

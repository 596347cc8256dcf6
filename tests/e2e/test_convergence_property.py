"""For any declared objects, plan → apply → plan is empty against the sandbox.

Whatever the servers normalise (Prevail's zone spellings, 12-hour times to the minute and host
downgrade, Prospero's UTC instants, Previsto's removal of a `""` value, e-mails in any case) must
come back equal to what was declared, or be said as a note: never planned again. Each example
declares sessions, events and assignments under keys of its own on one sandbox, applies them
through the engine, and plans again.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import load
from reconciler.engine.apply import apply_plan
from reconciler.engine.plan import PlanOptions, build_plan
from reconciler.providers import build_providers
from reconciler.sandbox import SandboxSettings
from tests.fixtures.repo import Repo, providers_yaml

RATE = 60_000
NAMES = st.text(alphabet="abcdefgh XYZ-.'", min_size=1, max_size=12).map(str.strip).filter(bool)
ZONES = st.sampled_from([
    "America/New_York", "Eastern Time (US & Canada)", "(GMT-05:00) Eastern Time (US & Canada)",
    "Europe/London", "London", "UTC", "Tokyo", "Asia/Kolkata", "Pacific Time (US & Canada)",
])
# Members of the sandbox's organisation (hosts hold) and others (hosts become participants).
EMAILS = st.sampled_from([
    "host@example.com", "clerk@court.example", "stranger@example.com", "counsel@firm.test",
]).flatmap(lambda email: st.sampled_from([email, email.upper(), email.capitalize()]))
INVITES = st.lists(
    st.tuples(EMAILS, st.sampled_from([None, "host", "participant"])), max_size=3,
    unique_by=lambda invite: invite[0].lower(),
).map(lambda invites: [email if level is None else {"email": email, "access_level": level}
                       for email, level in invites])
DAYS = st.integers(min_value=0, max_value=200)
SESSIONS = st.fixed_dictionaries(
    {"title": NAMES, "case": NAMES, "day": DAYS, "hour": st.integers(8, 17),
     "minute": st.sampled_from([0, 15, 30, 45]), "second": st.sampled_from([0, 0, 30]),
     "time_zone": ZONES, "invites": INVITES},
    optional={"duration_hours": st.sampled_from([0.5, 1, 1.25, 2.5])},
)
OFFSETS = st.sampled_from(["Z", "+01:00", "-05:00", "+05:30"])
EVENTS = st.fixed_dictionaries(
    {"title": NAMES, "day": DAYS, "hour": st.integers(0, 20), "offset": OFFSETS,
     "hours": st.integers(1, 3)},
    optional={
        "status": st.sampled_from(["confirmed", "tentative", "cancelled"]),
        "capacity": st.integers(0, 500),
        "custom_fields": st.dictionaries(
            st.sampled_from(["room", "dress_code", "seats"]),
            st.one_of(NAMES, st.integers(0, 99), st.booleans()), max_size=2),
        "location": st.fixed_dictionaries({"name": NAMES}, optional={"address": NAMES}),
    },
)
SEEDED_ASSIGNMENTS = ["asgmt-klJ23j4L23j43", "asgmt-Zp3Kw9Hs2Yb6D", "asgmt-Gh5Rj2Lp6Wd9K"]
METADATA = st.dictionaries(
    st.sampled_from(["crew", "po_number", "note"]), st.one_of(NAMES, st.just("")),
    min_size=1, max_size=3,
)
DECLARED = st.fixed_dictionaries({
    "sessions": st.lists(SESSIONS, max_size=2),
    "events": st.lists(EVENTS, max_size=2),
    "assignment": st.one_of(st.none(), st.tuples(st.sampled_from(SEEDED_ASSIGNMENTS), METADATA)),
})

_runs = itertools.count()


def document(declared: dict[str, Any], run: int) -> dict[str, Any]:
    """The YAML document declaring these objects under keys of this run."""
    sessions = []
    for n, item in enumerate(declared["sessions"]):
        fields = {k: v for k, v in item.items() if k not in ("day", "hour", "minute", "second")}
        day = 1 + item["day"] % 28
        month = 3 + item["day"] // 28
        clock = f"{item['hour']:02d}:{item['minute']:02d}:{item['second']:02d}"
        fields["start"] = f"2027-{month:02d}-{day:02d}T{clock}"
        sessions.append({"key": f"s-{run}-{n}", **fields})
    events = []
    for n, item in enumerate(declared["events"]):
        fields = {k: v for k, v in item.items() if k not in ("day", "hour", "offset", "hours")}
        day = f"2027-{3 + item['day'] // 28:02d}-{1 + item['day'] % 28:02d}"
        fields["start"] = f"{day}T{item['hour']:02d}:00:00{item['offset']}"
        fields["end"] = f"{day}T{item['hour'] + item['hours']:02d}:00:00{item['offset']}"
        events.append({"key": f"e-{run}-{n}", **fields})
    assignments = []
    if declared["assignment"] is not None:
        ident, metadata = declared["assignment"]
        # One key per assignment across examples: an assignment is managed under one key.
        assignments.append({"key": f"a-{ident[-4:].lower()}", "select": {"id": ident},
                            "metadata": metadata})
    return {"version": 1, "sessions": sessions, "events": events, "assignments": assignments}


@pytest.fixture
def sandbox_settings() -> SandboxSettings:
    return SandboxSettings(admin=True, previsto_requests_per_minute=RATE)


@pytest.fixture
def fast_repo(repo: Repo, sandbox_url: str) -> Repo:
    repo.write("providers.yaml", providers_yaml(sandbox_url, previsto_rate=RATE))
    return repo


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(declared=DECLARED)
def test_any_declared_objects_converge_after_one_apply(
    fast_repo: Repo, declared: dict[str, Any]
) -> None:
    """api-contract.md, Prevail — Hosts and zones, Prospero — dates, Previsto — Metadata: after
    one apply the next plan has no change, whatever was declared."""
    run = next(_runs)
    fast_repo.write("objects.yaml", yaml.safe_dump(document(declared, run), sort_keys=False))
    state = load(fast_repo.root)
    providers = build_providers(state)
    try:
        first = build_plan(state, providers, PlanOptions()).plan
        report = apply_plan(first, providers)
        assert all(outcome.ok for outcome in report.outcomes), report
        again = build_plan(state, providers, PlanOptions()).plan
    finally:
        for provider in providers.values():
            provider.client.close()
    assert [(str(c.address), c.fields) for c in again.changes] == []
    demoted = {
        (f"sessions.{session['key']}", invite["email"].lower())
        for session in document(declared, run)["sessions"] for invite in session["invites"]
        if isinstance(invite, dict) and invite["access_level"] == "host"
        and invite["email"].lower() in ("stranger@example.com", "counsel@firm.test")
    }
    assert len([w for w in again.warnings if "as participant, not host" in w]) == len(demoted)

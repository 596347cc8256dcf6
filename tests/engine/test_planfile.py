"""The plan file: what it records, its signature, and the refusals of damaged files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.fingerprint import Fingerprint
from reconciler.engine.planfile import load_plan, plan_key, save_plan
from reconciler.errors import UntrustedPlanError
from reconciler.model import Action, Address, Change, FieldChange, HttpCall, Plan, Skipped

KEY = b"a-long-random-plan-signing-key"
FINGERPRINT = Fingerprint(
    files={"events.yaml": "ab" * 32, "providers.yaml": "cd" * 32},
    providers={"prospero": "sha256:" + "ef" * 32},
)
SOURCE = {
    "path": "schedule", "sandbox": False, "prune": True, "adopt": False, "strict": False,
    "on_drift": "keep", "base_ref": "origin/main", "base_commit": "0123abcd" * 5,
}


def a_plan() -> Plan:
    change = Change(
        address=Address("events", "gala"),
        provider="prospero",
        action=Action.UPDATE,
        reason="capacity differs from the configuration",
        fields=(FieldChange("capacity", 200, 250),),
        requests=(HttpCall(method="PATCH", path="/events/e1", body={"capacity": 250},
                           content_type="application/merge-patch+json"),),
        remote_id="e1",
        drift_fields=("title",),
    )
    return Plan(changes=(change,), state_checksum="sha256:" + "00" * 32, providers=("prospero",),
                skipped=(Skipped(Address("events", "lunch"), "it started at …; the past is "
                                 "frozen"),))


def saved(tmp_path: Path, *, key: bytes | None = None) -> Path:
    path = tmp_path / "plan.json"
    save_plan(a_plan(), path, source=dict(SOURCE), fingerprint=FINGERPRINT, key=key)
    return path


def rewrite(path: Path, edit: Any) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document, indent=4))


def test_a_saved_plan_reads_back_with_what_it_was_made_from(tmp_path: Path):
    loaded = load_plan(saved(tmp_path), key=None)
    assert loaded.plan.changes == a_plan().changes
    assert loaded.plan.skipped == a_plan().skipped
    assert loaded.plan.state_checksum == a_plan().state_checksum
    assert (loaded.config_path, loaded.prune, loaded.adopt, loaded.on_drift) == (
        Path("schedule"), True, False, DriftPolicy.KEEP
    )
    assert loaded.base_commit == SOURCE["base_commit"]
    assert loaded.fingerprint == FINGERPRINT
    assert loaded.signed is False


def test_the_fingerprint_names_files_and_providers_never_a_path_of_this_machine(tmp_path: Path):
    document = json.loads(saved(tmp_path).read_text())
    assert document["configuration"] == {
        "digest": FINGERPRINT.digest,
        "files": {"events.yaml": "ab" * 32, "providers.yaml": "cd" * 32},
        "providers": {"prospero": "sha256:" + "ef" * 32},
        "scope": FINGERPRINT.scope,
    }
    assert str(tmp_path) not in json.dumps(document)


def test_a_signed_plan_reads_back_whatever_its_layout(tmp_path: Path):
    path = saved(tmp_path, key=KEY)
    rewrite(path, lambda document: document)  # another indentation, the same document
    assert load_plan(path, key=KEY).signed is True


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["changes"][0]["requests"][0]["body"].update(capacity=2500),
        lambda d: d["source"].update(prune=False),
        lambda d: d.update(summary={"create": 0, "update": 0, "replace": 0, "delete": 0}),
        # The last digit changed (to "0", or to "1" where it was "0": a no-op edit proves nothing).
        lambda d: d.update(signature=d["signature"][:-1] + ("1" if d["signature"][-1] == "0"
                                                             else "0")),
        lambda d: d.update(signature=7),
        lambda d: d.update(extra="added"),
    ],
    ids=["body", "source", "summary", "signature", "signature-type", "added-field"],
)
def test_any_edit_of_a_signed_plan_breaks_its_signature(tmp_path: Path, edit: Any):
    path = saved(tmp_path, key=KEY)
    rewrite(path, edit)
    with pytest.raises(UntrustedPlanError, match="the signature does not match"):
        load_plan(path, key=KEY)


def test_an_unsigned_plan_is_refused_when_a_key_is_given(tmp_path: Path):
    with pytest.raises(UntrustedPlanError, match="is not signed, and RECONCILER_PLAN_KEY is set"):
        load_plan(saved(tmp_path), key=KEY)


def test_another_key_does_not_verify(tmp_path: Path):
    with pytest.raises(UntrustedPlanError, match="the signature does not match"):
        load_plan(saved(tmp_path, key=KEY), key=b"another-key")


def test_the_key_comes_from_the_environment_and_empty_means_unset():
    assert plan_key({"RECONCILER_PLAN_KEY": "k3y"}) == b"k3y"
    assert plan_key({"RECONCILER_PLAN_KEY": ""}) is None
    assert plan_key({}) is None


def test_a_plan_without_a_configuration_fingerprint_is_refused(tmp_path: Path):
    path = saved(tmp_path)
    rewrite(path, lambda document: document.pop("configuration"))
    with pytest.raises(UntrustedPlanError, match="has no configuration fingerprint"):
        load_plan(path, key=None)


def test_a_fingerprint_whose_parts_do_not_add_up_is_refused(tmp_path: Path):
    path = saved(tmp_path)
    rewrite(path, lambda document: document["configuration"]["files"].update(
        {"events.yaml": "ff" * 32}))
    with pytest.raises(UntrustedPlanError, match=r"damaged.*does not add up"):
        load_plan(path, key=None)


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda d: d["source"].update(prune="yes"), "source.prune must be true or false"),
        (lambda d: d["source"].update(path=""), "expected text"),
        (lambda d: d["source"].update(on_drift="ignore"), "'ignore' is not a valid DriftPolicy"),
        (lambda d: d["changes"][0].update(action="explode"), "explode"),
        (lambda d: d.pop("source"), "source"),
    ],
)
def test_a_damaged_plan_is_refused_in_one_line(tmp_path: Path, edit: Any, why: str):
    path = saved(tmp_path)
    rewrite(path, edit)
    with pytest.raises(UntrustedPlanError) as refused:
        load_plan(path, key=None)
    assert "the plan file is damaged" in str(refused.value)
    assert why in str(refused.value)
    assert "\n" not in str(refused.value)


def test_not_a_plan_is_refused(tmp_path: Path):
    path = tmp_path / "plan.json"
    path.write_text("[1, 2]")
    with pytest.raises(UntrustedPlanError, match="a JSON object is expected"):
        load_plan(path, key=None)
    path.write_text('{"format_version": 0}')
    with pytest.raises(UntrustedPlanError, match="format version 1"):
        load_plan(path, key=None)


def test_fingerprint_differences_name_files_and_providers():
    now = Fingerprint(
        files={"events.yaml": "ab" * 32, "sessions.yaml": "12" * 32},
        providers={"prospero": "sha256:" + "99" * 32, "prevail": "sha256:" + "88" * 32},
    )
    assert FINGERPRINT.differences(now) == [
        "providers.yaml is gone",
        "sessions.yaml is new",
        "providers.prevail is new",
        "providers.prospero endpoint or account differs",
    ]
    assert FINGERPRINT.differences(FINGERPRINT) == []

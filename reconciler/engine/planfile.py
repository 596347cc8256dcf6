"""The plan file: a reviewed plan saved as JSON, optionally signed, and read back.

A saved plan records what it was made from: the configuration's path (as given, relative to
where `plan` ran), the options that shaped it (`--prune`, `--adopt`, `--adopt-unscoped`,
`--strict`, `--on-drift`, the base ref's commit), the configuration's fingerprint
(`engine.fingerprint`) and the checksum of the remote state it was made against.
`engine.verify` checks all of them before anything is sent.

With `RECONCILER_PLAN_KEY` set, `plan -o` signs the file (HMAC-SHA256 over its canonical JSON,
`signature` left out) and `apply` refuses a file that is unsigned or whose signature does not
match, before the configuration is even read: for pipelines that pass plans between jobs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config.yaml.source import MAX_DEPTH
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.fingerprint import Fingerprint
from reconciler.errors import UntrustedPlanError
from reconciler.local_files import write_text
from reconciler.model import Address, Change, Plan, Skipped
from reconciler.render.json import FORMAT_VERSION, audited, plan_document

PLAN_KEY_VARIABLE = "RECONCILER_PLAN_KEY"
# A plan's values come from the configuration, which nests at most MAX_DEPTH levels, wrapped in
# a few levels of the plan's own (changes, requests, bodies); past this, later steps that
# recurse (canonical JSON for the signature, comparisons) could exhaust Python's stack.
MAX_NESTING = 2 * MAX_DEPTH
SIGNATURE_SCHEME = "hmac-sha256"


@dataclass(frozen=True, kw_only=True)
class SavedPlan:
    """A plan read back from its file, with what it says it was made from."""

    path: Path
    plan: Plan
    config_path: Path
    sandbox: bool
    prune: bool
    adopt: bool
    strict: bool
    adopt_unscoped: bool = False
    on_drift: DriftPolicy
    base_commit: str | None
    fingerprint: Fingerprint
    signed: bool
    # The policy folders named on the command line when it was made (judged again on apply).
    policies: tuple[str, ...] = ()


def plan_key(environ: Mapping[str, str]) -> bytes | None:
    """The signing key from the environment (an empty variable counts as unset)."""
    key = environ.get(PLAN_KEY_VARIABLE, "")
    return key.encode() if key else None


def save_plan(
    plan: Plan,
    path: Path,
    *,
    source: dict[str, Any],
    fingerprint: Fingerprint,
    key: bytes | None,
) -> None:
    document = plan_document(plan, source=source)
    document["configuration"] = fingerprint.to_json()
    if key is not None:
        document["signature"] = _signature(document, key)
    write_text(path, json.dumps(audited(document), indent=2, sort_keys=False) + "\n",
               what="the plan file", fix="choose another -o")


def load_plan(path: Path, *, key: bytes | None) -> SavedPlan:
    """A saved plan, its signature checked first when a key is given (no other I/O)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        too_deep = _nested_deeper(document, MAX_NESTING)
    except (OSError, ValueError) as error:
        raise UntrustedPlanError(f"{path}: not a readable plan file ({error})") from None
    except RecursionError:
        # Python's JSON reader recurses once per level: a file nested some thousand levels
        # deep exhausts the stack before its shape can be refused.
        too_deep = True
    if too_deep:
        raise UntrustedPlanError(
            f"{path}: not a reconciler plan (nested deeper than {MAX_NESTING} levels); make it "
            "again with `reconciler plan PATH -o FILE`"
        )
    if not isinstance(document, dict):
        raise UntrustedPlanError(f"{path}: not a reconciler plan (a JSON object is expected)")
    signature = document.get("signature")
    if key is not None:
        _check_signature(path, document, key)
    if document.get("format_version") != FORMAT_VERSION:
        raise UntrustedPlanError(
            f"{path}: not a reconciler plan of format version {FORMAT_VERSION}; make it again "
            "with `reconciler plan PATH -o FILE`"
        )
    if not isinstance(document.get("configuration"), dict):
        raise UntrustedPlanError(
            f"{path}: the plan has no configuration fingerprint (made by an older reconciler?); "
            "make it again with `reconciler plan PATH -o FILE`"
        )
    try:
        plan = Plan(
            changes=tuple(Change.from_json(item) for item in document["changes"]),
            state_checksum=str(document["state_checksum"]),
            providers=tuple(document.get("providers", ())),
            skipped=tuple(
                Skipped(Address.parse(str(item["address"])), str(item["reason"]))
                for item in document.get("skipped", ())
            ),
            series_sizes={str(k): int(v) for k, v in (document.get("series") or {}).items()},
        )
        fingerprint = Fingerprint.from_json(document["configuration"])
        source = document["source"]
        base_commit = source.get("base_commit")
        return SavedPlan(
            path=path,
            plan=plan,
            config_path=Path(_text(source["path"])),
            sandbox=_flag(source, "sandbox"),
            prune=_flag(source, "prune"),
            adopt=_flag(source, "adopt"),
            adopt_unscoped=_flag(source, "adopt_unscoped"),
            strict=_flag(source, "strict"),
            on_drift=DriftPolicy(source.get("on_drift", DriftPolicy.REVERT.value)),
            base_commit=_text(base_commit) if base_commit is not None else None,
            fingerprint=fingerprint,
            signed=signature is not None,
            policies=tuple(_text(folder) for folder in source.get("policies") or ()),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise UntrustedPlanError(f"{path}: the plan file is damaged ({error!r})") from None


def _nested_deeper(document: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels (looked at without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return False


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected text, found {value!r}")
    return value


def _flag(source: Mapping[str, Any], name: str) -> bool:
    value = source.get(name, False)
    if not isinstance(value, bool):
        raise TypeError(f"source.{name} must be true or false, not {value!r}")
    return value


def _canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: the document without its signature, keys sorted."""
    unsigned = {name: value for name, value in document.items() if name != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _signature(document: Mapping[str, Any], key: bytes) -> str:
    digest = hmac.new(key, _canonical(document), hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}:{digest}"


def _check_signature(path: Path, document: Mapping[str, Any], key: bytes) -> None:
    signature = document.get("signature")
    if signature is None:
        raise UntrustedPlanError(
            f"{path} is not signed, and {PLAN_KEY_VARIABLE} is set: only a plan signed with "
            "that key is applied, so nothing was sent; make it again with `reconciler plan "
            "PATH -o FILE` under the same key"
        )
    if not isinstance(signature, str) or not hmac.compare_digest(
        signature.encode(), _signature(document, key).encode()
    ):
        raise UntrustedPlanError(
            f"{path}: the signature does not match (the file was changed after it was signed, "
            f"or signed with another {PLAN_KEY_VARIABLE}); it is refused and nothing was sent"
        )

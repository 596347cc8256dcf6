"""The Prospero emulator against its OpenAPI description: schemathesis fuzzes every operation.

Set PROSPERO_OPENAPI_EXAMPLES (default 30 per operation) to run longer by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import schemathesis
import yaml
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import definitions
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.server import running

SPEC = Path(__file__).resolve().parents[3] / "schemas" / "api" / "prospero.openapi.yaml"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

AUTH = {"Authorization": "Bearer sandbox-prospero-token"}

schema = schemathesis.openapi.from_path(SPEC)
schema.config.generation.update(
    max_examples=int(os.environ.get("PROSPERO_OPENAPI_EXAMPLES", "30"))
)


@dataclass(frozen=True)
class Peer:
    """The served sandbox: a client at its Prospero base URL and one long-lived event."""

    client: httpx.Client
    event_id: str


@pytest.fixture(scope="module")
def prospero() -> Iterator[Peer]:
    """One seeded sandbox on loopback for the whole module (schemathesis runs many examples)."""
    with (
        running(create_app(SandboxSettings())) as origin,
        httpx.Client(base_url=f"{origin}/prospero/", headers=AUTH, timeout=10) as client,
    ):
        yield Peer(client=client, event_id=_new_event(client))


def _new_event(client: httpx.Client) -> str:
    event = {"title": "Fuzzed", "start": "2027-06-01T10:00:00Z", "end": "2027-06-01T11:00:00Z"}
    return str(client.post("events", json={"event": event}).json()["event"]["id"])


def _existing_id(case: schemathesis.Case[Any], prospero: Peer) -> None:
    """Point positive cases at a real event or webhook, so the success paths get fuzzed too."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if "id" not in case.path_parameters or not positive:
        return
    if case.path.startswith("/webhooks"):
        hook = {"url": "https://hooks.test/p", "events": ["event.created"]}
        created = prospero.client.post("webhooks", json=hook).json()["webhook"]
        case.path_parameters["id"] = created["id"]
    elif case.method == "DELETE":
        case.path_parameters["id"] = _new_event(prospero.client)
    else:
        case.path_parameters["id"] = prospero.event_id


def test_spec_is_valid_openapi_3_1() -> None:
    document = yaml.safe_load(SPEC.read_text())
    assert document["openapi"].startswith("3.1.")
    errors = list(jsonschema.Draft202012Validator(definitions.OPENAPI_31).iter_errors(document))
    assert errors == []
    # The OpenAPI meta-schema leaves schema objects to their dialect: check each one too.
    for component in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(component)


def test_spec_validation_catches_a_broken_spec() -> None:
    document = yaml.safe_load(SPEC.read_text())
    document["paths"]["/events"]["get"]["responses"] = "not a responses object"
    validator = jsonschema.Draft202012Validator(definitions.OPENAPI_31)
    assert list(validator.iter_errors(document))


@schema.parametrize()
def test_prospero_conforms_to_its_openapi(case: schemathesis.Case[Any], prospero: Peer) -> None:
    _existing_id(case, prospero)
    case.call_and_validate(
        base_url=str(prospero.client.base_url).rstrip("/"),
        headers=AUTH,
        cookies={"refresh_token": "sandbox-prospero-refresh"},
        checks=CHECKS,
    )

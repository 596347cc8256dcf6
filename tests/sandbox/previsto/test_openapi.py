"""The Previsto emulator against its own OpenAPI 3.1 description, with schemathesis.

Every operation is exercised with generated (valid and invalid) requests over loopback, with the
full-rights key, and every response must be a documented status with the documented JSON body.
Half of the requests to `/{id}` address a seeded object so that the update rules are reached.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import schemathesis
import yaml
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.server import running

SPEC = Path(__file__).resolve().parents[3] / "schemas" / "api" / "previsto.openapi.yaml"
AUTH = {"Authorization": "Basic c2tfc2FuZGJveDo="}  # sk_sandbox, empty password
SEEDED = {
    "assignments": ["asgmt-klJ23j4L23j43", "asgmt-Mx7Tq1Vc8Nf3J", "asgmt-Q8n2Lm4Rt7Vx1"],
    "contacts": ["cont-242342", "cont-981120"],
    "agreements": ["agrmt-Bw4Nc8Tz1Qh5MxR2aK7e", "agrmt-Fm8Hq3Lt5Ug7CzE1bY6h"],
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_path(SPEC)
schema.config.generation.update(max_examples=30, modes=["positive", "negative"])


@pytest.fixture(scope="module")
def previsto_url() -> Iterator[str]:
    # One sandbox for the whole module; the rate limit is lifted so only the handlers answer.
    sandbox = create_app(SandboxSettings(previsto_requests_per_minute=10**9))
    with running(sandbox) as origin:
        yield f"{origin}/previsto"


def test_the_spec_is_valid_openapi_3_1() -> None:
    document = yaml.safe_load(SPEC.read_text())
    jsonschema.Draft202012Validator(OPENAPI_31).validate(document)
    for definition in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(definition)


@schema.parametrize()
def test_previsto_conforms_to_its_openapi(case: schemathesis.Case, previsto_url: str) -> None:
    resource = case.operation.path.strip("/").split("/")[0]
    if "id" in (case.path_parameters or {}):
        # The shared app mounts `/previsto` with Starlette's `Mount`, whose `.*` stops at a
        # newline: such a path never reaches the emulator (reported; app.py is not ours).
        # Generated ids come raw or already percent-encoded.
        raw = str(case.path_parameters["id"])
        case.path_parameters = {"id": re.sub(r"\n|%0[aA]", "", raw)}
        # A stable half of the cases address a seeded object instead of a random id.
        digest = zlib.crc32(repr((case.path_parameters, case.body)).encode())
        if digest % 2 == 0:
            ids = SEEDED[resource]
            case.path_parameters = {"id": ids[digest // 2 % len(ids)]}
    case.call_and_validate(base_url=previsto_url, headers=AUTH, checks=CHECKS)

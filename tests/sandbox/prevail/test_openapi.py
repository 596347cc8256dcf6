"""The Prevail emulator against its own OpenAPI description, fuzzed by schemathesis.

Every public operation of `schemas/api/prevail.openapi.yaml` is exercised in-process (ASGI) with
a valid JWT, positive and negative inputs, about 30 examples per operation; each response must
not be a server error and must conform to the spec (status code, content type, body schema).
The sandbox-only admin operations are left out: they live under another base path. A hand run
with more examples: `PREVAIL_FUZZ_EXAMPLES=1000 pytest tests/sandbox/prevail/test_openapi.py`.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import jwt
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator, ValidationError
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31

from reconciler.sandbox import SandboxSettings, create_app

SPEC = Path(__file__).resolve().parents[3] / "schemas" / "api" / "prevail.openapi.yaml"
KEY = "sandbox-prevail-key"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

EXAMPLES = int(os.environ.get("PREVAIL_FUZZ_EXAMPLES", "30"))
SANDBOX = create_app(SandboxSettings(admin=True))
CONFIG = schemathesis.Config.from_dict(
    {
        "base-url": "http://localhost/prevail",
        "generation": {
            "max-examples": EXAMPLES,
            "mode": "all",
            # Reproducible in CI; a hand run with PREVAIL_FUZZ_EXAMPLES explores new inputs.
            "deterministic": "PREVAIL_FUZZ_EXAMPLES" not in os.environ,
        },
    }
)
schema = schemathesis.openapi.from_path(SPEC, config=CONFIG).exclude(tag="sandbox admin")
schema.app = SANDBOX.app


def mint() -> str:
    """A token as Prevail clients mint it: HS256, `exp` and `slug`."""
    claims = {"exp": int(time.time()) + 300, "slug": "sandbox-co"}
    with warnings.catch_warnings():
        # The documented sandbox key is shorter than PyJWT's recommended 32 bytes.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, KEY, algorithm="HS256")


@schema.auth()
class PrevailJwt:
    def get(self, case: Any, context: Any) -> str:
        return mint()

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schema.parametrize()
def test_prevail_api_conforms_to_its_openapi_description(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


class PrevailWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    """Chains operations through the spec's links: create, then read, edit and cancel it."""

    def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
        case.validate_response(response, checks=CHECKS)


TestPrevailWorkflow = PrevailWorkflow.TestCase
TestPrevailWorkflow.settings = settings(
    max_examples=15,
    stateful_step_count=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def test_spec_is_valid_openapi_3_1() -> None:
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    # The official OAS 3.1 meta-schema (2022-10-07), as schemathesis ships it.
    Draft202012Validator(OPENAPI_31).validate(document)
    for component in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)
    schemathesis.openapi.from_path(SPEC).validate()


def test_spec_meta_validation_catches_mistakes() -> None:
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    document["paths"]["/sessions"]["get"]["responses"]["200"] = {"content": {}}
    with pytest.raises(ValidationError):
        Draft202012Validator(OPENAPI_31).validate(document)

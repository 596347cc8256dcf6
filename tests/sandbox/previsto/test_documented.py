"""The Previsto emulator against Previsto's public docs: the documented shapes (the docs' own
example payloads), creating and deleting assignments by hand, `GET /account`, and the page size
that the API reference and the newer developer pages disagree on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import SandboxSettings
from reconciler.sandbox.app import Sandbox

PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "payloads" / "previsto"
FULL = ("sk_sandbox", "")
READ_ONLY = ("sk_sandbox_readonly", "")
ACME = "cont-242342"
ACCOUNT = "acct-Sbx7Kq2Lm9Pw"
INVOICED = "asgmt-Mx7Tq1Vc8Nf3J"
NEW = {"contactId": ACME, "accountId": ACCOUNT, "location": [10.2, 56.1]}


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def sandbox_settings(request: pytest.FixtureRequest) -> SandboxSettings:
    return getattr(request, "param", SandboxSettings(admin=True))


def get(http: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
    return http.get(f"/previsto{path}", auth=kwargs.pop("auth", FULL), **kwargs)


def post(http: httpx.Client, body: Any, **kwargs: Any) -> httpx.Response:
    return http.post("/previsto/assignments", json=body, auth=kwargs.pop("auth", FULL), **kwargs)


def assert_error(response: httpx.Response, status: int, param: str | None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == ("api_error" if status >= 500 else "invalid_request_error")
    assert body.get("param") == param
    assert set(body) <= {"type", "message", "param"}


# -- the documented shapes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["assignment.json", "assignment_reference.json"])
@pytest.mark.parametrize(
    "sandbox_settings", [SandboxSettings(admin=True, seed=False)], indirect=True
)
def test_the_docs_example_assignment_is_served_as_the_docs_show_it(
    http: httpx.Client, name: str
) -> None:
    """api-contract.md, Previsto — Assignment [doc]: `asgmt-`/`acct-`/`agrmt-` ids, `address` an
    object, `plan.executionTime` local without offset or seconds (`2017-05-31T08:05`). The
    docs' own example goes in through the admin API and comes back as it went in, plus the
    emulator's read-only `timestamp` [model] and the newer pages' fields it leaves out."""
    documented = example(name)
    response = http.post("/_sandbox/previsto/assignments", json={"assignments": [documented]})
    assert response.status_code == 201, response.text
    served = get(http, f"/assignments/{documented['id']}").json()
    extras = {"timestamp", "contactName", "handledDate", "address", "deliveryAddress"}
    assert {k: v for k, v in served.items() if k in documented} == documented
    assert set(served) - set(documented) <= extras
    assert served["contactName"] is None  # the example's contact does not exist here


def test_the_seeded_assignments_read_like_the_docs(http: httpx.Client) -> None:
    """api-contract.md, Previsto — Assignment [doc]: the demo data has the documented forms."""
    for assignment in get(http, "/assignments").json():
        assert len(assignment["plan"]["executionTime"]) == len("2017-05-31T08:05")
        assert assignment["accountId"].startswith("acct-")
        assert all(t["agreementId"].startswith("agrmt-") for t in assignment["tasks"])
        assert set(assignment["address"]) == {
            "street", "apartment", "postalCode", "city", "countryCode"
        }


@pytest.mark.parametrize(
    ("value", "stored"),
    [("2027-05-31T08:05", "2027-05-31T08:05"), ("2027-05-31T08:05:00", "2027-05-31T08:05")],
)
def test_an_execution_time_is_kept_local_to_the_minute(
    http: httpx.Client, value: str, stored: str
) -> None:
    """api-contract.md, Previsto — Assignment [doc]: `plan.executionTime` is a local date-time
    without offset or seconds; zero seconds are accepted and dropped."""
    created = post(http, {**NEW, "plan": {"executionTime": value}})
    assert created.status_code == 200, created.text
    assert created.json()["plan"]["executionTime"] == stored


@pytest.mark.parametrize(
    "value", ["2027-05-31T08:05Z", "2027-05-31T08:05:00+02:00", "2027-05-31T08:05:30",
              "2027-05-31", "2027-13-01T08:05"]
)
def test_an_execution_time_with_an_offset_or_seconds_is_400(
    http: httpx.Client, value: str
) -> None:
    """api-contract.md, Previsto — Assignment [doc]: local time, no offset, no seconds."""
    response = post(http, {**NEW, "plan": {"executionTime": value}})
    assert_error(response, 400, "plan.executionTime")


# -- create and delete ---------------------------------------------------------------------------


def test_an_assignment_created_by_hand_is_listed_with_its_contacts_name(
    http: httpx.Client,
) -> None:
    """api-contract.md, Previsto — Resources: assignments can be created by hand
    (`POST /assignments`); `contactName` is resolved from the contact when not sent [doc]."""
    response = post(
        http,
        {**NEW, "metadata": {"crew": "north"}, "address": {"street": "Havnegade 1"},
         "plan": {"executionTime": "2027-06-01T07:30", "accountIds": [ACCOUNT]},
         "tasks": [{"description": "Windows", "amount": 450, "duration": 60}]},
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["id"].startswith("asgmt-") and len(created["id"]) == len("asgmt-") + 13
    assert created["contactName"] == "Acme Corp"
    assert created["meta"] == {"crew": "north"}
    assert (created["status"], created["action"]) == ("None", "None")
    assert created["address"]["street"] == "Havnegade 1" and created["address"]["city"] is None
    listed = get(http, "/assignments", params={"meta.crew": "north"}).json()
    assert listed == [created]


@pytest.mark.parametrize("missing", ["contactId", "accountId", "location"])
def test_a_create_without_a_required_property_is_400_as_the_docs_word_it(
    http: httpx.Client, missing: str
) -> None:
    """api-contract.md, Previsto — Errors [doc]: the docs' example error is
    `'name' must be specified.` with `param`; the docs mark these three required."""
    response = post(http, {k: v for k, v in NEW.items() if k != missing})
    assert_error(response, 400, missing)
    assert response.json()["message"] == f"'{missing}' must be specified."
    assert get(http, "/assignments").headers["x-total-count"] == "5"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({**NEW, "id": "asgmt-Abcdefghijk12"}, "id"),
        ({**NEW, "status": "Invoiced"}, "status"),
        ({**NEW, "createdDate": "2027-01-01T00:00:00.000Z"}, "createdDate"),
        ({**NEW, "colour": "red"}, "colour"),
        ({**NEW, "contactId": "cont-nobody"}, "contactId"),
        ({**NEW, "payingContactId": "cont-nobody"}, "payingContactId"),
        ({**NEW, "accountId": "acc-1001"}, "accountId"),
        ({**NEW, "meta": {"n": 1}}, "meta[n]"),
        ({**NEW, "meta": {}, "metadata": {}}, "metadata"),
    ],
)
def test_a_create_with_a_bad_property_is_400_and_stores_nothing(
    http: httpx.Client, body: dict[str, Any], param: str
) -> None:
    """api-contract.md, Previsto — Errors [doc]: 400 `invalid_request_error` naming `param`."""
    assert_error(post(http, body), 400, param)
    assert get(http, "/assignments").headers["x-total-count"] == "5"


def test_a_delete_answers_an_empty_body_and_the_assignment_is_gone(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    """api-contract.md, Previsto — Errors: "DELETE → empty body" [doc]; assignments can be
    deleted (`DELETE /assignments/{id}`)."""
    created = post(http, NEW).json()
    response = http.delete(f"/previsto/assignments/{created['id']}", auth=FULL)
    assert response.status_code == 200
    assert response.content == b""
    assert_error(get(http, f"/assignments/{created['id']}"), 404, "id")
    assert_error(http.delete(f"/previsto/assignments/{created['id']}", auth=FULL), 404, "id")
    assert sandbox.store.get("previsto.assignments", created["id"]) is None


def test_an_invoiced_assignment_cannot_be_deleted(http: httpx.Client) -> None:
    """api-contract.md, Previsto — Errors: 402 "valid but failed" [doc]."""
    assert_error(http.delete(f"/previsto/assignments/{INVOICED}", auth=FULL), 402, "id")
    assert get(http, f"/assignments/{INVOICED}").status_code == 200


def test_the_read_only_key_can_neither_create_nor_delete(http: httpx.Client) -> None:
    """api-contract.md, Previsto — Auth: a key without rights → 403 [doc]."""
    assert post(http, NEW, auth=READ_ONLY).status_code == 403
    response = http.delete(f"/previsto/assignments/{INVOICED}", auth=READ_ONLY)
    assert response.status_code == 403
    assert get(http, "/assignments").headers["x-total-count"] == "5"


# -- the account ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [FULL, READ_ONLY])
def test_the_account_is_the_keys_account(http: httpx.Client, key: tuple[str, str]) -> None:
    """api-contract.md, Previsto — Resources: `GET /account` [doc: the seed's auth example]
    answers with the key's account, whose id the assignments name."""
    response = get(http, "/account", auth=key)
    assert response.status_code == 200
    account = response.json()
    assert account["id"] == ACCOUNT
    assert {a["accountId"] for a in get(http, "/assignments").json()} == {ACCOUNT}


def test_the_account_needs_a_key(http: httpx.Client) -> None:
    """api-contract.md, Previsto — Auth: a bad key → 401 [doc]."""
    assert http.get("/previsto/account").status_code == 401


# -- page size -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["101", "1000"])
def test_by_default_a_page_is_at_most_100(http: httpx.Client, size: str) -> None:
    """api-contract.md, Previsto — Pagination: the seed says at most 100 [doc]; the emulator's
    maximum defaults to it, and a larger `size` is 400 `invalid_request_error`, `param: size`."""
    assert_error(get(http, "/assignments", params={"size": size}), 400, "size")
    assert get(http, "/assignments", params={"size": "100"}).status_code == 200


@pytest.mark.parametrize(
    "sandbox_settings", [SandboxSettings(admin=True, previsto_max_page_size=1000)], indirect=True
)
def test_the_maximum_is_a_setting_up_to_the_newer_pages_1000(http: httpx.Client) -> None:
    """api-contract.md, Previsto — Pagination: the newer developer pages allow 1000 [doc]."""
    http.post("/_sandbox/previsto/assignments", json={"assignments": [{}] * 1000})
    page = get(http, "/assignments", params={"size": "1000"})
    assert len(page.json()) == 1000
    assert page.headers["x-total-count"] == "1005"
    assert_error(get(http, "/assignments", params={"size": "1001"}), 400, "size")

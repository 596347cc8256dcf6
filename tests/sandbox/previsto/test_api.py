"""The Previsto emulator over real HTTP: every documented behaviour, as a client observes it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.faults import Fault
from reconciler.sandbox.server import running

FULL = ("sk_sandbox", "")
READ_ONLY = ("sk_sandbox_readonly", "")
CHALLENGE = 'Basic realm="Previsto"'
SEEDED_ASSIGNMENTS = [
    "asgmt-klJ23j4L23j43",
    "asgmt-Q8n2Lm4Rt7Vx1",
    "asgmt-Zp3Kw9Hs2Yb6D",
    "asgmt-Mx7Tq1Vc8Nf3J",
    "asgmt-Gh5Rj2Lp6Wd9K",
]
ASSIGNMENT_FIELDS = {
    "id", "createdDate", "timestamp", "contactId", "contactName", "payingContactId", "accountId",
    "action", "status", "remoteOrderId", "handledDate", "address", "deliveryAddress", "location",
    "plan", "tasks", "meta",
}
FIRST = "asgmt-klJ23j4L23j43"
ROUTED = "asgmt-Q8n2Lm4Rt7Vx1"
INVOICED = "asgmt-Mx7Tq1Vc8Nf3J"


class Clock:
    """A clock the test moves by hand (the emulator reads `context.clock`)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox_settings(request: pytest.FixtureRequest) -> SandboxSettings:
    # Tests pass their own settings with indirect parametrization (e.g. a low rate limit).
    return getattr(request, "param", SandboxSettings(admin=True))


def limited(requests_per_minute: int) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        "sandbox_settings",
        [SandboxSettings(admin=True, previsto_requests_per_minute=requests_per_minute)],
        indirect=True,
    )


@pytest.fixture
def server_clock(sandbox: Sandbox) -> Clock:
    fake = Clock()
    sandbox.context.clock = fake
    return fake


def get(http: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
    return http.get(f"/previsto{path}", auth=kwargs.pop("auth", FULL), **kwargs)


def put(http: httpx.Client, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    return http.put(f"/previsto{path}", json=body, auth=kwargs.pop("auth", FULL), **kwargs)


def ids(response: httpx.Response) -> list[str]:
    return [item["id"] for item in response.json()]


def create_assignments(http: httpx.Client, assignments: list[dict[str, Any]]) -> list[Any]:
    response = http.post("/_sandbox/previsto/assignments", json={"assignments": assignments})
    assert response.status_code == 201, response.text
    created: list[Any] = response.json()["assignments"]
    return created


def assert_error(response: httpx.Response, status: int, param: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["type"] == ("api_error" if status >= 500 else "invalid_request_error")
    assert isinstance(body["message"], str) and body["message"]
    assert body.get("param") == param
    assert set(body) <= {"type", "message", "param"}


# -- authentication ------------------------------------------------------------------------------


def test_the_full_key_reads_the_seeded_assignments(http: httpx.Client) -> None:
    """api-contract.md, The sandbox — Previsto: key `sk_sandbox`; Previsto — auth: HTTP Basic, the
    key as username, an empty password."""
    response = get(http, "/assignments")
    assert response.status_code == 200
    assert ids(response) == SEEDED_ASSIGNMENTS


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer sk_sandbox",
        "Basic not-base64!",
        "Basic " + "c2tfc2FuZGJveA==",  # "sk_sandbox" without the colon
        "Basic " + "c2tfc2FuZGJveDpzZWNyZXQ=",  # "sk_sandbox:secret": the password must be empty
        "Basic " + "c2tfbGl2ZV9vdGhlcjo=",  # "sk_live_other:": unknown key
        "Basic " + "//79",  # not UTF-8
    ],
    ids=["missing", "bearer", "not-base64", "no-colon", "password", "unknown-key", "not-utf8"],
)
def test_a_missing_or_bad_key_is_401_with_a_basic_challenge(
    http: httpx.Client, authorization: str | None
) -> None:
    """api-contract.md, Previsto — auth: HTTP Basic, the key as username, an empty password; a bad
    key → 401."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = http.get("/previsto/assignments", headers=headers)
    assert_error(response, 401)
    assert response.headers["www-authenticate"] == CHALLENGE


def test_the_read_only_key_reads_lists_and_objects(http: httpx.Client) -> None:
    """api-contract.md, Previsto — [model] GET /assignments, GET and PUT /assignments/{id} (partial
    update)."""
    assert get(http, "/assignments", auth=READ_ONLY).status_code == 200
    assert get(http, f"/assignments/{FIRST}", auth=READ_ONLY).json()["id"] == FIRST
    assert get(http, "/contacts", auth=READ_ONLY).status_code == 200


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH"])
def test_the_read_only_key_cannot_write(http: httpx.Client, method: str) -> None:
    """api-contract.md, Previsto — a key without rights → 403."""
    response = http.request(
        method, f"/previsto/assignments/{ROUTED}", json={"meta": {"x": "y"}}, auth=READ_ONLY
    )
    assert_error(response, 403)
    assert "read-only" in response.json()["message"]
    assert get(http, f"/assignments/{ROUTED}").json()["meta"] == {"route": "R7"}


# -- routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/assignments", "GET, HEAD, POST"),
        ("PATCH", f"/assignments/{FIRST}", "DELETE, GET, HEAD, PUT"),
        ("POST", "/contacts", "GET, HEAD"),
        ("DELETE", "/contacts/cont-242342", "GET, HEAD, PUT"),
        ("PATCH", "/contacts/cont-242342", "GET, HEAD, PUT"),
    ],
)
def test_an_unsupported_method_is_405_with_allow(
    http: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = http.request(method, f"/previsto{path}", json={}, auth=FULL)
    assert_error(response, 405)
    assert sorted(response.headers["allow"].split(", ")) == sorted(allow.split(", "))


@pytest.mark.parametrize("path", ["/nothing", "/assignments/", "/assignments/a/b"])
def test_an_unknown_path_is_404_in_previstos_shape(http: httpx.Client, path: str) -> None:
    """api-contract.md, Previsto — codes 400, 401, 402 (valid but failed), 403, 404, 429, 5xx."""
    assert_error(get(http, path), 404)


def test_an_unknown_path_without_a_key_is_401(http: httpx.Client) -> None:
    assert_error(http.get("/previsto/nothing"), 401)


# -- rate limit ----------------------------------------------------------------------------------


@limited(3)
def test_the_request_over_the_limit_is_429_without_retry_after(
    http: httpx.Client, server_clock: Clock
) -> None:
    """api-contract.md, Previsto — rate limit: 120 requests a minute per key → 429, a brief message;
    [model] no `Retry-After`: the client paces itself and waits the window out."""
    for _ in range(3):
        assert get(http, "/assignments").status_code == 200
    response = get(http, "/assignments")
    assert_error(response, 429)
    assert response.json()["message"] == (
        "Too many requests: the limit is 3 requests per minute per API key."
    )
    assert "retry-after" not in response.headers


@limited(3)
def test_the_window_slides_and_refused_requests_do_not_count(
    http: httpx.Client, server_clock: Clock
) -> None:
    """api-contract.md, Previsto — rate limit: 120 requests a minute per key → 429, a brief
    message."""
    start = server_clock.now
    for offset in (0, 1, 2):
        server_clock.now = start + offset
        assert get(http, "/contacts").status_code == 200
    server_clock.now = start + 59
    assert get(http, "/contacts").status_code == 429
    # The request at +0 leaves the window; the refused one never entered.
    server_clock.now = start + 60
    assert get(http, "/contacts").status_code == 200
    assert get(http, "/contacts").status_code == 429
    server_clock.now = start + 61  # the request at +1 leaves
    assert get(http, "/contacts").status_code == 200


@limited(2)
def test_the_limit_is_per_key(http: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Previsto — rate limit: 120 requests a minute per key → 429, a brief
    message."""
    for _ in range(2):
        assert get(http, "/assignments").status_code == 200
    assert get(http, "/assignments").status_code == 429
    assert get(http, "/assignments", auth=READ_ONLY).status_code == 200


@limited(2)
def test_requests_with_a_bad_key_count_against_no_key(
    http: httpx.Client, server_clock: Clock
) -> None:
    for _ in range(5):
        assert http.get("/previsto/assignments", auth=("sk_unknown", "")).status_code == 401
        assert http.get("/previsto/assignments").status_code == 401
    assert get(http, "/assignments").status_code == 200
    assert get(http, "/assignments").status_code == 200
    assert get(http, "/assignments").status_code == 429
    # Authentication comes first: a bad key is still 401 while the good key is limited.
    assert http.get("/previsto/assignments", auth=("sk_unknown", "")).status_code == 401


@limited(2)
def test_every_accepted_request_counts_even_errors_and_writes(
    http: httpx.Client, server_clock: Clock
) -> None:
    assert get(http, "/nothing").status_code == 404
    assert put(http, f"/assignments/{FIRST}", {"bogus": 1}).status_code == 400
    assert get(http, "/assignments").status_code == 429


@limited(1)
def test_admin_routes_are_not_limited_and_can_reset_the_windows(
    http: httpx.Client, server_clock: Clock
) -> None:
    assert get(http, "/assignments").status_code == 200
    assert get(http, "/assignments").status_code == 429
    for _ in range(3):
        create_assignments(http, [{}])
    assert http.delete("/_sandbox/previsto/rate-limit").status_code == 204
    assert get(http, "/assignments").json()[-1]["meta"] == {}


# -- lists: pagination ---------------------------------------------------------------------------


def test_a_list_is_a_bare_array_with_total_count_and_no_link_on_one_page(
    http: httpx.Client,
) -> None:
    """api-contract.md, Previsto — a list is a bare JSON array, empty past the last page,
    `X-Total-Count`."""
    response = get(http, "/assignments")
    assert isinstance(response.json(), list)
    assert response.headers["x-total-count"] == "5"
    assert "link" not in response.headers
    assert set(response.json()[0]) == ASSIGNMENT_FIELDS


def test_pages_are_zero_based_with_a_next_link_until_the_last(
    http: httpx.Client, sandbox_url: str
) -> None:
    """api-contract.md, Previsto — pages: `page` zero-based, `size` default 20; [model] a `Link`
    (rel="next") header."""
    create_assignments(http, [{"meta": {"n": str(n)}} for n in range(45)])
    seen: list[str] = []
    for page, expected in enumerate([20, 20, 10]):
        response = get(http, "/assignments", params={"page": page})
        assert len(response.json()) == expected
        assert response.headers["x-total-count"] == "50"
        seen += ids(response)
        if page < 2:
            assert response.headers["link"] == (
                f'<{sandbox_url}/previsto/assignments?page={page + 1}&size=20>; rel="next"'
            )
        else:
            assert "link" not in response.headers
    assert len(set(seen)) == 50
    assert seen[:5] == SEEDED_ASSIGNMENTS


def test_past_the_last_page_the_list_is_empty(http: httpx.Client) -> None:
    """api-contract.md, Previsto — a list is a bare JSON array, empty past the last page,
    `X-Total-Count`."""
    response = get(http, "/assignments", params={"page": 1, "size": 5})
    assert response.json() == []
    assert response.headers["x-total-count"] == "5"
    assert "link" not in response.headers
    assert get(http, "/assignments", params={"page": 2147483647, "size": 100}).json() == []


def test_the_next_link_keeps_the_filters_and_sort(http: httpx.Client, sandbox_url: str) -> None:
    """api-contract.md, Previsto — [model] a `Link` (rel="next") header."""
    response = get(
        http, "/assignments",
        params=[("contactId", "cont-242342"), ("sort", "timestamp,desc"), ("size", "1")],
    )
    assert response.headers["x-total-count"] == "2"
    assert response.headers["link"] == (
        f"<{sandbox_url}/previsto/assignments?contactId=cont-242342&sort=timestamp,desc"
        f'&page=1&size=1>; rel="next"'
    )
    following = http.get(response.links["next"]["url"], auth=FULL)
    assert len(following.json()) == 1
    assert "link" not in following.headers
    assert set(ids(response) + ids(following)) == {FIRST, ROUTED}


def test_size_bounds_are_1_and_100(http: httpx.Client) -> None:
    """api-contract.md, Previsto — pages: `page` zero-based, `size` default 20."""
    create_assignments(http, [{} for _ in range(120)])
    assert len(get(http, "/assignments", params={"size": 1}).json()) == 1
    assert len(get(http, "/assignments", params={"size": 100}).json()) == 100
    assert len(get(http, "/assignments").json()) == 20


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"size": "0"}, "size"),
        ({"size": "101"}, "size"),
        ({"size": "-1"}, "size"),
        ({"size": "ten"}, "size"),
        ({"size": "2.5"}, "size"),
        ({"size": ""}, "size"),
        ({"page": "-1"}, "page"),
        ({"page": "first"}, "page"),
        ({"page": "2147483648"}, "page"),
        ({"page": "1e3"}, "page"),
    ],
)
def test_page_and_size_out_of_range_are_400_naming_the_parameter(
    http: httpx.Client, params: dict[str, str], param: str
) -> None:
    """api-contract.md, Previsto — size ≤ 100 (seed) or 1000 (newer pages), a setting; beyond → 400
    `size`."""
    assert_error(get(http, "/assignments", params=params), 400, param)


def test_a_repeated_parameter_is_400(http: httpx.Client) -> None:
    """api-contract.md, Previsto — filters: any property as an equality query parameter."""
    response = get(http, "/assignments", params=[("status", "None"), ("status", "Invoiced")])
    assert_error(response, 400, "status")


# -- lists: filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "Invoiced"}, [INVOICED]),
        ({"contactId": "cont-981120"}, ["asgmt-Zp3Kw9Hs2Yb6D", INVOICED]),
        ({"contactId": "cont-981120", "status": "None"}, ["asgmt-Zp3Kw9Hs2Yb6D"]),
        ({"meta.route": "R7"}, [ROUTED]),
        ({"meta.invoice_ref": "INV-5521"}, ["asgmt-Zp3Kw9Hs2Yb6D"]),
        ({"meta.route": "R8"}, []),
        ({"plan.executionTime": "2027-01-28T08:30"}, ["asgmt-Gh5Rj2Lp6Wd9K"]),
        ({"address.city": "København K"}, ["asgmt-Zp3Kw9Hs2Yb6D", INVOICED]),
        ({"id": FIRST}, [FIRST]),
        ({"action": "Completed"}, [INVOICED]),
        ({"remoteOrderId": ""}, [s for s in SEEDED_ASSIGNMENTS if s != INVOICED]),
        ({"meta.route": ""}, [s for s in SEEDED_ASSIGNMENTS if s != ROUTED]),
    ],
)
def test_filters_are_equality_on_properties_and_metadata(
    http: httpx.Client, params: dict[str, str], expected: list[str]
) -> None:
    """api-contract.md, Previsto — action None/Skipped/Completed; status
    None/AppendedToOrder/Invoiced/...; filters: any property as an equality query parameter."""
    response = get(http, "/assignments", params=params)
    assert ids(response) == expected
    assert response.headers["x-total-count"] == str(len(expected))


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"colour": "red"}, "colour"),
        ({"plan": "x"}, "plan"),
        ({"tasks": "x"}, "tasks"),
        ({"meta": "x"}, "meta"),
        ({"plan.accountIds": "acct-Sbx7Kq2Lm9Pw"}, "plan.accountIds"),
        ({"address": "Aalborg"}, "address"),
        ({"meta.": "x"}, "meta."),
        ({"meta.a[b]": "x"}, "meta.a[b]"),
        ({"meta." + "k" * 41: "x"}, "meta." + "k" * 41),
    ],
)
def test_filtering_on_an_unknown_or_non_scalar_property_is_400(
    http: httpx.Client, params: dict[str, str], param: str
) -> None:
    """api-contract.md, Previsto — filters: any property as an equality query parameter."""
    assert_error(get(http, "/assignments", params=params), 400, param)


def test_metadata_filters_match_non_ascii_values(http: httpx.Client) -> None:
    """api-contract.md, Previsto — [model] `meta.<key>=<value>` filters on a metadata key."""
    put(http, f"/assignments/{FIRST}", {"meta": {"site": "Århus Ø"}})
    assert ids(get(http, "/assignments", params={"meta.site": "Århus Ø"})) == [FIRST]


def test_contacts_and_agreements_filter_by_their_own_properties(http: httpx.Client) -> None:
    """api-contract.md, Previsto — [model] the same paths for /contacts and /agreements."""
    assert ids(get(http, "/contacts", params={"name": "Cedar Library"})) == ["cont-550071"]
    agreements = get(http, "/agreements", params={"contactId": "cont-981120"})
    assert [a["contactId"] for a in agreements.json()] == ["cont-981120"]
    assert [a["interval"] for a in get(http, "/agreements", params={"interval": 8}).json()] == [8]
    assert_error(get(http, "/agreements", params={"interval": "weekly"}), 400, "interval")
    assert_error(get(http, "/contacts", params={"contactId": "x"}), 400, "contactId")


# -- lists: sorting ------------------------------------------------------------------------------


def test_sort_by_a_property_ascending_and_descending(http: httpx.Client) -> None:
    """api-contract.md, Previsto — sorting: `sort=<property>,asc|desc`."""
    by_time = [
        "asgmt-klJ23j4L23j43",  # 2027-01-14
        "asgmt-Zp3Kw9Hs2Yb6D",  # 2027-01-20
        "asgmt-Gh5Rj2Lp6Wd9K",  # 2027-01-28
        "asgmt-Q8n2Lm4Rt7Vx1",  # 2027-02-11
        "asgmt-Mx7Tq1Vc8Nf3J",  # 2027-03-03
    ]
    assert ids(get(http, "/assignments", params={"sort": "plan.executionTime,asc"})) == by_time
    assert ids(get(http, "/assignments", params={"sort": "plan.executionTime"})) == by_time
    descending = get(http, "/assignments", params={"sort": "plan.executionTime,DESC"})
    assert ids(descending) == by_time[::-1]


def test_sort_keys_repeat_and_ties_keep_creation_order(http: httpx.Client) -> None:
    """api-contract.md, Previsto — sorting: `sort=<property>,asc|desc`."""
    response = get(
        http, "/assignments", params=[("sort", "contactId,desc"), ("sort", "status,asc")]
    )
    assert ids(response) == [
        "asgmt-Mx7Tq1Vc8Nf3J", "asgmt-Zp3Kw9Hs2Yb6D",  # cont-981120: Invoiced before None
        "asgmt-Gh5Rj2Lp6Wd9K",  # cont-550071
        "asgmt-klJ23j4L23j43", "asgmt-Q8n2Lm4Rt7Vx1",  # cont-242342: tie, creation order
    ]


def test_sort_by_timestamp_desc_puts_the_latest_execution_first(
    http: httpx.Client, server_clock: Clock
) -> None:
    """api-contract.md, Previsto — `timestamp` [doc]: a deprecated alias of
    `plan.executionTime`, not a last-change stamp: a write does not move an assignment up."""
    server_clock.now += 5
    put(http, "/assignments/asgmt-Gh5Rj2Lp6Wd9K", {"meta": {"touched": "yes"}})
    listed = get(http, "/assignments", params={"sort": "timestamp,desc"}).json()
    times = [item["plan"]["executionTime"] for item in listed]
    assert times == sorted(times, reverse=True)
    assert [item["timestamp"] for item in listed] == times


def test_sort_by_a_metadata_key(http: httpx.Client) -> None:
    """api-contract.md, Previsto — sorting: `sort=<property>,asc|desc`."""
    put(http, f"/assignments/{FIRST}", {"meta": {"rank": "b"}})
    put(http, "/assignments/asgmt-Gh5Rj2Lp6Wd9K", {"meta": {"rank": "a"}})
    ranked = ids(get(http, "/assignments", params={"sort": "meta.rank,desc"}))
    assert ranked[:2] == [FIRST, "asgmt-Gh5Rj2Lp6Wd9K"]


@pytest.mark.parametrize(
    "sort", ["colour,asc", "plan,asc", "meta", "", ",desc", "timestamp,sideways", "meta.a]"]
)
def test_a_bad_sort_is_400_with_param_sort(http: httpx.Client, sort: str) -> None:
    """api-contract.md, Previsto — sorting: `sort=<property>,asc|desc`."""
    assert_error(get(http, "/assignments", params={"sort": sort}), 400, "sort")


# -- retrieve ------------------------------------------------------------------------------------


def test_an_assignment_has_every_contract_field(http: httpx.Client) -> None:
    """api-contract.md, Previsto — assignment fields: id, createdDate, meta, contactId, ...,
    deliveryAddress; id prefixes `asgmt-`, `acct-`, `agrmt-`."""
    assignment = get(http, f"/assignments/{INVOICED}").json()
    assert set(assignment) == ASSIGNMENT_FIELDS
    assert assignment["contactId"] == "cont-981120"
    assert assignment["status"] == "Invoiced"
    assert assignment["plan"]["executionTime"] == "2027-03-03T10:00"  # local, to the minute
    assert assignment["handledDate"] == "2027-03-03T11:05"
    assert assignment["accountId"].startswith("acct-")
    assert assignment["tasks"][0]["agreementId"].startswith("agrmt-")
    assert assignment["contactName"] == "Borealis Dental"
    assert assignment["address"] == {
        "street": "Nørregade 4", "apartment": None, "postalCode": "1165", "city": "København K",
        "countryCode": "DK",
    }
    assert assignment["deliveryAddress"] is None
    assert set(assignment["plan"]) == {
        "executionTime", "indicativeDate", "accountIds", "indicativeDateType"
    }
    assert set(assignment["tasks"][0]) == {
        "agreementId", "description", "amount", "duration", "workType"
    }
    assert len(assignment["location"]) == 2
    assert assignment["createdDate"].endswith("Z")
    assert assignment["timestamp"] == assignment["plan"]["executionTime"]  # a local time


def test_the_seed_has_the_documented_metadata(http: httpx.Client) -> None:
    """api-contract.md, The sandbox — seed data: unmanaged objects and Previsto assignments."""
    metas = {a["id"]: a["meta"] for a in get(http, "/assignments").json()}
    assert metas == {
        "asgmt-klJ23j4L23j43": {},
        "asgmt-Q8n2Lm4Rt7Vx1": {"route": "R7"},
        "asgmt-Zp3Kw9Hs2Yb6D": {"invoice_ref": "INV-5521"},
        "asgmt-Mx7Tq1Vc8Nf3J": {},
        "asgmt-Gh5Rj2Lp6Wd9K": {},
    }
    contacts = {c["id"]: c["name"] for c in get(http, "/contacts").json()}
    assert contacts == {
        "cont-242342": "Acme Corp", "cont-981120": "Borealis Dental",
        "cont-550071": "Cedar Library",
    }
    assert sorted(a["contactId"] for a in get(http, "/agreements").json()) == sorted(contacts)


@pytest.mark.parametrize(
    ("path", "name"),
    [("/assignments/asgmt-0000000000000", "assignment"), ("/contacts/cont-1", "contact"),
     ("/agreements/agrmt-1", "agreement")],
)
def test_an_unknown_id_is_404_with_param_id(http: httpx.Client, path: str, name: str) -> None:
    """api-contract.md, Previsto — [model] GET /assignments, GET and PUT /assignments/{id} (partial
    update)."""
    response = get(http, path)
    assert_error(response, 404, "id")
    assert response.json()["message"].startswith(f"No such {name}")
    assert_error(put(http, path, {"meta": {}}), 404, "id")


def test_unknown_query_parameters_on_one_object_are_400(http: httpx.Client) -> None:
    assert_error(get(http, f"/assignments/{FIRST}", params={"expand": "tasks"}), 400, "expand")


# -- update: metadata ----------------------------------------------------------------------------


def test_metadata_keys_merge_into_the_existing_ones(http: httpx.Client) -> None:
    """api-contract.md, Previsto — [model] metadata keys merge."""
    response = put(http, f"/assignments/{ROUTED}", {"meta": {"reconciler_key": "visit-1"}})
    assert response.status_code == 200
    assert set(response.json()) == ASSIGNMENT_FIELDS
    assert response.json()["meta"] == {"route": "R7", "reconciler_key": "visit-1"}
    assert get(http, f"/assignments/{ROUTED}").json()["meta"] == {
        "route": "R7", "reconciler_key": "visit-1"
    }


@pytest.mark.parametrize("removal", [None, ""])
def test_a_key_sent_with_null_or_empty_is_removed(http: httpx.Client, removal: Any) -> None:
    """api-contract.md, Previsto — [model] a key sent with `null` or `""` is removed."""
    put(http, f"/assignments/{ROUTED}", {"meta": {"a": "1", "b": "2"}})
    response = put(http, f"/assignments/{ROUTED}", {"meta": {"a": removal, "route": removal}})
    assert response.json()["meta"] == {"b": "2"}


@pytest.mark.parametrize(
    "sandbox_settings", [SandboxSettings(admin=True, previsto_meta_updates="replace")],
    indirect=True,
)
def test_in_replacing_mode_the_passed_meta_becomes_the_metadata(http: httpx.Client) -> None:
    """api-contract.md, Previsto — Metadata: [model] the emulator also has a replacing mode (the
    docs read literally: a passed parameter becomes the new value); a key sent as `null` or `""`
    is not stored."""
    response = put(http, f"/assignments/{ROUTED}", {"meta": {"a": "1", "b": None, "c": ""}})
    assert response.status_code == 200, response.text
    assert response.json()["meta"] == {"a": "1"}  # the seeded `route` key is gone
    assert get(http, f"/assignments/{ROUTED}").json()["meta"] == {"a": "1"}


def test_metadata_is_the_alias_of_meta(http: httpx.Client) -> None:
    """api-contract.md, Previsto — metadata returned as `meta`; [model] an update takes `meta` or
    `metadata`."""
    response = put(http, f"/assignments/{FIRST}", {"metadata": {"k": "v"}})
    assert response.status_code == 200
    assert response.json()["meta"] == {"k": "v"}
    assert "metadata" not in response.json()


def test_meta_and_metadata_together_are_400(http: httpx.Client) -> None:
    """api-contract.md, Previsto — metadata returned as `meta`; [model] an update takes `meta` or
    `metadata`."""
    response = put(http, f"/assignments/{FIRST}", {"meta": {"a": "1"}, "metadata": {"b": "2"}})
    assert_error(response, 400, "metadata")
    assert get(http, f"/assignments/{FIRST}").json()["meta"] == {}


@pytest.mark.parametrize("value", [5, 1.5, True, {"nested": "x"}, ["x"]])
def test_metadata_values_must_be_strings(http: httpx.Client, value: Any) -> None:
    response = put(http, f"/assignments/{ROUTED}", {"meta": {"ok": "fine", "bad": value}})
    assert_error(response, 400, "meta[bad]")
    assert get(http, f"/assignments/{ROUTED}").json()["meta"] == {"route": "R7"}


def test_metadata_values_under_the_alias_name_the_alias(http: httpx.Client) -> None:
    """api-contract.md, Previsto — metadata returned as `meta`; [model] an update takes `meta` or
    `metadata`."""
    assert_error(put(http, f"/assignments/{FIRST}", {"metadata": {"n": 1}}), 400, "metadata[n]")


@pytest.mark.parametrize("meta", ["a=b", ["a"], 7, None])
def test_meta_must_be_an_object(http: httpx.Client, meta: Any) -> None:
    assert_error(put(http, f"/assignments/{FIRST}", {"meta": meta}), 400, "meta")


def test_twenty_keys_of_forty_characters_with_500_character_values_fit(
    http: httpx.Client,
) -> None:
    """api-contract.md, Previsto — limits: ≤ 20 keys, names ≤ 40 chars, values ≤ 500 chars; more →
    400."""
    meta = {f"{n:02d}".ljust(40, "k"): "v" * 500 for n in range(20)}
    response = put(http, f"/assignments/{FIRST}", {"meta": meta})
    assert response.status_code == 200
    assert response.json()["meta"] == meta


def test_more_than_twenty_keys_after_merging_is_400_naming_the_first_extra_key(
    http: httpx.Client,
) -> None:
    # 20 new keys on top of the existing "route".
    """api-contract.md, Previsto — limits: ≤ 20 keys, names ≤ 40 chars, values ≤ 500 chars; more →
    400."""
    meta: dict[str, str | None] = {f"key{n:02d}": "v" for n in range(20)}
    response = put(http, f"/assignments/{ROUTED}", {"meta": meta})
    assert_error(response, 400, "meta[key19]")
    assert get(http, f"/assignments/{ROUTED}").json()["meta"] == {"route": "R7"}
    # Removing one key in the same update makes room.
    meta["route"] = None
    assert put(http, f"/assignments/{ROUTED}", {"meta": meta}).status_code == 200


@pytest.mark.parametrize(
    ("meta", "param"),
    [
        ({"k" * 41: "v"}, "meta[" + "k" * 41 + "]"),
        ({"": "v"}, "meta[]"),
        ({"a.b": "v"}, "meta[a.b]"),
        ({"a[b]": "v"}, "meta[a[b]]"),
        ({"emoji😀": "v"}, "meta[emoji😀]"),
        ({"long": "v" * 501}, "meta[long]"),
    ],
)
def test_metadata_limits_are_400_naming_the_key_and_store_nothing(
    http: httpx.Client, meta: dict[str, Any], param: str
) -> None:
    """api-contract.md, Previsto — limits: ≤ 20 keys, names ≤ 40 chars, values ≤ 500 chars; more →
    400."""
    response = put(http, f"/assignments/{ROUTED}", {"meta": {"fine": "yes", **meta}})
    assert_error(response, 400, param)
    assert get(http, f"/assignments/{ROUTED}").json()["meta"] == {"route": "R7"}


# -- update: other properties --------------------------------------------------------------------


def test_writable_properties_change_and_the_rest_stay(http: httpx.Client) -> None:
    """api-contract.md, Previsto — [model] GET /assignments, GET and PUT /assignments/{id} (partial
    update); `address` is an object (street, apartment, postalCode, city, countryCode)."""
    before = get(http, f"/assignments/{FIRST}").json()
    body = {
        "action": "Completed",
        "remoteOrderId": "ORD-1",
        "handledDate": "2027-01-14T10:30:00",
        "address": {"street": "Havnegade 1", "postalCode": "8000", "city": "Aarhus C"},
    }
    after = put(http, f"/assignments/{FIRST}", body).json()
    assert after["action"] == "Completed"
    assert after["remoteOrderId"] == "ORD-1"
    assert after["handledDate"] == "2027-01-14T10:30"  # local, to the minute
    assert after["address"] == {
        "street": "Havnegade 1", "apartment": None, "postalCode": "8000", "city": "Aarhus C",
        "countryCode": None,
    }
    unchanged = {k: v for k, v in after.items() if k not in {*body, "timestamp"}}
    assert unchanged == {k: v for k, v in before.items() if k not in {*body, "timestamp"}}
    cleared = put(http, f"/assignments/{FIRST}", {"remoteOrderId": None, "handledDate": None})
    assert cleared.json()["remoteOrderId"] is None and cleared.json()["handledDate"] is None


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"action": "Done"}, "action"),
        ({"action": None}, "action"),
        ({"handledDate": "yesterday"}, "handledDate"),
        ({"handledDate": "2027-01-14T10:30:00Z"}, "handledDate"),  # an offset
        ({"handledDate": "2027-01-14T10:30+02:00"}, "handledDate"),
        ({"handledDate": "2027-01-14T10:30:15"}, "handledDate"),  # finer than minutes
        ({"handledDate": "2027-02-30T10:30"}, "handledDate"),
        ({"remoteOrderId": 123}, "remoteOrderId"),
        ({"remoteOrderId": "x" * 101}, "remoteOrderId"),
        ({"address": ["street"]}, "address"),
        ({"address": "Havnegade 1"}, "address"),
        ({"address": {"town": "Aarhus"}}, "address.town"),
        ({"address": {"countryCode": "Denmark"}}, "address.countryCode"),
        ({"deliveryAddress": {"postalCode": 8000}}, "deliveryAddress.postalCode"),
    ],
)
def test_invalid_values_are_400_naming_the_property(
    http: httpx.Client, body: dict[str, Any], param: str
) -> None:
    """api-contract.md, Previsto — action None/Skipped/Completed; status
    None/AppendedToOrder/Invoiced/...; `address` is an object (street, apartment, postalCode, city,
    countryCode)."""
    assert_error(put(http, f"/assignments/{FIRST}", body), 400, param)


@pytest.mark.parametrize(
    "name",
    ["id", "timestamp", "createdDate", "status", "plan", "tasks", "contactId",
     "payingContactId", "accountId", "location"],
)
def test_read_only_properties_are_400(http: httpx.Client, name: str) -> None:
    """api-contract.md, Previsto — [model] `timestamp`: read-only, the last change."""
    current = get(http, f"/assignments/{FIRST}").json()
    response = put(http, f"/assignments/{FIRST}", {"meta": {"a": "b"}, name: current[name]})
    assert_error(response, 400, name)
    assert "read-only" in response.json()["message"]
    assert get(http, f"/assignments/{FIRST}").json() == current


def test_unknown_properties_are_400(http: httpx.Client) -> None:
    response = put(http, f"/assignments/{FIRST}", {"colour": "red"})
    assert_error(response, 400, "colour")
    assert "unknown parameter" in response.json()["message"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[]", b'"meta"', b'{"meta": NaN}', b'{"meta": {"a": 1e999}}',
     b"\xff\xfe"],
    ids=["malformed", "empty", "array", "string", "nan", "infinity", "not-utf8"],
)
def test_a_body_that_is_not_a_json_object_is_400(http: httpx.Client, content: bytes) -> None:
    response = http.put(
        f"/previsto/assignments/{FIRST}", content=content, auth=FULL,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400)


def test_a_deeply_nested_body_is_400(sandbox: Sandbox) -> None:
    # Straight to the emulator's ASGI app: the shared request recorder in front of it decodes
    # bodies itself and does not survive this one yet (reported).
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=sandbox.emulators["previsto"].app)
        async with httpx.AsyncClient(transport=transport, base_url="http://previsto") as client:
            return await client.put(
                f"/assignments/{FIRST}", content=b"[" * 100_000, auth=FULL,
                headers={"Content-Type": "application/json"},
            )

    assert_error(asyncio.run(send()), 400)


def test_a_body_over_one_mebibyte_is_400(http: httpx.Client) -> None:
    body = {"meta": {"k": "v" * 400}, "remoteOrderId": "x" * (1024 * 1024)}
    assert_error(put(http, f"/assignments/{FIRST}", body), 400)


def test_timestamp_is_the_execution_time_and_no_write_moves_it(
    http: httpx.Client, server_clock: Clock
) -> None:
    """api-contract.md, Previsto — `timestamp` [doc]: a deprecated alias of
    `plan.executionTime` ("Deprecated. Use plan.executionTime instead"), a local execution
    time: it is not a last-change stamp, and a write leaves it as it was."""
    before = get(http, f"/assignments/{ROUTED}").json()
    assert before["timestamp"] == before["plan"]["executionTime"] == "2027-02-11T09:00"
    server_clock.now += 1.5
    changed = put(http, f"/assignments/{ROUTED}", {"meta": {"route": "R8"}}).json()
    assert changed["meta"] == {"route": "R8"}
    assert changed["timestamp"] == before["timestamp"]
    assert get(http, f"/assignments/{ROUTED}").json()["timestamp"] == "2027-02-11T09:00"


def test_an_invoiced_assignment_keeps_its_action_but_takes_metadata(http: httpx.Client) -> None:
    """api-contract.md, Previsto — action None/Skipped/Completed; status
    None/AppendedToOrder/Invoiced/...; codes 400, 401, 402 (valid but failed), 403, 404, 429,
    5xx."""
    response = put(http, f"/assignments/{INVOICED}", {"action": "Skipped"})
    assert_error(response, 402, "action")
    assert_error(put(http, f"/assignments/{INVOICED}", {"handledDate": None}), 402, "handledDate")
    assert put(http, f"/assignments/{INVOICED}", {"action": "Completed"}).status_code == 200
    meta = put(http, f"/assignments/{INVOICED}", {"meta": {"reconciler_key": "k"}})
    assert meta.json()["meta"] == {"reconciler_key": "k"}
    assert meta.json()["action"] == "Completed"


def test_contacts_and_agreements_take_partial_updates(http: httpx.Client) -> None:
    """api-contract.md, Previsto — [model] the same paths for /contacts and /agreements."""
    contact = put(http, "/contacts/cont-242342", {"email": "ops@acme.example", "meta": {"a": "1"}})
    assert contact.status_code == 200
    assert contact.json()["email"] == "ops@acme.example"
    assert contact.json()["name"] == "Acme Corp"
    assert contact.json()["meta"] == {"a": "1"}
    agreement = get(http, "/agreements", params={"contactId": "cont-242342"}).json()[0]
    updated = put(http, f"/agreements/{agreement['id']}", {"interval": 6})
    assert updated.json()["interval"] == 6
    assert updated.json()["description"] == agreement["description"]
    assert_error(put(http, "/contacts/cont-242342", {"email": "not an email"}), 400, "email")
    assert_error(put(http, "/contacts/cont-242342", {"name": ""}), 400, "name")
    assert_error(put(http, f"/agreements/{agreement['id']}", {"interval": 0}), 400, "interval")
    assert_error(put(http, f"/agreements/{agreement['id']}", {"contactId": "x"}), 400,
                 "contactId")


def test_an_unexpected_failure_is_500_in_previstos_shape(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    # A corrupt stored object (meta is not an object) makes the merge fail inside the handler.
    """api-contract.md, Previsto — errors {type: invalid_request_error|api_error, message,
    param}."""
    sandbox.store.insert(
        "previsto.assignments", "asgmt-Corrupt000000", {"id": "asgmt-Corrupt000000", "meta": [1]}
    )
    response = put(http, "/assignments/asgmt-Corrupt000000", {"meta": {"a": "b"}})
    assert_error(response, 500)


# -- persistence and seeding ---------------------------------------------------------------------


def test_a_restart_on_the_same_file_keeps_everything_and_seeds_nothing(tmp_path: Any) -> None:
    """api-contract.md, The sandbox — `--db` is a SQLite file that keeps the state across
    restarts."""
    db = str(tmp_path / "sandbox.db")
    first = create_app(SandboxSettings(db_path=db, admin=True))
    with running(first) as origin, httpx.Client(base_url=origin) as http:
        put(http, f"/assignments/{FIRST}", {"meta": {"reconciler_key": "kept"}})
        create_assignments(http, [{"meta": {"made": "here"}}])
        before = get(http, "/assignments").json()
    first.store.close()
    second = create_app(SandboxSettings(db_path=db))
    with running(second) as origin, httpx.Client(base_url=origin) as http:
        after = get(http, "/assignments")
        assert after.json() == before
        assert after.headers["x-total-count"] == "6"
        assert get(http, f"/assignments/{FIRST}").json()["meta"] == {"reconciler_key": "kept"}
        assert get(http, "/contacts").headers["x-total-count"] == "3"
    second.store.close()


@pytest.mark.parametrize(
    "sandbox_settings", [SandboxSettings(admin=True, seed=False)], indirect=True
)
def test_without_seed_the_organisation_is_empty(http: httpx.Client) -> None:
    for resource in ("assignments", "contacts", "agreements"):
        response = get(http, f"/{resource}")
        assert response.json() == []
        assert response.headers["x-total-count"] == "0"


def test_the_credentials_are_the_documented_keys(sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — Previsto: key `sk_sandbox`."""
    credentials = sandbox.emulators["previsto"].credentials
    assert credentials["api_key"] == "sk_sandbox"
    assert credentials["read_only_api_key"] == "sk_sandbox_readonly"


# -- admin API -----------------------------------------------------------------------------------


def test_admin_creates_assignments_with_defaults(http: httpx.Client, server_clock: Clock) -> None:
    created = create_assignments(
        http,
        [
            {"meta": {"route": "R1"}, "contactId": "cont-242342",
             "plan": {"executionTime": "2027-05-01T09:00"}},
            {"id": "asgmt-Abcdefghijk12", "status": "Invoiced"},
        ],
    )
    first, second = created
    assert first["id"].startswith("asgmt-") and len(first["id"]) == len("asgmt-") + 13
    assert first["id"][6:].isalnum()
    assert first["plan"] == {
        "executionTime": "2027-05-01T09:00", "indicativeDate": None, "accountIds": [],
        "indicativeDateType": "Optimal",
    }
    assert first["contactName"] == "Acme Corp"  # resolved from the contact
    assert first["createdDate"] == "2027-01-15T08:00:00.000Z"
    assert first["timestamp"] == "2027-05-01T09:00"  # the execution time's deprecated alias
    assert (first["action"], first["status"], first["tasks"]) == ("None", "None", [])
    assert second["id"] == "asgmt-Abcdefghijk12" and second["meta"] == {}
    assert ids(get(http, "/assignments"))[-2:] == [first["id"], "asgmt-Abcdefghijk12"]
    assert get(http, "/assignments/asgmt-Abcdefghijk12").json()["status"] == "Invoiced"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"assignments": [{}, {"colour": "red"}]}, 400, "assignments[1].colour"),
        ({"assignments": [{"id": "asgmt-not_an_id"}]}, 400, "assignments[0].id"),
        ({"assignments": [{"accountId": "acc-1001"}]}, 400, "assignments[0].accountId"),
        ({"assignments": [{"plan": {"when": "now"}}]}, 400, "assignments[0].plan.when"),
        ({"assignments": [{"meta": {"n": 1}}]}, 400, "assignments[0].meta[n]"),
        ({"assignments": [{"id": FIRST}]}, 409, "assignments[0].id"),
        ({"assignments": [{"id": "asgmt-Dup0000000000"}, {"id": "asgmt-Dup0000000000"}]}, 409,
         "assignments[1].id"),
        ({"assignments": {}}, 400, "assignments"),
        ({"visits": []}, 400, "visits"),
    ],
)
def test_admin_refuses_bad_objects_and_stores_nothing(
    http: httpx.Client, body: dict[str, Any], status: int, param: str
) -> None:
    response = http.post("/_sandbox/previsto/assignments", json=body)
    assert_error(response, status, param)
    assert get(http, "/assignments").headers["x-total-count"] == "5"


def test_admin_seed_creates_every_resource_at_once(http: httpx.Client) -> None:
    response = http.post(
        "/_sandbox/previsto/seed",
        json={
            "contacts": [{"id": "cont-777", "name": "Dune Bakery"}],
            "agreements": [{"contactId": "cont-777", "interval": 1}],
            "assignments": [{"contactId": "cont-777"}],
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["contacts"][0]["id"] == "cont-777"
    assert created["agreements"][0]["id"].startswith("agrmt-")
    assert created["assignments"][0]["contactName"] == "Dune Bakery"
    assert get(http, "/contacts/cont-777").json()["name"] == "Dune Bakery"
    assert ids(get(http, "/assignments", params={"contactId": "cont-777"})) == [
        created["assignments"][0]["id"]
    ]
    bad = http.post("/_sandbox/previsto/seed", json={"contacts": [{"name": ""}],
                                                     "assignments": [{}]})
    assert_error(bad, 400, "contacts[0].name")
    assert get(http, "/assignments").headers["x-total-count"] == "6"


@pytest.mark.parametrize(
    "sandbox_settings",
    [SandboxSettings(admin=True, previsto_requests_per_minute=10**6)],
    indirect=True,
)
def test_ten_thousand_assignments_seed_and_page_completely(http: httpx.Client) -> None:
    create_assignments(http, [{"meta": {"n": str(n)}} for n in range(10_000)])
    seen = 0
    page = 0
    while True:
        response = get(http, "/assignments", params={"page": page, "size": 100})
        seen += len(response.json())
        page += 1
        if "link" not in response.headers:
            break
    assert seen == 10_005


# -- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "kind"), [(503, "api_error"), (429, "invalid_request_error")])
def test_an_injected_status_answers_previstos_error_and_retry_after(
    http: httpx.Client, sandbox: Sandbox, status: int, kind: str
) -> None:
    """api-contract.md, The sandbox — fault: status storms (429/5xx); Previsto — codes 400, 401, 402
    (valid but failed), 403, 404, 429, 5xx."""
    sandbox.faults.add(
        Fault(kind="status", path="^/previsto/assignments$", status=status, retry_after=2)
    )
    response = get(http, "/assignments")
    assert response.status_code == status
    assert response.headers["retry-after"] == "2"
    assert response.json()["type"] == kind
    assert get(http, "/assignments").status_code == 200


def test_a_dropped_response_still_stores_the_write(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: commit-then-drop (stored, the response lost)."""
    sandbox.faults.add(Fault(kind="drop", path=f"^/previsto/assignments/{FIRST}$", method="PUT"))
    with pytest.raises(httpx.RemoteProtocolError):
        put(http, f"/assignments/{FIRST}", {"meta": {"reconciler_key": "dropped"}})
    assert get(http, f"/assignments/{FIRST}").json()["meta"] == {"reconciler_key": "dropped"}


def test_a_reset_connection_stores_nothing(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: connection reset."""
    sandbox.faults.add(Fault(kind="reset", path=f"^/previsto/assignments/{FIRST}$"))
    with pytest.raises(httpx.TransportError):
        put(http, f"/assignments/{FIRST}", {"meta": {"reconciler_key": "lost"}})
    assert get(http, f"/assignments/{FIRST}").json()["meta"] == {}


def test_a_malformed_body_is_cut_off_json(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: malformed JSON."""
    sandbox.faults.add(Fault(kind="malformed", path="^/previsto/assignments$"))
    response = get(http, "/assignments")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_latency_delays_but_answers(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: latency."""
    sandbox.faults.add(Fault(kind="latency", path="^/previsto/contacts$", seconds=0.2))
    started = time.perf_counter()
    assert get(http, "/contacts").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_churn_puts_a_new_unmanaged_assignment_at_the_head(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    """api-contract.md, The sandbox — fault: a page that changes between two page reads."""
    sandbox.faults.add(Fault(kind="churn", path="^/previsto/assignments$"))
    first_page = get(http, "/assignments", params={"page": 0, "size": 2})
    assert ids(first_page) == SEEDED_ASSIGNMENTS[:2]
    second_page = get(http, "/assignments", params={"page": 1, "size": 2})
    # The list shifted by one: the last of page 0 shows again at the head of page 1.
    assert ids(second_page) == [SEEDED_ASSIGNMENTS[1], SEEDED_ASSIGNMENTS[2]]
    assert second_page.headers["x-total-count"] == "6"
    everything = get(http, "/assignments").json()
    newcomer = everything[0]
    assert newcomer["id"] not in SEEDED_ASSIGNMENTS
    assert newcomer["meta"] == {}
    assert newcomer["createdDate"] < min(a["createdDate"] for a in everything[1:])
    assert ids(get(http, "/assignments", params={"sort": "createdDate,asc"}))[0] == newcomer["id"]


def test_the_request_log_sees_previsto_requests(http: httpx.Client, sandbox: Sandbox) -> None:
    put(http, f"/assignments/{FIRST}", {"meta": {"a": "b"}})
    record = sandbox.requests.snapshot()[-1]
    assert (record.method, record.path, record.status) == (
        "PUT", f"/previsto/assignments/{FIRST}", 200
    )
    assert record.body == {"meta": {"a": "b"}}

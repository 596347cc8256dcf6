"""The Previsto demo organisation: three contacts, one agreement each, five assignments.

The ids are fixed so that the project's examples can select them; one assignment carries a
metadata key someone else set (`route`), one an invoice reference, one is already invoiced.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.previsto.records import (
    AGREEMENTS,
    ASSIGNMENTS,
    CONTACTS,
    Document,
    Resource,
    create,
)
from reconciler.sandbox.store import Store

SEEDED_SETTING = "previsto.seeded"

_CONTACTS: list[dict[str, Any]] = [
    {"id": "cont-242342", "name": "Acme Corp", "email": "facilities@acme.example",
     "phone": "+45 86 12 34 56", "address": "Industrivej 12, 8000 Aarhus C, Denmark"},
    {"id": "cont-981120", "name": "Borealis Dental", "email": "reception@borealis.example",
     "phone": "+45 33 45 67 89", "address": "Nørregade 4, 1165 København K, Denmark"},
    {"id": "cont-550071", "name": "Cedar Library", "email": "library@cedar.example",
     "phone": "+45 98 76 54 32", "address": "Boulevarden 21, 9000 Aalborg, Denmark"},
]

_AGREEMENTS: list[dict[str, Any]] = [
    {"id": "agr-Bw4Nc8Tz1Qh5M", "contactId": "cont-242342",
     "description": "Window cleaning, offices and canteen", "interval": 4},
    {"id": "agr-Dk2Vr6Yx9Js3P", "contactId": "cont-981120",
     "description": "Window cleaning, clinic front", "interval": 2},
    {"id": "agr-Fm8Hq3Lt5Ug7C", "contactId": "cont-550071",
     "description": "Window cleaning, reading rooms", "interval": 8},
]


def _assignment(
    id: str, contact: dict[str, Any], agreement: dict[str, Any], execution_time: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "contactId": contact["id"],
        "payingContactId": contact["id"],
        "accountId": "acc-1001",
        "address": contact["address"],
        "plan": {
            "executionTime": execution_time,
            "indicativeDate": execution_time[:10],
            "accountIds": ["acc-1001"],
            "indicativeDateType": "Day",
        },
        "tasks": [{
            "agreementId": agreement["id"],
            "description": agreement["description"],
            "amount": 450.0,
            "duration": 60,
            "workType": "WindowCleaning",
        }],
        **extra,
    }


_ACME, _BOREALIS, _CEDAR = _CONTACTS
_ASSIGNMENTS: list[dict[str, Any]] = [
    _assignment("asgmt-klJ23j4L23j43", _ACME, _AGREEMENTS[0], "2027-01-14T08:00:00Z",
                location=[10.2039, 56.1629], meta={}),
    _assignment("asgmt-Q8n2Lm4Rt7Vx1", _ACME, _AGREEMENTS[0], "2027-02-11T08:00:00Z",
                location=[10.2039, 56.1629], meta={"route": "R7"}),
    _assignment("asgmt-Zp3Kw9Hs2Yb6D", _BOREALIS, _AGREEMENTS[1], "2027-01-20T13:30:00Z",
                location=[12.5683, 55.6761], meta={"invoice_ref": "INV-5521"}),
    _assignment("asgmt-Mx7Tq1Vc8Nf3J", _BOREALIS, _AGREEMENTS[1], "2027-03-03T09:00:00Z",
                location=[12.5683, 55.6761], status="Invoiced", action="Completed",
                handledDate="2027-03-03T10:05:00Z", remoteOrderId="ORD-88213", meta={}),
    _assignment("asgmt-Gh5Rj2Lp6Wd9K", _CEDAR, _AGREEMENTS[2], "2027-01-28T07:30:00Z",
                location=[9.9217, 57.0488], meta={}),
]


def seed_demo(store: Store, *, now: str) -> None:
    """Insert the demo objects once per store; a reopened `--db` file is left as it is."""
    if store.get_setting(SEEDED_SETTING) is not None:
        return
    batches: list[tuple[Resource, list[dict[str, Any]]]] = [
        (CONTACTS, _CONTACTS), (AGREEMENTS, _AGREEMENTS), (ASSIGNMENTS, _ASSIGNMENTS),
    ]
    with store.transaction():
        for resource, partials in batches:
            documents: list[Document] = [
                create(resource, partial, param=resource.singular, now=now)
                for partial in partials
            ]
            store.insert_many(resource.collection, [(doc["id"], doc) for doc in documents])
        store.set_setting(SEEDED_SETTING, now)

"""Seed data of the Previsto emulator: the demo organisation, and bulk seeding (the admin API).

The demo organisation is one account (`GET /account`), three contacts, one agreement each and
five assignments. The ids are fixed so that the project's examples can select them; one
assignment carries a metadata key someone else set (`route`), one an invoice reference, one is
already invoiced.

In bulk seeding missing properties get defaults and ids are generated when absent; every list
lands with one `insert_many`, all lists in one transaction, so a bad object stores nothing
(400/409).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.previsto.errors import PrevistoError
from reconciler.sandbox.previsto.records import (
    AGREEMENTS,
    ASSIGNMENTS,
    CONTACTS,
    RESOURCES,
    Document,
    Resource,
    create,
    name_contacts,
)
from reconciler.sandbox.previsto.validation import stamp
from reconciler.sandbox.store import Store

SEEDED_SETTING = "previsto.seeded"

# The account both sandbox keys belong to (`GET /account`); its worker plans every visit.
ACCOUNT: dict[str, Any] = {
    "id": "acct-Sbx7Kq2Lm9Pw",
    "name": "Sandbox Window Cleaning",
    "email": "office@sandbox-cleaning.example",
}


def _address(street: str, postal_code: str, city: str) -> dict[str, Any]:
    return {"street": street, "apartment": None, "postalCode": postal_code, "city": city,
            "countryCode": "DK"}


_CONTACTS: list[dict[str, Any]] = [
    {"id": "cont-242342", "name": "Acme Corp", "email": "facilities@acme.example",
     "phone": "+45 86 12 34 56", "address": _address("Industrivej 12", "8000", "Aarhus C")},
    {"id": "cont-981120", "name": "Borealis Dental", "email": "reception@borealis.example",
     "phone": "+45 33 45 67 89", "address": _address("Nørregade 4", "1165", "København K")},
    {"id": "cont-550071", "name": "Cedar Library", "email": "library@cedar.example",
     "phone": "+45 98 76 54 32", "address": _address("Boulevarden 21", "9000", "Aalborg")},
]

_AGREEMENTS: list[dict[str, Any]] = [
    {"id": "agrmt-Bw4Nc8Tz1Qh5MxR2aK7e", "contactId": "cont-242342",
     "description": "Window cleaning, offices and canteen", "interval": 4},
    {"id": "agrmt-Dk2Vr6Yx9Js3PgT8nW4c", "contactId": "cont-981120",
     "description": "Window cleaning, clinic front", "interval": 2},
    {"id": "agrmt-Fm8Hq3Lt5Ug7CzE1bY6h", "contactId": "cont-550071",
     "description": "Window cleaning, reading rooms", "interval": 8},
]


def _assignment(
    id: str, contact: dict[str, Any], agreement: dict[str, Any], execution_time: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "contactId": contact["id"],
        "contactName": contact["name"],
        "payingContactId": contact["id"],
        "accountId": ACCOUNT["id"],
        "address": contact["address"],
        "plan": {
            "executionTime": execution_time,
            "indicativeDate": execution_time[:10],
            "accountIds": [ACCOUNT["id"]],
            "indicativeDateType": "Optimal",
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


# Planning times are local (Danish) wall-clock times, as Previsto shows them.
_ACME, _BOREALIS, _CEDAR = _CONTACTS
_ASSIGNMENTS: list[dict[str, Any]] = [
    _assignment("asgmt-klJ23j4L23j43", _ACME, _AGREEMENTS[0], "2027-01-14T09:00",
                location=[10.2039, 56.1629], meta={}),
    _assignment("asgmt-Q8n2Lm4Rt7Vx1", _ACME, _AGREEMENTS[0], "2027-02-11T09:00",
                location=[10.2039, 56.1629], meta={"route": "R7"}),
    _assignment("asgmt-Zp3Kw9Hs2Yb6D", _BOREALIS, _AGREEMENTS[1], "2027-01-20T14:30",
                location=[12.5683, 55.6761], meta={"invoice_ref": "INV-5521"}),
    _assignment("asgmt-Mx7Tq1Vc8Nf3J", _BOREALIS, _AGREEMENTS[1], "2027-03-03T10:00",
                location=[12.5683, 55.6761], status="Invoiced", action="Completed",
                handledDate="2027-03-03T11:05", remoteOrderId="ORD-88213", meta={}),
    _assignment("asgmt-Gh5Rj2Lp6Wd9K", _CEDAR, _AGREEMENTS[2], "2027-01-28T08:30",
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


def seed_bulk(context: SandboxContext, body: dict[str, Any]) -> dict[str, list[Document]]:
    """Create the objects of each list and store them all, or none (400 or 409)."""
    now = stamp(context.clock())
    created: dict[str, list[Document]] = {}
    for name, resource in RESOURCES.items():
        created[name] = [
            create(resource, partial, param=f"{name}[{index}]", now=now)
            for index, partial in enumerate(body.get(name, []))
        ]
        _refuse_taken_ids(context, resource, created[name])
    name_contacts(context, created["assignments"], batch=created["contacts"])
    try:
        with context.store.transaction():
            for name, documents in created.items():
                if documents:
                    context.store.insert_many(
                        RESOURCES[name].collection, [(doc["id"], doc) for doc in documents]
                    )
    except sqlite3.IntegrityError:
        raise PrevistoError(409, "An object with one of these ids already exists.") from None
    return created


def _refuse_taken_ids(
    context: SandboxContext, resource: Resource, documents: list[Document]
) -> None:
    seen: set[str] = set()
    for index, document in enumerate(documents):
        id = document["id"]
        if id in seen or context.store.get(resource.collection, id) is not None:
            raise PrevistoError(
                409,
                f"{resource.singular.capitalize()} {id} already exists.",
                param=f"{resource.name}[{index}].id",
            )
        seen.add(id)

"""Previsto's three resources (assignments, contacts, agreements): their properties and writes.

A `Resource` lists its properties in wire order, each with the check that validates it, the
default a new object gets, whether a `PUT` may change it and whether lists can filter and sort on
it. `update` applies a partial `PUT` body to a stored object; `create` builds a whole object from
a partial one (`POST /assignments` after `creatable` has checked what a client may send, and the
admin API as it is); `churn` puts a new assignment at the head of the list. Documents are stored
in the wire shape, so a list is a slice of stored documents.

`timestamp` is never a last-change stamp: on an assignment it is the deprecated alias of
`plan.executionTime` (Previsto's 2019 reference: "Deprecated. Use plan.executionTime instead"),
on contacts and agreements when the object was made; nothing tells when an object last changed.

Ids are a prefix and letters and digits, as in Previsto's docs: `asgmt-` (13 after it),
`cont-` (16), `agrmt-` (20); references to accounts are `acct-…`.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.previsto import validation as fields
from reconciler.sandbox.previsto.errors import PrevistoError, bad_request
from reconciler.sandbox.previsto.meta import merge_metadata
from reconciler.sandbox.previsto.validation import Check, stamp

Document = dict[str, Any]
QueryKind = Literal["string", "integer"]

ID_ALPHABET = string.ascii_letters + string.digits
METADATA_NAMES = ("meta", "metadata")
# What Previsto's docs mark required when an assignment is created by hand.
REQUIRED_ON_CREATE = ("contactId", "accountId", "location")
SERVER_STAMPS = ("createdDate", "timestamp")
# The assignment's deprecated alias of plan.executionTime (a local time, or null).
EXECUTION_ALIAS = "timestamp"
_ids = random.SystemRandom()


@dataclass(frozen=True, kw_only=True)
class Property:
    """One property of a resource: how it is checked, its default, who may write it."""

    check: Check
    default: Any = None
    # A `PUT` may change it (and a `POST` may set it).
    writable: bool = False
    # Only a `POST` may set it: who the visit is for, where and when it is planned.
    creatable: bool = False
    # Lists filter (equality) and sort on scalar properties of this kind.
    query: QueryKind | None = None


@dataclass(frozen=True, kw_only=True)
class Resource:
    name: str
    singular: str
    collection: str
    id_prefix: str
    id_length: int
    properties: Mapping[str, Property]
    # Scalar properties inside objects that lists also filter and sort on (`plan.executionTime`).
    nested_query: Mapping[str, QueryKind] = field(default_factory=dict)
    # Refuses a valid update that the object's state does not allow (402), given before/after.
    guard: Callable[[Document, Document], None] | None = None

    def queryable(self) -> dict[str, QueryKind]:
        """Property paths lists can filter and sort on (besides `meta.<key>`)."""
        scalars = {name: prop.query for name, prop in self.properties.items() if prop.query}
        return {**scalars, **self.nested_query}

    def new_id(self) -> str:
        return self.id_prefix + "".join(_ids.choices(ID_ALPHABET, k=self.id_length))


def _meta_check(param: str, value: Any) -> Any:
    return merge_metadata({}, value, param=param)


def _settled_assignment_guard(before: Document, after: Document) -> None:
    # An invoiced or fulfilled assignment is closed in accounting: what was done and when can no
    # longer change, though its metadata and references can.
    if before.get("status") not in ("Invoiced", "Fulfilled"):
        return
    for name in ("action", "handledDate"):
        if before.get(name) != after.get(name):
            raise PrevistoError(
                402,
                f"Assignment {before['id']} is {before['status']}: its {name} can no longer "
                f"change.",
                param=name,
            )


_CONTACT_REF = fields.reference("cont-", nullable=True)
_ACCOUNT_REF = fields.reference("acct-", nullable=True)
_TASK = fields.record(
    {
        "agreementId": (fields.reference("agrmt-", nullable=True), None),
        "description": (fields.text(nullable=False, max_length=500), ""),
        "amount": (fields.number(minimum=0, maximum=1e9), 0),
        "duration": (fields.integer(minimum=0, maximum=100_000), 0),
        "workType": (fields.text(nullable=True, max_length=100), None),
    }
)
_PLAN = fields.record(
    {
        "executionTime": (fields.local_time(nullable=True), None),
        "indicativeDate": (fields.calendar_date(nullable=True), None),
        "accountIds": (
            fields.string_list(fields.reference("acct-", nullable=False), max_items=50), []
        ),
        # The docs show `Optimal` and name no other value: any short name is kept as sent.
        "indicativeDateType": (
            fields.text(nullable=False, max_length=40, min_length=1), "Optimal"
        ),
    }
)
_ADDRESS = fields.record(
    {
        "street": (fields.text(nullable=True, max_length=200), None),
        "apartment": (fields.text(nullable=True, max_length=100), None),
        "postalCode": (fields.text(nullable=True, max_length=20), None),
        "city": (fields.text(nullable=True, max_length=100), None),
        "countryCode": (fields.country_code, None),
    },
    nullable=True,
)
# Lists filter and sort on an address's parts (`?address.city=Aalborg`).
_ADDRESS_QUERY: dict[str, QueryKind] = {
    f"address.{part}": "string" for part in ("street", "postalCode", "city", "countryCode")
}

ASSIGNMENTS = Resource(
    name="assignments",
    singular="assignment",
    collection="previsto.assignments",
    id_prefix="asgmt-",
    id_length=13,
    properties={
        "id": Property(check=fields.reference("asgmt-", nullable=False), query="string"),
        "createdDate": Property(check=fields.server_stamp, query="string"),
        EXECUTION_ALIAS: Property(check=fields.local_time(nullable=True), query="string"),
        "contactId": Property(check=_CONTACT_REF, query="string", creatable=True),
        "contactName": Property(
            check=fields.text(nullable=True, max_length=200), query="string", creatable=True
        ),
        "payingContactId": Property(check=_CONTACT_REF, query="string", creatable=True),
        "accountId": Property(check=_ACCOUNT_REF, query="string", creatable=True),
        "action": Property(
            check=fields.one_of("None", "Skipped", "Completed"),
            default="None",
            writable=True,
            query="string",
        ),
        "status": Property(
            check=fields.one_of("None", "AppendedToOrder", "Invoiced", "Fulfilled"),
            default="None",
            query="string",
        ),
        "remoteOrderId": Property(
            check=fields.text(nullable=True, max_length=100), writable=True, query="string"
        ),
        "handledDate": Property(
            check=fields.local_time(nullable=True), writable=True, query="string"
        ),
        "address": Property(check=_ADDRESS, writable=True),
        "deliveryAddress": Property(check=_ADDRESS, writable=True),
        "location": Property(check=fields.location, creatable=True),
        "plan": Property(check=_PLAN, default=_PLAN("plan", {}), creatable=True),
        "tasks": Property(
            check=fields.records(_TASK, max_items=100), default=[], creatable=True
        ),
        "meta": Property(check=_meta_check, default={}, writable=True),
    },
    nested_query={
        "plan.executionTime": "string",
        "plan.indicativeDate": "string",
        "plan.indicativeDateType": "string",
        **_ADDRESS_QUERY,
    },
    guard=_settled_assignment_guard,
)

CONTACTS = Resource(
    name="contacts",
    singular="contact",
    collection="previsto.contacts",
    id_prefix="cont-",
    id_length=16,
    properties={
        "id": Property(check=fields.reference("cont-", nullable=False), query="string"),
        "timestamp": Property(check=fields.server_stamp, query="string"),
        "name": Property(
            check=fields.text(nullable=False, max_length=200, min_length=1),
            default="Unnamed contact",
            writable=True,
            query="string",
        ),
        "email": Property(check=fields.email(nullable=True), writable=True, query="string"),
        "phone": Property(
            check=fields.text(nullable=True, max_length=40), writable=True, query="string"
        ),
        "address": Property(check=_ADDRESS, writable=True),
        "meta": Property(check=_meta_check, default={}, writable=True),
    },
    nested_query=_ADDRESS_QUERY,
)

AGREEMENTS = Resource(
    name="agreements",
    singular="agreement",
    collection="previsto.agreements",
    id_prefix="agrmt-",
    id_length=20,
    properties={
        "id": Property(check=fields.reference("agrmt-", nullable=False), query="string"),
        "timestamp": Property(check=fields.server_stamp, query="string"),
        "contactId": Property(check=_CONTACT_REF, query="string"),
        "description": Property(check=fields.text(nullable=False, max_length=500), default="",
                                writable=True, query="string"),
        # Weeks between two visits.
        "interval": Property(check=fields.integer(minimum=1, maximum=520), default=4, writable=True,
                             query="integer"),
        "meta": Property(check=_meta_check, default={}, writable=True),
    },
)

RESOURCES: dict[str, Resource] = {
    resource.name: resource for resource in (ASSIGNMENTS, CONTACTS, AGREEMENTS)
}


def update(
    resource: Resource, current: Document, body: Any, *, replace_meta: bool = False
) -> Document:
    """The object after a partial `PUT`: only the properties sent change.

    A `meta` sent merges into the stored metadata, or with `replace_meta` becomes it (its null
    and "" values dropped). No stamp moves: Previsto documents none that tells a change.
    """
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    if all(name in body for name in METADATA_NAMES):
        raise bad_request(
            "Send metadata as either 'meta' or 'metadata', not both.", param="metadata"
        )
    changed = dict(current)
    for name, value in body.items():
        target = "meta" if name in METADATA_NAMES else name
        prop = resource.properties.get(target)
        if prop is None:
            raise bad_request(f"Received unknown parameter: {name}", param=name)
        if not prop.writable:
            raise bad_request(f"'{name}' is read-only and cannot be updated.", param=name)
        if target == "meta":
            kept = {} if replace_meta else current.get("meta") or {}
            changed["meta"] = merge_metadata(kept, value, param=name)
        else:
            changed[target] = prop.check(name, value)
    if changed == current:
        return current
    if resource.guard is not None:
        resource.guard(current, changed)
    return changed


def create(resource: Resource, partial: Any, *, param: str, now: str) -> Document:
    """A whole new object from a partial one: checked, defaults filled, id generated if absent.

    `param` names the object in errors (`assignments[3]`); empty, properties are named alone.
    """
    if not isinstance(partial, dict):
        raise bad_request(f"'{param}' must be an object.", param=param)
    for name in partial:
        if name not in resource.properties:
            where = f"{param}.{name}" if param else name
            raise bad_request(f"Received unknown parameter: {where}", param=where)
    document: Document = {}
    for name, prop in resource.properties.items():
        if name in partial:
            document[name] = prop.check(f"{param}.{name}" if param else name, partial[name])
        elif name == "id":
            document[name] = resource.new_id()
        elif name in SERVER_STAMPS:
            document[name] = now
        else:
            document[name] = _fresh(prop.default)
    if resource is ASSIGNMENTS:
        # The deprecated alias always reads as the execution time it names.
        document[EXECUTION_ALIAS] = (document.get("plan") or {}).get("executionTime")
    return document


def create_requested(resource: Resource, body: Any, *, now: str) -> Document:
    """A new object from a client's `POST` body.

    A client sets what Previsto's docs list for it: the writable properties and those only a
    create may set, never the id, the stamps or the financial status. `contactId`, `accountId`
    and `location` are required, as the docs mark them: missing, the answer is the docs' own
    `'<name>' must be specified.`.
    """
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    if all(name in body for name in METADATA_NAMES):
        raise bad_request(
            "Send metadata as either 'meta' or 'metadata', not both.", param="metadata"
        )
    partial: dict[str, Any] = {}
    metadata: tuple[str, Any] | None = None
    for name, value in body.items():
        target = "meta" if name in METADATA_NAMES else name
        prop = resource.properties.get(target)
        if prop is None:
            raise bad_request(f"Received unknown parameter: {name}", param=name)
        if not (prop.writable or prop.creatable):
            raise bad_request(f"'{name}' is read-only: Previsto sets it.", param=name)
        if target == "meta":
            metadata = (name, value)
        else:
            partial[name] = value
    for name in REQUIRED_ON_CREATE:
        if partial.get(name) is None:
            raise bad_request(f"'{name}' must be specified.", param=name)
    document = create(resource, partial, param="", now=now)
    if metadata is not None:
        document["meta"] = merge_metadata({}, metadata[1], param=metadata[0])
    return document


def name_contacts(
    context: SandboxContext, assignments: Sequence[Document], *, batch: Sequence[Document] = ()
) -> None:
    """Fill `contactName` from the contact where it is absent, as Previsto does: the contact is
    one of `batch` (created alongside) or a stored one."""
    names = {contact["id"]: contact["name"] for contact in batch}
    for assignment in assignments:
        contact = assignment.get("contactId")
        if assignment.get("contactName") is None and contact is not None:
            if contact not in names:
                stored = context.store.get(CONTACTS.collection, contact) or {}
                names[contact] = stored.get("name")
            assignment["contactName"] = names[contact]


def churn(context: SandboxContext) -> None:
    """Add one unmanaged assignment at the head of the default (creation) order.

    The store lists in insertion order, so the collection is rewritten with the new assignment
    first; its `createdDate` is set just before the oldest one so the data agrees with the order.
    """
    store = context.store
    existing = store.query(ASSIGNMENTS.collection).documents
    now = stamp(context.clock())
    oldest = min((str(doc.get("createdDate") or now) for doc in existing), default=now)
    created = create(ASSIGNMENTS, {}, param="assignment", now=now)
    created["createdDate"] = stamp(_epoch(oldest) - 1.0)
    with store.transaction():
        for document in existing:
            store.delete(ASSIGNMENTS.collection, document["id"])
        store.insert_many(
            ASSIGNMENTS.collection, [(doc["id"], doc) for doc in [created, *existing]]
        )


def _epoch(moment: str) -> float:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()


def _fresh(default: Any) -> Any:
    # Defaults are small literals; copy the mutable ones so objects never share them.
    if isinstance(default, dict):
        return {key: _fresh(value) for key, value in default.items()}
    if isinstance(default, list):
        return [_fresh(value) for value in default]
    return default

"""The Provider base: the fixed sequence every provider runs, and the hooks each one fills.

As in octoDNS, the base owns the sequence (refresh, canonicalise, write) and one HTTP choke point
that maps status codes to typed errors; `prevail.py`, `prospero.py` and `previsto.py` only say how
to authenticate, list, map fields and build requests. Providers know HTTP; nothing else does: the
engine sees `DesiredObject`, `RemoteObject`, `Change` and `HttpCall` only.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypedDict, TypeVar, Unpack

import httpx
import orjson

from reconciler.clock import current
from reconciler.errors import PlanError, ProviderError, ResponseError, ResponseLostError
from reconciler.model import (
    Action,
    Change,
    DeclaredObject,
    DesiredObject,
    FieldChange,
    HttpCall,
    ProviderSettings,
    RemoteObject,
)
from reconciler.providers.failures import failed, status_failure, transport_failure
from reconciler.providers.marker import scope_mark
from reconciler.providers.paging import WalkLimits
from reconciler.redaction import redact
from reconciler.reports import Outcome

T = TypeVar("T")  # what a list walk turns each listed item into


_IGNORE_NONE: frozenset[str] = frozenset()  # shared by the objects that ignore no changes


log = logging.getLogger(__name__)

@dataclass(frozen=True, kw_only=True)
class UpdatePlan:
    """How a provider will make a field-level update: the action and its requests."""

    action: Action
    requests: tuple[HttpCall, ...]
    reason: str


class ProviderOptions(TypedDict, total=False):
    """How a run builds its providers, beyond the settings and the client: the scope it owns,
    a create's own read timeout, and what each list walk may cost."""

    scope: str | None
    create_timeout: float | None
    walk_limits: WalkLimits | None


class Provider(ABC):
    """One API and one kind of object. The base runs the sequence; subclasses fill hooks.

    A provider **must** set `name` and `kind` and fill:
      - `auth(settings)`: the httpx auth flow for its credentials (JWT, cookie, basic);
      - `canonical(declared)`: the declared object with canonical values (UTC, IANA zones);
      - `refresh(desired)`: every live managed object, in as few list requests as it can;
      - `create_calls`, `update_plan`, `removal_calls`: the requests that make each change.
    Every marker it writes names the provider's `scope` (None: the markers of before scopes) and
    whether the object is protected (`mark`).
    It **may** set `merge_fields`, `requests_per_minute`, `rate_window` and `marker_editable`, and
    override:
      - `find(key)`, `find_many(keys)`: look objects up by key (after lost create answers;
        default: none, and one `find` per key);
      - `created_id(body)`: the id a create's answer holds;
      - `held_back(current)`: why an object cannot be changed through the API yet;
      - `settled(desired, current)`: declared values compared as a normalising server holds them;
      - `batches` / `apply_batch` / `create_again`: several changes in one request (Prospero's
        bulk create and delete), and the creates sent again after their answers were lost;
      - `yaml_value`: a remote value as YAML writes it (`drift --write`);
      - `list_unmanaged`, `declared_from_remote`, `adoption_refusal`, `adopt_calls`: import
        and `apply --adopt`;
      - `error_message(response)`: the API's own message from an error body (shown only
        through `answer_message`, which redacts it);
      - `probe_path`, `probe_params`, `clock_tolerance`: where `reconciler doctor` starts.
    Everything else (`request`, `send`, `decode`, `apply_one`, `send_create`) is the shared
    machinery: the one HTTP choke point that maps failures to typed errors, and outcomes that
    mark a create whose answer was lost (`Outcome.lost`) for apply to decide.
    """

    name: ClassVar[str]
    kind: ClassVar[str]
    # Dict-valued fields whose keys merge on the server (Prospero custom_fields, Previsto
    # metadata): the diff compares only declared or owned keys and sends a merge patch.
    merge_fields: ClassVar[frozenset[str]] = frozenset()
    # A documented request rate limit, met by client-side pacing (None: no pacing).
    requests_per_minute: ClassVar[float | None] = None
    # `reconciler doctor` starts from one cheap authenticated read of this path.
    probe_path: ClassVar[str] = ""
    probe_params: ClassVar[Mapping[str, str]] = {}
    # How far the server's clock may be from ours before the credentials break (a token the
    # client mints with a short `exp`); None: the client does not need the clocks to agree.
    clock_tolerance: ClassVar[float | None] = None
    # The window (seconds) that documented limit is counted over: a 429 without Retry-After is
    # waited out for up to this long (None: no documented window).
    rate_window: ClassVar[float | None] = None
    # False where the API cannot rewrite an existing object's marker (Prevail): a new scope is
    # then written only by scheduling the object anew, and protection only when it is created.
    marker_editable: ClassVar[bool] = True

    def __init__(
        self, *, settings: ProviderSettings, client: httpx.Client,
        **options: Unpack[ProviderOptions],
    ) -> None:
        self.settings = settings
        self.client = client
        self.scope = options.get("scope")
        create_timeout = options.get("create_timeout")
        walk_limits = options.get("walk_limits")
        # A create's own read timeout (None: the client's): a create given up on too early can
        # only be looked for afterwards, so it is waited for longer than a read.
        self.create_timeout = create_timeout
        # What each list walk may cost before it is given up (`paging`).
        self.walk_limits = walk_limits or WalkLimits()
        self.list_requests = 0
        # When this run first wrote (our clock): what changed since is what the read-back seeks.
        self.writing_since: datetime | None = None
        # Told after each list page how many objects have been read so far (progress display).
        self.on_page: Callable[[Provider, int], None] | None = None

    # -- hooks ---------------------------------------------------------------------------------

    @staticmethod
    @abstractmethod
    def auth(settings: ProviderSettings) -> httpx.Auth:
        """The authentication flow for this provider's credentials in `settings`."""

    @abstractmethod
    def canonical(self, declared: DeclaredObject) -> DesiredObject:
        """The declared object with canonical field values (instants in UTC, IANA zones...)."""

    @abstractmethod
    def refresh(self, desired: Sequence[DesiredObject]) -> list[RemoteObject]:
        """Every live managed object, in as few list requests as the API allows.

        `desired` is given for providers that must resolve declared objects to existing remote
        ones (Previsto's `select`); others ignore it.
        """

    @abstractmethod
    def create_calls(self, desired: DesiredObject) -> tuple[HttpCall, ...]:
        """The requests that create the object (a single-object POST)."""

    @abstractmethod
    def update_plan(
        self, current: RemoteObject, desired: DesiredObject, changes: Sequence[FieldChange]
    ) -> UpdatePlan:
        """The requests that bring `current` to `desired` given the field changes."""

    @abstractmethod
    def removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        """How a managed object no longer declared goes away (`--prune`): cancel or delete."""

    def read_back(
        self, desired: Sequence[DesiredObject], *, also: Sequence[RemoteObject] = ()
    ) -> list[RemoteObject]:
        """The live managed objects that may be `desired`'s twins (by default, a refresh over
        them), and `also` (objects where a plan saw them), read as narrowly as the API allows:
        after a write, and right before it."""
        return self.refresh(desired)

    def silent_removal_calls(self, current: RemoteObject) -> tuple[Action, tuple[HttpCall, ...]]:
        """How an object this run made by mistake goes away without notifying its participants
        (a duplicate of a create that landed late); by default as any removal."""
        return self.removal_calls(current)

    def desired_object(
        self, declared: DeclaredObject, fields: dict[str, Any], **provider_data: Any
    ) -> DesiredObject:
        """A DesiredObject carrying the declared object's identity, place and options.

        `provider_data` sets what only some providers know (via, lookup, time_zone, ...).
        """
        options = declared.options
        start = fields.get("start")
        return DesiredObject(
            kind=self.kind,
            key=declared.key,
            fields=fields,
            location=declared.location,
            protect=options.protect,
            ignore_changes=(
                frozenset(options.ignore_changes) if options.ignore_changes else _IGNORE_NONE
            ),
            allow_short_notice=options.allow_short_notice,
            allow_past=options.allow_past,
            starts_at=start if isinstance(start, str) else None,
            previous_keys=options.previous_keys,
            **provider_data,
        )

    def yaml_value(self, desired: DesiredObject, name: str, remote_value: Any) -> Any:
        """A remote (canonical) value in the form the YAML writes it, for `drift --write`."""
        return remote_value

    def mark(self, desired: DesiredObject) -> str | None:
        """The scope mark a write of `desired` records (None: unscoped, as before scopes)."""
        if self.scope is None:
            return None
        return scope_mark(self.scope, protected=desired.protect)

    def marker_stale(self, current: RemoteObject, desired: DesiredObject) -> bool:
        """True when `current`'s scope or protection differs from what `desired` records."""
        if self.scope is None:
            return False
        return current.scope != self.scope or current.protected != desired.protect

    def find(self, key: str) -> RemoteObject | None:
        """Look one managed object up by its key (used after a lost create response)."""
        return None

    def held_back(self, current: RemoteObject) -> str | None:
        """Why no request can change or remove `current` yet (None: requests can).

        Its changes are then skipped with this reason, not planned as requests that must fail
        (a Prevail session request has no id to edit or cancel until staff schedule it).
        """
        return None

    def settled(
        self, desired: DesiredObject, current: RemoteObject
    ) -> tuple[DesiredObject, tuple[str, ...]]:
        """`desired` with each value the server normalises (as its docs say) as it holds it, and
        a note per value that cannot hold (compared, never sent again); by default, as sent."""
        return desired, ()

    def find_many(self, keys: Collection[str]) -> dict[str, RemoteObject]:
        """The managed objects with these keys that exist (after lost create answers); by
        default one `find` each, where a provider whose list serves all keys at once overrides.
        """
        found = {key: self.find(key) for key in keys}
        return {key: remote for key, remote in found.items() if remote is not None}

    def create_again(self, lost: Sequence[Outcome]) -> list[Outcome]:
        """Send once more the creates whose answers were lost and that were not found; by
        default each lost request alone. An answer lost again is an outcome with `lost` set."""
        return [self.send_create(outcome.change, outcome.lost) for outcome in lost
                if outcome.lost is not None]

    def send_create(self, change: Change, call: HttpCall) -> Outcome:
        """One create request and its outcome (`lost` set when its answer was lost)."""
        try:
            body = self.send(call)
        except ResponseLostError as lost:
            return Outcome(change=change, ok=False, message=str(lost), lost=call)
        except ProviderError as error:
            return failed(change, error)
        created = self.created_id(body)
        if created is None:
            # A success status without the object (`200 {}`, no body): it proves nothing was
            # made. Undecided, like a lost answer: apply looks for the key before anything else.
            message = (f"{self.name} {call.method} {call.path}: the answer carries no created "
                       "object")
            return Outcome(change=change, ok=False, message=message, lost=call)
        return Outcome(change=change, ok=True, remote_id=created)

    @property
    def account(self) -> str:
        """The account the credentials name, without a secret (`""` where only a secret does):
        with the base URL, what this run writes to."""
        return ""

    @property
    def answer_timeout(self) -> float:
        """How long a create may work on the server unseen before the client gives up on it
        (the create's read timeout)."""
        if self.create_timeout is not None:
            return self.create_timeout
        return float(self.client.timeout.read or 0.0)

    def batches(self, changes: Sequence[Change]) -> list[list[Change]]:
        """Group changes that one request can carry (Prospero bulk create and delete); default:
        one each."""
        return [[change] for change in changes]

    def apply_batch(self, batch: Sequence[Change]) -> list[Outcome]:
        """Send a batch's requests; the default sends each change's requests in order."""
        return [self.apply_one(change) for change in batch]

    # -- shared machinery ------------------------------------------------------------------------

    def page_read(self, fetched: int) -> None:
        if self.on_page is not None:
            self.on_page(self, fetched)

    def apply_one(self, change: Change) -> Outcome:
        remote_id = change.remote_id
        try:
            for call in change.requests:
                if call.method == "POST":
                    # A create: its answer may be lost after it landed (`send_create` says so).
                    outcome = self.send_create(change, call)
                    if not outcome.ok:
                        return outcome
                    remote_id = outcome.remote_id
                    continue
                try:
                    self.send(call)
                except ResponseError as error:
                    if call.method == "DELETE" and error.status == 404:
                        continue  # already gone: a retried delete whose first answer was lost
                    raise
        except ProviderError as error:
            return failed(change, error)
        return Outcome(change=change, ok=True, remote_id=remote_id)

    def created_id(self, body: Any) -> str | None:
        """The id of an object a response created, if it holds one."""
        return None

    def send(self, call: HttpCall) -> Any:
        """Send one planned request and return its decoded JSON body (None when empty).

        A create whose success answer is cut off (not JSON) is a lost answer, not a failure: it
        may well have landed, so the caller looks for it as after any lost answer.
        """
        if self.writing_since is None:
            self.writing_since = current().utcnow()
        content = None if call.body is None else json.dumps(call.body).encode()
        headers = {"Content-Type": call.content_type} if content is not None else {}
        response = self.request(
            call.method,
            call.path,
            params=dict(call.query),
            content=content,
            headers=headers,
            read_timeout=self.create_timeout if call.method == "POST" else None,
        )
        endpoint = f"{call.method} {call.path}"
        try:
            return self.decode(response, endpoint)
        except ResponseError:
            if call.method != "POST":
                raise
            raise ResponseLostError(
                self.name,
                f"{self.name} {endpoint}: answered {response.status_code}, but the answer was cut "
                "off",
            ) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        allow: frozenset[int] = frozenset(),
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """The one HTTP choke point: sends, then maps failures to typed errors.

        A status in `allow` is returned as it is, for a caller that knows what to do with it
        (Previsto's smaller page after a 400 naming `size`); `read_timeout` replaces the
        client's for this request.
        """
        endpoint = f"{method} /{path.lstrip('/')}"
        timeout = (
            httpx.USE_CLIENT_DEFAULT
            if read_timeout is None
            else httpx.Timeout(self.client.timeout.connect, read=read_timeout,
                               write=self.client.timeout.write, pool=self.client.timeout.pool)
        )
        try:
            response = self.client.request(
                method,
                path.lstrip("/"),
                params=params,
                content=content,
                json=json_body,
                headers=headers,
                timeout=timeout,
            )
        except httpx.TransportError as error:
            raise transport_failure(self.name, endpoint, self.client.base_url, error) from None
        if response.status_code in allow:
            return response
        failure = status_failure(self.name, endpoint, response, self.answer_message)
        if failure is not None:
            raise failure
        return response

    def decode(self, response: httpx.Response, endpoint: str) -> Any:
        if not response.content:
            return None
        try:
            # orjson decodes a page of a thousand objects several times faster than json
            body = orjson.loads(response.content)
        except ValueError:
            raise ResponseError(
                self.name, endpoint, "the response body is not valid JSON"
            ) from None
        # httpx links a response and its stream in a reference cycle, which only the garbage
        # collector frees, and the CLI runs it rarely: without this, a walk's pages (megabytes
        # of bytes) would stay until the next collection. The body is read; unlink the stream.
        response.stream = httpx.ByteStream(b"")
        return body

    def answer_message(self, response: httpx.Response) -> str:
        """The API's message from an error answer, fit to show: some APIs and proxies repeat
        the request's credentials there (the minted JWT, the Basic header, the access token)."""
        return redact(self.error_message(response))

    def error_message(self, response: httpx.Response) -> str:
        """The API's own message from an error body, in one line."""
        try:
            body = response.json()
        except ValueError:
            return response.reason_phrase
        if isinstance(body, dict):
            for name in ("error", "message"):
                if isinstance(body.get(name), str):
                    return str(body[name])
        return response.reason_phrase

    # -- import and adoption (`reconciler import`, `apply --adopt`) ---------------------------

    def list_unmanaged(self) -> list[RemoteObject]:
        """Every live object without our marker; its `key` is a name to derive a key from."""
        raise PlanError(f"{self.kind} cannot be imported from {self.name}")

    def declared_from_remote(self, remote: RemoteObject) -> dict[str, Any]:
        """The YAML fields (all but the key) that declare `remote` exactly as it is."""
        raise PlanError(f"{self.kind} cannot be imported from {self.name}")

    def adoption_refusal(self) -> str | None:
        """Why this API cannot mark an existing object as managed (None: it can)."""
        return None

    def adopt_calls(self, current: RemoteObject, desired: DesiredObject) -> tuple[HttpCall, ...]:
        """The requests that mark `current` as managed under `desired.key`, and nothing else."""
        raise PlanError(self.adoption_refusal() or f"{self.kind} cannot be adopted")

"""Sending Prospero's webhook deliveries: the pump and the background worker that runs it.

`Deliverer.deliver_due()` sends every delivery due on the sandbox clock, once each, and answers
with the attempts it made: tests and benchmarks call it through the admin API after moving the
clock. A served sandbox (`reconciler sandbox`) also runs `Deliverer.run()` for as long as the app
lives, so deliveries and their retries go out on their own.

A delivery is `POST <url>` with a JSON body and `User-Agent: Prospero-Webhooks/1.0`; it succeeds
when the receiver answers 2xx within 5 seconds [doc]. The 5 seconds count on the sandbox clock
as well as in real time, so a test (or a compressed benchmark clock) can make a receiver slow
without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx

from reconciler.sandbox import faults
from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.prospero.outbox import Outbox
from reconciler.sandbox.store import Document

logger = logging.getLogger(__name__)

USER_AGENT = "Prospero-Webhooks/1.0"
# [doc] the receiver must answer within 5 seconds, or the delivery has failed.
ANSWER_WITHIN = 5.0
# Real seconds between two looks of the background worker at the outbox when nothing new was
# enqueued (retries and delayed deliveries fall due with time alone).
WORKER_POLL = 0.25


class AnswerTooSlow(Exception):
    """The receiver did not answer within `ANSWER_WITHIN` seconds on the sandbox clock."""


class Deliverer:
    """Sends due deliveries from the outbox; one pass at a time."""

    def __init__(self, outbox: Outbox, context: SandboxContext) -> None:
        self.outbox = outbox
        self.context = context
        # Made on first use, inside the event loop that serves the sandbox.
        self._one_pass: asyncio.Lock | None = None
        self._worker: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        outbox.on_enqueue.append(self._wake)

    async def deliver_due(self) -> list[Document]:
        """Send every delivery due now; the attempts made, in the order they were made."""
        if self._one_pass is None:
            self._one_pass = asyncio.Lock()
        async with self._one_pass:
            due = self.outbox.due()
            if not due:
                return []
            attempts: list[Document] = []
            async with httpx.AsyncClient(timeout=ANSWER_WITHIN, follow_redirects=False) as client:
                for key, copy in due:
                    attempt = await self._attempt(client, key, copy)
                    if attempt is not None:
                        attempts.append(attempt)
            return attempts

    async def run(self) -> None:
        """Deliver whatever falls due, until cancelled (the app's shutdown)."""
        woken = asyncio.Event()
        self._worker = (asyncio.get_running_loop(), woken)
        try:
            while True:
                woken.clear()
                try:
                    await self.deliver_due()
                except Exception:  # the worker outlives one bad pass; the next one retries
                    logger.exception("prospero webhook deliveries failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), WORKER_POLL)
        finally:
            self._worker = None

    def _wake(self) -> None:
        """Something was enqueued (on any thread): let a running worker look now."""
        worker = self._worker
        if worker is not None:
            loop, woken = worker
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown)
                loop.call_soon_threadsafe(woken.set)

    async def _attempt(
        self, client: httpx.AsyncClient, key: str, copy: Document
    ) -> Document | None:
        if not self.outbox.webhook_exists(str(copy["webhookId"])):
            self.outbox.cancel(key, copy)
            return None
        if copy["dropped"]:
            # Lost on the way: the sender believes it was delivered and never retries.
            return self.outbox.record(key, copy, outcome="dropped")
        try:
            status = await self._post(client, str(copy["url"]), copy["body"])
        except (AnswerTooSlow, httpx.TimeoutException):
            error = f"no answer within {ANSWER_WITHIN:g} s"
            return self.outbox.record(key, copy, outcome="failed", error=error)
        except (httpx.HTTPError, OSError) as failure:
            error = str(failure) or type(failure).__name__
            return self.outbox.record(key, copy, outcome="failed", error=error)
        if 200 <= status < 300:
            return self.outbox.record(key, copy, outcome="delivered", status=status)
        return self.outbox.record(key, copy, outcome="failed", status=status)

    async def _post(self, client: httpx.AsyncClient, url: str, body: Any) -> int:
        """The receiver's status, or `AnswerTooSlow` once the sandbox clock passes the limit."""
        sending = asyncio.ensure_future(
            client.post(url, json=body, headers={"User-Agent": USER_AGENT})
        )
        limit = asyncio.ensure_future(faults.hold(ANSWER_WITHIN, self.context.clock))
        try:
            await asyncio.wait({sending, limit}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (sending, limit):
                if not pending.done():
                    pending.cancel()
            await asyncio.gather(sending, limit, return_exceptions=True)
        if sending.cancelled():
            raise AnswerTooSlow
        return sending.result().status_code  # raises the send's own failure, if any

"""One message from a run's events: a title, and a body whose first line is in the schedule's
words, then the objects, the scope, and a link to the run or pull request in GitHub Actions."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.notify.triggers import Event, Trigger
from reconciler.redaction import redact


@dataclass(frozen=True, kw_only=True)
class Message:
    title: str
    body: str
    severity: str  # Apprise's notification type

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "body": self.body, "severity": self.severity}


def compose(
    command: str,
    scope: str,
    events: Sequence[Event],
    *,
    environ: Mapping[str, str] = os.environ,
) -> Message:
    """The events of one run for one target, the most urgent first. Redacted as every output
    is: an apply's failure may repeat what an API sent back, credentials included."""
    ordered = sorted(events, key=lambda event: list(Trigger).index(event.trigger))
    first = "; ".join(event.headline for event in ordered if event.headline)
    lines = [first or ", ".join(event.trigger.value for event in ordered), ""]
    for event in ordered:
        lines.extend(event.details)
    lines += ["", f"Scope: {scope}"]
    lines += links(environ)
    triggers = ", ".join(event.trigger.value for event in ordered)
    return Message(
        title=redact(f"reconciler {command} in {scope}: {triggers}"),
        body=redact("\n".join(lines)),
        severity=ordered[0].trigger.severity,
    )


def links(environ: Mapping[str, str]) -> list[str]:
    """Where to read more: the pull request of a `pull_request` run, and the Actions run."""
    # The Action's side owns how these are read; loaded only by a run with a message to send.
    from reconciler.github.publish import pull_request, run_url

    found = []
    pull = pull_request(environ)
    if pull is not None:
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        found.append(f"Pull request: {server}/{pull.repository}/pull/{pull.number}")
    run = run_url(environ)
    if run is not None:
        found.append(f"Run: {run}")
    return found

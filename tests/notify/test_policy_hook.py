"""The hook a policy check reports a refusal through: `RunNotices.refused(reasons,
trigger=Trigger.POLICY_REFUSED)`, then the refusal the command raises is the same outcome."""

from __future__ import annotations

from pathlib import Path

from reconciler.config import load_text
from reconciler.notify import RunNotices, Trigger
from tests.notify.conftest import VARIABLE, Inbox

CONFIG = (
    "version: 1\nproviders:\n  stack: litigation\n"
    f"notifications:\n  team:\n    url: ${{{VARIABLE}}}\n"
)


def test_a_policy_refusal_is_one_policy_refused_message(inbox: Inbox, tmp_path: Path):
    state = load_text(CONFIG, filename="providers.yaml", environ={VARIABLE: inbox.url})
    notices = RunNotices("apply", state, environ={}, memory=tmp_path)
    notices.refused(
        ["no-early-depositions: sessions.smith starts at 07:30 in America/New_York"],
        trigger=Trigger.POLICY_REFUSED,
    )
    # The command then stops on the refusal it raises: the same outcome, not a second one.
    notices.failed("refusing to apply: 1 mandatory policy failed", refusal=True)
    assert notices.send() == []
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler apply in litigation: policy-refused"
    assert payload["type"] == "failure"
    assert payload["message"].splitlines() == [
        "Refused",
        "",
        "no-early-depositions: sessions.smith starts at 07:30 in America/New_York",
        "",
        "Scope: litigation",
    ]

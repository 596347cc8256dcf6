"""No secret in a notification: a server that repeats the request's credentials in its error
bodies makes every write of an apply fail with them, and the apply-failed message that lists the
failures carries the mask where the server put them, and none of the forms the credential took
on the wire (checked as `test_secret_echo` checks every output), nor the webhook's own token."""

from __future__ import annotations

import pytest

from reconciler.config.notifications import url_secrets
from tests.fixtures.repo import Repo, Run
from tests.notify.conftest import TOKEN, Inbox, notify_to
from tests.security.test_secret_echo import (
    KINDS,
    MASKED,
    WRITES,
    configure,
    echo,
    leaks,
    wire_forms,
)


@pytest.mark.parametrize("provider", sorted(KINDS))
def test_no_credential_in_the_payload_of_a_failed_apply(
    repo: Repo, cli: Run, sandbox_url: str, inbox: Inbox, provider: str
):
    (repo.root / "providers.yaml").unlink()
    configure(repo.root, sandbox_url, provider)
    notify_to(repo)
    faults = echo(repo.sandbox, provider, WRITES)
    cli("apply", repo.root, "--auto-approve", "--max-change-percent", "100", expect=1)
    (payload,) = inbox.payloads
    assert payload["title"].endswith(": apply-failed"), payload["title"]
    assert MASKED[provider] in payload["message"], payload["message"]
    forms = wire_forms(repo.sandbox, provider, [seen for fault in faults for seen in fault.echoed])
    forms |= url_secrets(inbox.url)
    assert TOKEN in forms
    texts = {f"payload {name}": str(value) for name, value in payload.items()}
    assert leaks(texts, forms) == []

"""`providers.prevail.postback_url`: read like the other settings, checked like a base URL, and
held as a secret (its path carries the watch's token)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import DesiredState, load_text
from reconciler.config.settings import secret_variables
from reconciler.engine.fingerprint import configuration_fingerprint
from reconciler.errors import ConfigError
from reconciler.providers import build_providers, credential_digest

ENV = {
    "PREVAIL_COMPANY_ID": "acme-co",
    "PREVAIL_API_KEY": "prevail-key-123",
    "RECONCILER_WEBHOOK_TOKEN": "hook-token-0123456789abcdef",
}

CONFIG = """version: 1
providers:
  prevail:
    company_id: ${{PREVAIL_COMPANY_ID}}
    api_key: ${{PREVAIL_API_KEY}}
    postback_url: {url}
"""


def loaded(url: str, environ: dict[str, str] = ENV) -> DesiredState:
    return load_text(CONFIG.format(url=url), filename="schedule.yaml", environ=environ)


def test_the_postback_url_is_resolved_and_its_token_is_a_secret() -> None:
    state = loaded("https://watch.example.com/hooks/prevail/${RECONCILER_WEBHOOK_TOKEN}")
    prevail = state.providers["prevail"]
    url = "https://watch.example.com/hooks/prevail/hook-token-0123456789abcdef"
    assert prevail.settings["postback_url"] == url
    assert {url, "hook-token-0123456789abcdef"} <= prevail.secrets
    assert "watch.example.com" not in prevail.secrets  # a host name is not masked everywhere


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://watch.example.com/hooks/prevail/x", "plain http"),
        ("https://user:pw@watch.example.com/hooks/prevail/x", "user name or password"),
    ],
)
def test_a_postback_url_that_would_leak_its_token_is_refused_at_its_line(
    url: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        loaded(url)
    (issue,) = caught.value.issues
    assert (issue.location.line, issue.path) == (6, "providers.prevail.postback_url")
    assert message in issue.message and "watch.example.com" not in issue.message


def test_the_token_variable_is_masked_by_the_action(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        CONFIG.format(url="https://watch.example.com/hooks/prevail/${RECONCILER_WEBHOOK_TOKEN}"),
        encoding="utf-8",
    )
    assert secret_variables(path) == [
        "PREVAIL_API_KEY",
        "RECONCILER_WEBHOOK_TOKEN",
    ]


def test_another_postback_url_keeps_the_keys_pacer_and_a_saved_plans_fingerprint() -> None:
    """Two configurations on one key share its pacer and retry budget whatever their
    postback URLs; a new token does not make a saved plan stale."""
    first = loaded("https://watch.example.com/hooks/prevail/${RECONCILER_WEBHOOK_TOKEN}")
    second = loaded(
        "https://watch.example.com/hooks/prevail/${RECONCILER_WEBHOOK_TOKEN}",
        {**ENV, "RECONCILER_WEBHOOK_TOKEN": "another-token-0123456789abcdef"},
    )
    assert credential_digest("prevail", first.providers["prevail"]) == credential_digest(
        "prevail", second.providers["prevail"]
    )
    prints = []
    for state in (first, second):
        providers = build_providers(state)
        prints.append(configuration_fingerprint(state, providers, sandbox=False).digest)
        for provider in providers.values():
            provider.client.close()
    assert prints[0] == prints[1]

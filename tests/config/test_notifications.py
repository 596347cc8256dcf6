"""`notifications:`: its URL is a secret (a `${NAME}` reference, resolved, never echoed), its
triggers are the ones the product fires, and it is configured once."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load, load_text, secret_variables
from reconciler.config.notifications import TRIGGERS, url_secrets
from reconciler.errors import ConfigError
from reconciler.notify import Trigger
from reconciler.published import load_published

PROVIDERS = "version: 1\nproviders:\n  previsto:\n    api_key: ${KEY}\n"
HOOK = "jsons://hooks.example.com/services/Ab12Cd34Ef/xYz987TokenValue"


def issues_of(text: str, environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_text(text, filename="providers.yaml", environ=environ)
    return [str(issue) for issue in raised.value.issues]


def test_a_target_reads_its_url_from_the_environment():
    state = load_text(
        PROVIDERS + "notifications:\n  team:\n    url: ${HOOK}\n    triggers: [apply-failed]\n",
        filename="providers.yaml",
        environ={"KEY": "sk_x", "HOOK": HOOK},
    )
    (target,) = state.notifications
    assert (target.name, target.url, target.triggers) == ("team", HOOK, {"apply-failed"})
    assert HOOK not in repr(target)
    # Without triggers, a target hears of every one.
    default = load_text(
        PROVIDERS + "notifications:\n  all:\n    url: ${HOOK}\n",
        filename="p.yaml",
        environ={"KEY": "sk_x", "HOOK": HOOK},
    )
    assert default.notifications[0].triggers == set(TRIGGERS)


def test_a_literal_url_is_refused_without_being_echoed():
    (issue,) = issues_of(PROVIDERS + f"notifications:\n  team:\n    url: {HOOK}\n", {"KEY": "k"})
    assert issue.startswith(
        "providers.yaml:7:5: notifications.team.url: literal secrets are refused: write ${NAME}"
    ), issue
    assert "Ab12Cd34Ef" not in issue


def test_a_missing_variable_an_unknown_trigger_and_a_second_block_are_named(tmp_path: Path):
    text = PROVIDERS + "notifications:\n  team:\n    url: ${HOOK}\n    triggers: [apply-done]\n"
    issues = issues_of(text, {"KEY": "k"})
    assert any("notifications.team.triggers[0]" in issue for issue in issues), issues
    missing = issues_of(PROVIDERS + "notifications:\n  team:\n    url: ${HOOK}\n", {"KEY": "k"})
    assert missing == [
        "providers.yaml:7:5: notifications.team.url: environment variable HOOK "
        "is not set: export it before running"
    ]
    (tmp_path / "a.yaml").write_text(PROVIDERS + "notifications:\n  team:\n    url: ${HOOK}\n")
    (tmp_path / "b.yaml").write_text("notifications:\n  other:\n    url: ${HOOK}\n")
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, environ={"KEY": "k", "HOOK": HOOK})
    (twice,) = [str(issue) for issue in raised.value.issues]
    assert twice.endswith(
        f"b.yaml:1:1: notifications: notifications are configured twice "
        f"(first at {tmp_path / 'a.yaml'}:5:1); keep one"
    ), twice


def test_validate_and_sandbox_loads_leave_the_url_unresolved():
    state = load_text(
        PROVIDERS + "notifications:\n  team:\n    url: ${HOOK}\n",
        filename="p.yaml",
        environ={},
        resolve_providers=False,
    )
    assert state.notifications[0].url is None


def test_the_schema_the_loader_and_the_product_name_the_same_triggers():
    schema = load_published("reconciler.schema.json")
    target = schema["properties"]["notifications"]["additionalProperties"]
    listed = target["properties"]["triggers"]["items"]["enum"]
    assert set(listed) == set(TRIGGERS) == {trigger.value for trigger in Trigger}


def test_the_parts_of_a_url_that_stand_alone_in_logs_are_secrets_too():
    slack = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    assert url_secrets(slack) == {slack, "T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"}
    # A domain name, a port and short path words are not secrets; user-info and long query
    # values are.
    mail = "mailtos://user:Pa55word-long@mail.example.com:587?to=team@example.com&x=ab"
    assert url_secrets(mail) == {mail, "Pa55word-long", "team@example.com"}


def test_the_actions_masking_covers_notification_urls(tmp_path: Path):
    (tmp_path / "providers.yaml").write_text(
        PROVIDERS + "notifications:\n  team: {url: '${HOOK}'}\n  ops: {url: '${OPS_HOOK}'}\n",
        encoding="utf-8",
    )
    assert secret_variables(tmp_path) == ["HOOK", "OPS_HOOK", "KEY"]

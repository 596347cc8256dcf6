"""An unknown zone's did-you-mean names the zone as it should be written: the canonical IANA
name, or for a session Prevail's own name, never an alias such as `US/Eastern`."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.checks import zone_guess
from tests.fixtures.repo import Run


@pytest.mark.parametrize(
    ("written", "for_an_event", "for_a_session"),
    [
        ("Eastern Time", "America/New_York", "Eastern Time (US & Canada)"),
        ("eastern time", "America/New_York", "Eastern Time (US & Canada)"),
        ("Pacific Time", "America/Los_Angeles", "Pacific Time (US & Canada)"),
        ("US/Eastrn", "America/New_York", "America/New_York"),
        ("Europe/Kiev2", "Europe/Kyiv", "Europe/Kyiv"),
        ("America/New_Yrok", "America/New_York", "America/New_York"),
        ("Mars/Olympus_Mons", None, None),
    ],
)
def test_the_guess_is_canonical_or_prevails_own(
    written: str, for_an_event: str | None, for_a_session: str | None
):
    assert zone_guess(written, prevail_names=False) == for_an_event
    assert zone_guess(written, prevail_names=True) == for_a_session


def test_validate_words_it(cli: Run, tmp_path: Path):
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "version: 1\nevents:\n  - key: gala\n    title: Gala\n    start: 2027-03-02T18:00\n"
        "    time_zone: Eastern Time\n", encoding="utf-8")
    result = cli("validate", path, expect=1)
    assert 'unknown time zone "Eastern Time" (did you mean "America/New_York"?)' in result.stderr
    assert "US/Eastern" not in result.stderr

"""The suite waits for nothing: no test sleeps for real longer than a short poll.

Waits belong to the product's injected clock (`tests/fixtures/clock.py`), which records them
instead of spending them; the autouse `_no_real_waits` fixture fails a test during which
anything in the process sleeps longer. This test reads the suite's own source, so that a long
`time.sleep` or `asyncio.sleep` written into a test fails even where no test runs it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.fixtures.clock import LONGEST_REAL_SLEEP

TESTS = Path(__file__).resolve().parent
SLEEPS = frozenset({("time", "sleep"), ("asyncio", "sleep")})


def long_sleeps(source: str, name: str) -> list[str]:
    """`file:line` of each sleep call in `source` whose duration is not a literal number of
    seconds at most LONGEST_REAL_SLEEP."""
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio")
        for alias in node.names
        if alias.name == "sleep"
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        is_sleep = (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in SLEEPS
        ) or (isinstance(func, ast.Name) and func.id in imported)
        if not is_sleep:
            continue
        seconds = node.args[0] if node.args else None
        short = (
            isinstance(seconds, ast.Constant)
            and isinstance(seconds.value, int | float)
            and seconds.value <= LONGEST_REAL_SLEEP
        )
        if not short:
            found.append(f"{name}:{node.lineno}")
    return found


def test_no_test_sleeps_longer_than_a_short_poll() -> None:
    found = [
        where
        for path in sorted(TESTS.rglob("*.py"))
        for where in long_sleeps(path.read_text(encoding="utf-8"), str(path.relative_to(TESTS)))
    ]
    assert found == [], f"real sleeps longer than {LONGEST_REAL_SLEEP} s (or unbounded): {found}"


def test_the_guard_finds_long_and_unbounded_sleeps() -> None:
    source = (
        "import time, asyncio\nfrom time import sleep as pause\n"
        "time.sleep(0.01)\ntime.sleep(0.5)\nasyncio.sleep(2)\npause(1)\ntime.sleep(delay)\n"
    )
    assert long_sleeps(source, "t.py") == ["t.py:4", "t.py:5", "t.py:6", "t.py:7"]

"""Next steps as command lines a person can copy and run as they are.

A printed next step ("run `reconciler plan schedule --sandbox` to see ...") is copied into a
terminal. One that dropped `--sandbox` or `--sandbox-db` would go to the real providers, or to
another sandbox; one that dropped `--prune`, `--target` or `--base-ref` would plan something
other than what the run that printed it planned. So the CLI records the options a run was given
once (`running`), and every next step, printed by the CLI or worded by the engine (an apply
outcome, a refusal), is built by `command`, which carries those the named command accepts.

Without a recorded run (the engine used as a library) a next step names the bare command.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

# Where a command goes: a hint that dropped one would reach another account.
WHERE = frozenset({"--sandbox", "--sandbox-db"})
# What a plan holds: a hint that dropped one would plan something else.
SHAPING = frozenset(
    {
        "--prune",
        "--target",
        "--base-ref",
        "--on-drift",
        "--adopt",
        "--adopt-unscoped",
        "--strict",
        "--max-change-percent",
        # Each one's negation, which turns off an option the configuration's `defaults:` sets.
        "--no-prune",
        "--no-adopt",
        "--no-adopt-unscoped",
        "--no-strict",
    }
)
# Options given once per value, as many times as the run gave them.
REPEATABLE = frozenset({"--target"})
# The run's options each command accepts, and so carries in a next step naming it. `--force` and
# `--auto-approve` are never carried: overriding a rail or skipping the question is decided anew.
ACCEPTS: dict[str, frozenset[str]] = {
    "plan": WHERE | SHAPING,
    "apply": WHERE | SHAPING | {"--journal"},
    "drift": WHERE | {"--base-ref"},
    "import": WHERE,
    "doctor": WHERE,
}


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """The configuration a run read and the options it was given, in the command's order."""

    path: str | None = None
    options: tuple[tuple[str, str | None], ...] = ()  # (flag, value; None for a switch)

    def with_option(self, flag: str, value: str | None = None) -> Invocation:
        if (flag, value) in self.options:
            return self
        return replace(self, options=(*self.options, (flag, value)))


_current = Invocation()


@contextmanager
def running(invocation: Invocation) -> Iterator[Invocation]:
    """Build every next step from `invocation` until the block ends."""
    global _current
    before, _current = _current, invocation
    try:
        yield invocation
    finally:
        _current = before


def update(
    *, path: Path | str | None = None, options: Iterable[tuple[str, str | None]] = ()
) -> None:
    """Correct the recorded run once the CLI knows better: a saved plan names its configuration
    and the options it was made with (`--sandbox` among them)."""
    global _current
    if path is not None:
        _current = replace(_current, path=str(path))
    for flag, value in options:
        _current = _current.with_option(flag, value)


def command(
    name: str,
    *arguments: str | Path,
    path: Path | str | None = None,
    without: Collection[str] = (),
) -> str:
    """`reconciler NAME PATH ARGUMENTS OPTIONS` in backticks, quoted for a POSIX shell: PATH is
    `path`, else the run's configuration; OPTIONS are the run's that NAME accepts, less
    `without`."""
    accepted = ACCEPTS.get(name, WHERE) - set(without)
    words = ["reconciler", name]
    target = path if path is not None else _current.path
    if target is not None:
        words.append(str(target))
    words += [str(argument) for argument in arguments]
    given = set(words)  # an option the step names itself is not carried a second time
    for flag, value in _current.options:
        if flag in accepted and flag not in given:
            words += [flag] if value is None else [flag, value]
            if flag not in REPEATABLE:  # the first given wins (the run's own over a saved plan's)
                given.add(flag)
    return "`" + shlex.join(words) + "`"

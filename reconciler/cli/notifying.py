"""The commands' side of notifications: record what the command does, send when it finishes.

`notifying` wraps the part of a command that runs with a loaded configuration. An error that
leaves it is recorded (a refused plan as `plan-refused`, any other as a stopped apply) and
re-raised unchanged; the messages go out as it exits, and a target that could not be told is one
line on stderr. Nothing here changes a command's output or exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from reconciler.config import DesiredState
from reconciler.errors import ConfigError, ReconcilerError, UnsafePlanError
from reconciler.notify import RunNotices
from reconciler.render.safe import visible


@contextmanager
def notifying(command: str, state: DesiredState) -> Iterator[RunNotices]:
    notices = RunNotices(command, state)
    try:
        yield notices
    except ConfigError:
        raise
    except ReconcilerError as error:
        notices.failed(str(error), refusal=isinstance(error, UnsafePlanError))
        raise
    finally:
        for line in notices.send():
            click.echo(visible(line), err=True)

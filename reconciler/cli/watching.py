"""`watch`: read the configurations once, then keep them watched until stopped.

Exit codes: 0 when stopped by SIGTERM or SIGINT (after the work in hand is finished; SIGHUP reads
the configurations again and goes on); 1 when it
cannot start (a configuration with problems, a port in use, a webhook token missing or too
short). Drift never ends the process: it is reported on the event stream.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import secrets
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from reconciler import redaction
from reconciler.cli.common import (
    examples,
    handle_errors,
    journal_option,
    lock_timeout_option,
    on_drift_choice,
    policy_context,
    policy_sets,
    transport_options,
)
from reconciler.cli.shaping import Shaping
from reconciler.config import load
from reconciler.engine.apply import SETTLE_TIME
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.plan import PlanOptions
from reconciler.engine.safety import Rails
from reconciler.errors import ReconcilerError
from reconciler.github.rest import DEFAULT_API_URL, RestApi, api_client
from reconciler.providers import build_providers
from reconciler.redaction import redact_json
from reconciler.render.safe import visible
from reconciler.transport.metering import meter
from reconciler.watch import (
    SWEEP_INTERVAL,
    ApplySettings,
    Debouncer,
    DriftIssues,
    Emit,
    IssuesApi,
    WatchedScope,
    Watcher,
    WatchMetrics,
    WatchSettings,
    masked_hook_url,
    receiver_app,
    record,
    register_all,
)
from reconciler.watch.debounce import QUIET
from reconciler.watch.serving import bind, serving

TOKEN_VARIABLE = "RECONCILER_WEBHOOK_TOKEN"
REPOSITORY_PATTERN = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
# A path segment, long enough not to be guessed (Flux asks for a random token too).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{16,}")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Read the configurations again (where the platform has it).
RELOAD_SIGNAL = getattr(signal, "SIGHUP", None)


@click.command(
    epilog=examples(
        "RECONCILER_WEBHOOK_TOKEN=$(openssl rand -hex 24) reconciler watch schedules/london",
        "reconciler watch schedules/* --public-url https://watch.example.com --log-format json",
        "reconciler watch . --sweep-interval 300 --on-drift revert",
        'GITHUB_TOKEN=... reconciler watch schedules/* --github-issues "$GITHUB_REPOSITORY"',
    )
)
@click.argument("paths", nargs=-1, type=click.Path(exists=False, path_type=Path))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address the webhook receiver listens on (0.0.0.0 in a container).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port of the webhook receiver, /healthz, /readyz and /metrics.",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The externally reachable base URL of this process: the webhook is "
    f"registered as URL/hooks/prospero/${TOKEN_VARIABLE}. Without it, the URL to "
    "register by hand is printed.",
)
@click.option(
    "--sweep-interval",
    type=click.FloatRange(1, 86400),
    default=SWEEP_INTERVAL,
    show_default=True,
    help="Seconds between full re-reads of every scope (Previsto has no webhooks and "
    "Prevail posts back only scheduled requests; a lost delivery is caught here).",
)
@click.option(
    "--debounce",
    type=click.FloatRange(0, 600),
    default=QUIET,
    show_default=True,
    help="Seconds without a delivery for a scope before it is read again.",
)
@click.option(
    "--on-drift",
    type=on_drift_choice,
    default=None,
    help="What to do with remote edits: revert puts them back through apply's plan, lock and "
    "journal; keep and fail only report them. Default: `defaults: on_drift` in the YAML, else "
    "keep (a colleague's edit is never undone unasked).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the event stream as JSON lines on stdout, and logs as JSON lines on stderr.",
)
@journal_option
@lock_timeout_option
@click.option(
    "--github-issues",
    metavar="OWNER/REPO",
    help="Keep one drift issue per configuration in this repository, as the example drift "
    "workflow does (label reconciler-drift; the same issue, so both can run): opened on drift, "
    "edited as it changes, closed with a comment once in sync. The token is read from "
    "GITHUB_TOKEN (issues: write), the API from GITHUB_API_URL (default api.github.com).",
)
@handle_errors
def watch(
    paths: tuple[Path, ...],
    host: str,
    port: int,
    public_url: str | None,
    sweep_interval: float,
    debounce: float,
    on_drift: str | None,
    log_format: str,
    journal: Path,
    lock_timeout: float,
    github_issues: str | None,
) -> None:
    """Watch the configurations at each PATH for drift until stopped (SIGTERM, Ctrl-C).

    Prospero's webhooks trigger a re-read of the affected window at once, Prevail's postbacks
    (providers.prevail.postback_url: URL/hooks/prevail/TOKEN) one of the sessions; a sweep
    re-reads every scope at --sweep-interval. Drift is reported once on the event stream (and to the
    configuration's notifications); with --on-drift revert it is put back through the same plan,
    lock and journal as `reconciler apply`. The YAML is read at start and on SIGHUP only: a
    change in git is applied through a reviewed plan, never by `watch`.
    """
    token = webhook_token(public_url)
    emit = stream(log_format)
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    metrics = WatchMetrics()
    issues = None if github_issues is None else drift_issues(github_issues, emit=emit)
    folders = paths or (Path("."),)
    try:
        scopes = load_scopes(folders, on_drift=on_drift, metrics=metrics)
    except BaseException:
        if issues is not None:
            issues.api.close()
        raise
    watcher = Watcher(
        scopes,
        settings=WatchSettings(
            sweep_interval=sweep_interval,
            apply=ApplySettings(
                journal=journal, lock_timeout=lock_timeout, settle_time=SETTLE_TIME
            ),
        ),
        emit=emit,
        metrics=metrics,
        debouncer=Debouncer(quiet=debounce),
        reload=lambda: load_scopes(folders, on_drift=on_drift, metrics=metrics),
        issues=issues,
    )
    names = [scope.name for scope in scopes]
    try:
        listener = bind(host, port)
        with serving(receiver_app(watcher, token=token), listener) as origin:
            emit(
                record(
                    "watch.started",
                    scopes=names,
                    listening=masked_hook_url(origin),
                    sweep_interval=sweep_interval,
                    on_drift={scope.name: scope.policy.value for scope in scopes},
                )
            )
            register_all(scopes, public_url=public_url, token=token, emit=emit)
            with stop_signals(watcher):
                watcher.run()
    finally:
        for scope in watcher.scopes.values():
            scope.close()
        if issues is not None:
            issues.api.close()
    emit(record("watch.stopped", scopes=names))


def drift_issues(repository: str, *, emit: Emit) -> DriftIssues:
    """The drift issues kept in `repository`, through a client built as the Action builds its
    own: the token from GITHUB_TOKEN (never shown), the API at GITHUB_API_URL."""
    if not REPOSITORY_PATTERN.fullmatch(repository):
        raise ReconcilerError(
            f"--github-issues takes the repository as OWNER/REPO, not {repository!r} "
            '(in a workflow: --github-issues "$GITHUB_REPOSITORY")'
        )
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise ReconcilerError(
            "--github-issues needs a token in GITHUB_TOKEN that may write issues "
            "(`issues: write` in a workflow, or a fine-grained token with Issues: write)"
        )
    redaction.register_secrets([token])
    client = api_client(token=token, api_url=os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
    return DriftIssues(api=IssuesApi(rest=RestApi(client=client), repository=repository), emit=emit)


def load_scopes(
    paths: Sequence[Path], *, on_drift: str | None, metrics: WatchMetrics
) -> list[WatchedScope]:
    """Every configuration loaded, each its own scope; all or none (a failure closes those
    already built)."""
    scopes: list[WatchedScope] = []
    try:
        for path in paths:
            scopes.append(load_scope(path, on_drift=on_drift, metrics=metrics))
        names = [scope.name for scope in scopes]
        if len(set(names)) != len(names):
            raise ReconcilerError(
                f"two configurations have the same scope ({', '.join(sorted(names))}): give "
                "each its own `providers.stack` (or folder name) so that their objects stay apart"
            )
    except BaseException:
        for scope in scopes:
            scope.close()
        raise
    return scopes


@contextmanager
def watched(path: Path, *, on_drift: str | None, metrics: WatchMetrics) -> Iterator[WatchedScope]:
    """One configuration watched for the length of the block."""
    scope = load_scope(path, on_drift=on_drift, metrics=metrics)
    try:
        yield scope
    finally:
        scope.close()


def load_scope(path: Path, *, on_drift: str | None, metrics: WatchMetrics) -> WatchedScope:
    """One configuration loaded and its providers built, for the life of the process (no run
    deadline: each request keeps its own timeouts and retries)."""
    state = load(path)
    redaction.register_secrets(
        secret for provider in state.providers.values() for secret in provider.secrets
    )
    options = {key: value for key, value in transport_options().items() if key != "deadline"}
    providers = build_providers(state, **options)
    for name, provider in providers.items():
        meter(provider.client, functools.partial(metrics.answered, name))
    if on_drift is None and "on_drift" not in state.defaults.written:
        # Unlike apply, which a person runs after reading the plan's drift lines, watch acts
        # unattended: putting a colleague's edit back is asked for, never assumed (Argo CD's
        # self-heal is opt-in too).
        on_drift = DriftPolicy.KEEP.value
    shaping = Shaping.of(
        state.defaults,
        prune=None,
        adopt=None,
        adopt_unscoped=None,
        strict=None,
        on_drift=on_drift,
        max_change_percent=None,
    )
    return WatchedScope(
        name=state.scope.name if state.scope is not None else "default",
        path=path,
        state=state,
        providers=providers,
        policy=shaping.on_drift,
        plan_options=PlanOptions(
            adopt=shaping.adopt,
            adopt_unscoped=shaping.adopt_unscoped,
            strict=shaping.strict,
            rails=Rails(threshold_percent=shaping.max_change_percent),
            on_drift=DriftPolicy.REVERT,
            policies=policy_sets(state),
            policy_context=policy_context(state, base_ref=None),
            windows=state.windows,
        ),
    )


def webhook_token(public_url: str | None) -> str:
    """The hook's secret from the environment; without one (and without a public URL to
    register), one made for this process."""
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        if public_url is not None:
            raise ReconcilerError(
                f"--public-url needs the webhook token in {TOKEN_VARIABLE} (e.g. `openssl rand "
                "-hex 24`): a registration must survive restarts"
            )
        token = secrets.token_urlsafe(24)
    elif not TOKEN_PATTERN.fullmatch(token):
        raise ReconcilerError(
            f"{TOKEN_VARIABLE} must be at least 16 characters of letters, digits and ._~- (it "
            "is part of a URL path); e.g. `openssl rand -hex 24`"
        )
    redaction.register_secrets([token])
    return token


def stream(log_format: str) -> Emit:
    """Where the event stream goes: stdout, as JSON lines or as text lines."""

    def emit(event: dict[str, Any]) -> None:
        if log_format == "json":
            click.echo(redact_json(event, shapes=False))
            return
        rest = " ".join(
            f"{name}={_text(value)}"
            for name, value in event.items()
            if name not in {"event", "at"} and value not in (None, [], {})
        )
        click.echo(visible(redaction.redact(f"{event['at']} {event['event']} {rest}")))

    return emit


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


class JsonLogFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message."""

    def format(self, log_record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "at": self.formatTime(log_record, "%Y-%m-%dT%H:%M:%S"),
                "level": log_record.levelname.lower(),
                "logger": log_record.name,
                "message": log_record.getMessage(),
            }
        )


@contextmanager
def stop_signals(watcher: Watcher) -> Iterator[None]:
    """SIGTERM and SIGINT stop the watcher (the work in hand is finished, then the process
    exits 0), SIGHUP has it read the configurations again; the handlers before are put back
    after."""

    def stop(signum: int, _: FrameType | None) -> None:
        watcher.stop()

    def reload(signum: int, _: FrameType | None) -> None:
        watcher.ask_reload()

    before = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    if RELOAD_SIGNAL is not None:
        before[RELOAD_SIGNAL] = signal.signal(RELOAD_SIGNAL, reload)
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)

"""`--sandbox`: the emulators served in-process on loopback, with their own credentials.

This module and `reconciler sandbox` are the only client-side code that imports the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.config.settings import SECRET_SETTINGS
from reconciler.errors import ReconcilerError
from reconciler.local_files import make_folder, refuse_link
from reconciler.model import Location, ProviderSettings

try:
    from reconciler.sandbox import SandboxSettings, create_app
    from reconciler.sandbox.server import running
except ModuleNotFoundError as missing:
    # The container image leaves the emulators out: it talks to real accounts only.
    if not (missing.name or "").startswith("reconciler.sandbox"):
        raise
    raise ReconcilerError(
        "this installation has no sandbox (the container image leaves it out); run "
        "--sandbox and `reconciler sandbox` from a pip install of reconciler instead"
    ) from None

# Which of an emulator's published credentials a provider setting takes.
SETTING_NAMES = {
    "prevail": ("company_id", "api_key"),
    "prospero": ("email", "password"),
    "previsto": ("api_key",),
}


@contextmanager
def embedded_sandbox(db: Path) -> Iterator[dict[str, ProviderSettings]]:
    """Serve the sandbox persisted in `db`; yields provider settings pointing at it."""
    prepare_db(db, fix="choose another --sandbox-db")
    sandbox = create_app(SandboxSettings(db_path=str(db)))
    try:
        with running(sandbox) as origin:
            settings: dict[str, ProviderSettings] = {}
            for name, emulator in sandbox.emulators.items():
                values = {
                    setting: emulator.credentials[setting]
                    for setting in SETTING_NAMES[name]
                    if setting in emulator.credentials
                }
                values["base_url"] = f"{origin}/{name}"
                settings[name] = ProviderSettings(
                    name=name,
                    settings=values,
                    # Every published credential, the fixed tokens too: all are redacted.
                    secrets=frozenset(
                        value
                        for key, value in emulator.credentials.items()
                        if key in SECRET_SETTINGS | {"access_token"}
                    ),
                    location=Location(str(db), 1, 1),
                )
            yield settings
    finally:
        sandbox.store.close()


def prepare_db(db: Path, *, fix: str) -> None:
    """Create the database's folder; refuse a database file that is a symbolic link. SQLite
    cannot be asked to open without following one (Python's sqlite3 does not pass
    SQLITE_OPEN_NOFOLLOW), so the link is looked for first."""
    make_folder(db.parent, what="the sandbox's database", fix=fix)
    refuse_link(db, what="the sandbox's database", fix=fix)


def serve_foreground(
    *,
    host: str,
    port: int,
    db: str,
    admin: bool = False,
    previsto_rate_limit: int = 120,
    previsto_max_page_size: int = 100,
    seed: bool = True,
    shared: bool = False,
) -> None:
    """`reconciler sandbox`: bind, print the base URLs and credentials, serve until Ctrl-C.
    `shared`: `db` is the one `--sandbox` runs use by default (the banner says so)."""
    import errno

    import click

    from reconciler.sandbox.server import bind, serve

    try:
        listener = bind(host, port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ReconcilerError(
                f"port {port} on {host} is already in use (another sandbox?): stop it, or "
                "choose another port with --port"
            ) from None
        reason = error.strerror or error
        raise ReconcilerError(f"cannot listen on {host}:{port}: {reason}") from None
    port = listener.getsockname()[1]  # the port chosen when asked for 0
    if db != ":memory:":
        prepare_db(Path(db), fix="choose another --db")
    sandbox = create_app(
        SandboxSettings(
            db_path=db,
            admin=admin,
            previsto_requests_per_minute=previsto_rate_limit,
            previsto_max_page_size=previsto_max_page_size,
            seed=seed,
        )
    )
    origin = f"http://{host}:{port}"
    click.echo(f"reconciler sandbox on {origin} (state: {db}"
               f"{', shared with --sandbox' if shared else ''})")
    for name, emulator in sandbox.emulators.items():
        click.echo(f"  {name:<9} base_url {origin}/{name}")
        for setting, value in emulator.credentials.items():
            click.echo(f"            {setting}: {value}")
    click.echo("Press Ctrl-C to stop.")
    try:
        serve(sandbox, listener)
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully, then re-raises the Ctrl-C it caught: a normal stop.
        pass
    finally:
        sandbox.store.close()
        click.echo("sandbox stopped")

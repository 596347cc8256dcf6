"""`reconciler sandbox`: serve the emulators in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import SANDBOX_DB, examples, handle_errors


@click.command(epilog=examples(
    "reconciler sandbox",
    "reconciler sandbox --port 9000 --db :memory:",
))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option(
    "--db",
    default=SANDBOX_DB.as_posix(),
    show_default=True,
    help="SQLite file for the state: by default the one `--sandbox` runs use, so both see one "
    "state; `:memory:` keeps none.",
)
@click.option("--admin", is_flag=True, hidden=True, help="Serve /_sandbox (faults, seeding).")
@click.option(
    "--previsto-rate-limit",
    type=click.IntRange(1),
    default=120,
    show_default=True,
    help="Previsto's requests per minute per key.",
)
@click.option(
    "--previsto-max-page-size",
    type=click.IntRange(1, 1000),
    default=100,
    show_default=True,
    help="Previsto's largest page (size): 100 as its API reference says, up to 1000 as its "
    "newer developer pages say.",
)
@click.option(
    "--seed/--no-seed",
    default=True,
    show_default=True,
    help="On first start, give each emulator its demo organisation's objects (the examples' "
    "assignments among them); --no-seed starts with none.",
)
@handle_errors
def sandbox(
    host: str,
    port: int,
    db: str,
    admin: bool,
    previsto_rate_limit: int,
    previsto_max_page_size: int,
    seed: bool,
) -> None:
    """Serve the Prevail, Prospero and Previsto emulators (Ctrl-C stops)."""
    from reconciler.cli.embedded import serve_foreground

    serve_foreground(
        host=host,
        port=port,
        db=db,
        admin=admin,
        previsto_rate_limit=previsto_rate_limit,
        previsto_max_page_size=previsto_max_page_size,
        seed=seed,
        shared=Path(db) == SANDBOX_DB,
    )

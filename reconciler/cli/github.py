"""`reconciler github ...`: the GitHub Action's steps (placeholder until implemented)."""

from __future__ import annotations

import click


@click.group(hidden=True)
def github() -> None:
    """Steps of the GitHub Action (job summary, PR comment, outputs, annotations)."""

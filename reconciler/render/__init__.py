"""Renderers: one per format, all reading the same Plan."""

from __future__ import annotations

from reconciler.render.json import plan_document
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

__all__ = ["plan_document", "render_markdown", "render_text"]

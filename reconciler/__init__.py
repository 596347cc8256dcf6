"""reconciler: a declarative, GitOps-ready reconciler for scheduling SaaS APIs."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"

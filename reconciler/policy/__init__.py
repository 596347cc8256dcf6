"""The team's own rules over the plan: declarative rules (CEL) and external commands.

The engine asks (`judge`) with the plan and a context; this package reads the Plan through its
published JSON form and never imports the engine.
"""

from __future__ import annotations

from reconciler.policy.sets import PolicyContext, PolicySet, judge, load_set

__all__ = ["PolicyContext", "PolicySet", "judge", "load_set"]

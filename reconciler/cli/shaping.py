"""The options that shape a plan, in effect: a flag where one was given, else the
configuration's `defaults:`, else the built-in value; and the check that a saved plan is applied
with the options it was made with.

`plan` and `apply` read the same `defaults:`, so the two jobs of a pipeline that plans in one
place and applies in another share them without repeating them; a saved plan records the options
in effect (its `source`), and `apply` refuses a flag that would apply it otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.config.plan_defaults import PlanDefaults
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.planfile import SavedPlan
from reconciler.errors import ReconcilerError

# The fix a refusal names: one place both jobs read.
SHARED_FIX = "put shared options in providers.yaml's defaults: block"


@dataclass(frozen=True, kw_only=True)
class Shaping:
    """The options a plan is made with, as in effect."""

    prune: bool
    adopt: bool
    adopt_unscoped: bool
    strict: bool
    on_drift: DriftPolicy
    max_change_percent: float

    @classmethod
    def of(
        cls,
        defaults: PlanDefaults,
        *,
        prune: bool | None,
        adopt: bool | None,
        adopt_unscoped: bool | None,
        strict: bool | None,
        on_drift: str | None,
        max_change_percent: float | None,
    ) -> Shaping:
        """Each flag given wins over the configuration's default."""
        return cls(
            prune=defaults.prune if prune is None else prune,
            adopt=defaults.adopt if adopt is None else adopt,
            adopt_unscoped=defaults.adopt_unscoped if adopt_unscoped is None else adopt_unscoped,
            strict=defaults.strict if strict is None else strict,
            on_drift=DriftPolicy(defaults.on_drift if on_drift is None else on_drift),
            max_change_percent=(
                defaults.max_change_percent if max_change_percent is None else max_change_percent
            ),
        )

    def source(self) -> dict[str, Any]:
        """What a plan document's `source` records of them."""
        return {
            "prune": self.prune,
            "adopt": self.adopt,
            "adopt_unscoped": self.adopt_unscoped,
            "strict": self.strict,
            "on_drift": self.on_drift.value,
            "max_change_percent": self.max_change_percent,
        }


def check_saved_options(
    saved: SavedPlan, *, on_drift: str | None, switches: Mapping[str, bool | None]
) -> None:
    """A saved plan is applied with the options it was reviewed with; a flag that asks otherwise
    is refused (as Terraform refuses options that would change a saved plan) rather than
    dropped. An option not given is the plan's: the configuration's `defaults:` are the same
    on both sides, as the plan's configuration fingerprint makes sure."""
    made_with = {"prune": saved.prune, "adopt": saved.adopt,
                 "adopt-unscoped": saved.adopt_unscoped, "strict": saved.strict}
    had: list[str] = []
    has: list[str] = []
    for flag, asked in switches.items():
        if asked is not None and asked != made_with[flag]:
            if made_with[flag]:
                had.append(f"--{flag}")
            has.append(f"--{flag}" if asked else f"--no-{flag}")
    if on_drift is not None and DriftPolicy(on_drift) is not saved.on_drift:
        had.append(f"--on-drift {saved.on_drift.value}")
        has.append(f"--on-drift {on_drift}")
    if has:
        raise ReconcilerError(
            "the plan job and the apply job pass different options: plan had "
            f"{', '.join(had) or 'none'}, apply has {', '.join(has)}; {SHARED_FIX} (or make "
            "the plan again with the same options)"
        )

"""The config stage: YAML files in, a validated `DesiredState` out.

    discovery ─▶ yaml/ (read with positions) ─▶ schema ─▶ checks, recurrence, working hours
                                                      └─▶ settings (providers block, ${NAME})

`load` is the one entry point; every problem found on the way is a `ConfigIssue` with its
FILE:LINE:COL, and `load` raises them together in one `ConfigError`.
"""

from reconciler.config.loader import DesiredState, load, load_text
from reconciler.config.settings import secret_variables

__all__ = ["DesiredState", "load", "load_text", "secret_variables"]

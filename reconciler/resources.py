"""Where the project's published schemas live, for code that reads them at run time.

The JSON Schema of the YAML format and the OpenAPI descriptions sit in the top-level `schemas/`
folder (published for editors and API readers); the package reads them from there.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def schema_path(relative: str) -> Path:
    return SCHEMAS / relative


@cache
def load_json(relative: str) -> Any:
    with schema_path(relative).open(encoding="utf-8") as handle:
        return json.load(handle)

"""The project's published files (JSON Schemas, OpenAPI, zone data), for code that reads them.

The JSON Schema of the YAML format and the OpenAPI descriptions sit in the top-level `schemas/`
folder (published for editors and API readers). A wheel carries that folder inside the package
(`reconciler/schemas`, mapped in pyproject.toml), which is how the GitHub Action and any
`pip install` get it; a source checkout installed in editable mode reads the folder itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent
SCHEMAS = _PACKAGE / "schemas" if (_PACKAGE / "schemas").is_dir() else _PACKAGE.parent / "schemas"


def published_file(relative: str) -> Path:
    return SCHEMAS / relative


@cache
def load_published(relative: str) -> Any:
    with published_file(relative).open(encoding="utf-8") as handle:
        return json.load(handle)

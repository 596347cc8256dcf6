"""One parsed config file: its document, where each value is, and which paths are flawed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.config.yaml import JsonPath, SourceMap


@dataclass(frozen=True, kw_only=True)
class ConfigFile:
    """One parsed file and the paths that already have an issue (later checks skip them)."""

    name: str
    document: Mapping[str, Any]
    source: SourceMap
    flawed: frozenset[JsonPath]

    def clean(self, path: JsonPath) -> bool:
        if not self.flawed:  # the usual case, decided without a pass over the paths
            return True
        return not any(bad[: len(path)] == path for bad in self.flawed)

    def flawed_fields(self, path: JsonPath) -> frozenset[str]:
        """The fields of the object at `path` that already have an issue."""
        if not self.flawed:  # the usual case, decided without a pass over the object's paths
            return frozenset()
        return frozenset(str(bad[2]) for bad in self.flawed if len(bad) > 2 and bad[:2] == path)

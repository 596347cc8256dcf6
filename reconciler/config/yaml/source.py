"""Where the values of a config file start: the map back to FILE:LINE:COL that issues point at.

Two kinds, one interface: a `MarkedSourceMap` holds every position PyYAML recorded while reading
(`marked`); a file read without marks gets a `DeferredSourceMap` (`reader`),
which finds positions when asked.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.config.yaml.locate import JsonPath
from reconciler.model import ConfigIssue, Location

# How deep values may nest: no schedule needs more than a handful of levels, and every level
# deeper costs the readers stack and time.
MAX_DEPTH = 100

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: JsonPath) -> str:
    """`events[2].location.name`; names that are not plain identifiers are quoted in brackets."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_NAME.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


class SourceMap(ABC):
    """Where the values (and mapping keys) of one file start."""

    def __init__(self, file: str) -> None:
        self.file = file

    @abstractmethod
    def value_at(self, path: JsonPath) -> Location:
        """Where the value at `path` starts (or its nearest recorded ancestor)."""

    @abstractmethod
    def at(self, path: JsonPath) -> Location:
        """Where an issue about `path` points: a mapping entry's key, else the value's start."""

    def entry_starts(self, name: str, count: int) -> Sequence[Location]:
        """Where each of the `count` items of the top-level list `name` starts."""
        return [self.value_at((name, index)) for index in range(count)]

    def issue(self, path: JsonPath, message: str) -> ConfigIssue:
        return ConfigIssue(self.at(path), format_path(path), message)


class MarkedSourceMap(SourceMap):
    """Every position recorded while the file was read."""

    def __init__(
        self,
        file: str,
        values: Mapping[JsonPath, Location],
        keys: Mapping[JsonPath, Location],
    ) -> None:
        super().__init__(file)
        self.values = values
        self.keys = keys

    def value_at(self, path: JsonPath) -> Location:
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return Location(self.file, 1, 1)

    def at(self, path: JsonPath) -> Location:
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            found = self.keys.get(prefix) or self.values.get(prefix)
            if found is not None:
                return found
        return Location(self.file, 1, 1)


@dataclass(frozen=True, kw_only=True)
class ParsedFile:
    """One file's document (None when it could not be read as YAML) and what went wrong."""

    document: Any
    source: SourceMap
    issues: tuple[tuple[JsonPath, ConfigIssue], ...]

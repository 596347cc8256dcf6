"""One parsed config file: its document, where each value is, and which paths are flawed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.model import ConfigIssue

# Whether a path has no issue yet: the checks that read a section skip a flawed path, whose
# issue the schema has already said.
Clean = Callable[[JsonPath], bool]
# What a section's reader gets of each file: its document, where each value is, and `Clean`.
FileView = tuple[Mapping[str, Any], SourceMap, Clean]

# The flawed paths as a tree of their parts: a path is a prefix of some flawed path exactly when
# it can be walked from the root.
PathTree: TypeAlias = "dict[str | int, PathTree]"


@dataclass(frozen=True, kw_only=True)
class ConfigFile:
    """One parsed file and the paths that already have an issue (later checks skip them)."""

    name: str
    document: Mapping[str, Any]
    source: SourceMap
    flawed: frozenset[JsonPath]
    # Built once from `flawed`: a question about one path then walks that path, instead of
    # comparing it with every flawed path (20,000 flawed objects made that 20,000 x 20,000).
    _tree: PathTree = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tree", path_tree(self.flawed))

    def clean(self, path: JsonPath) -> bool:
        """No issue at `path` or anywhere under it."""
        return self._under(path) is None

    def flawed_fields(self, path: JsonPath) -> frozenset[str]:
        """The fields of the object at `path` that already have an issue."""
        below = self._under(path)
        return frozenset() if below is None else frozenset(str(name) for name in below)

    def _under(self, path: JsonPath) -> PathTree | None:
        """The tree of flawed paths below `path`, or None when none lies at or under it."""
        if not self.flawed:  # the usual case, decided without a walk
            return None
        node = self._tree
        for part in path:
            found = node.get(part)
            if found is None:
                return None
            node = found
        return node


def path_tree(paths: frozenset[JsonPath]) -> PathTree:
    """`paths` as a tree of their parts, in one pass over them."""
    root: PathTree = {}
    for path in paths:
        node = root
        for part in path:
            node = node.setdefault(part, {})
    return root


def one_section(
    files: Sequence[FileView], section: str, issues: list[ConfigIssue], *, twice: str
) -> Iterator[tuple[Mapping[str, Any], SourceMap, Clean]]:
    """The `section` block of the one file that has it (with that file's source and `Clean`);
    the same section in a later file is an issue, `twice` saying so (`{first}`: where the first
    one is)."""
    first = None
    for document, source, clean in files:
        block = document.get(section)
        if not isinstance(block, Mapping):
            continue
        if first is not None:
            issues.append(source.issue((section,), twice.format(first=first)))
            continue
        first = source.at((section,))
        yield block, source, clean

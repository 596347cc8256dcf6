"""A parsed file's flawed paths: asked about per object, read once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reconciler.config.document import ConfigFile
from reconciler.config.yaml import JsonPath, parse_yaml

OBJECTS = 2_000


class CountedPaths(frozenset[JsonPath]):
    """Flawed paths that count how many of them have been read, over every pass."""

    reads: int

    def __new__(cls, paths: Iterable[JsonPath]) -> CountedPaths:
        made = super().__new__(cls, paths)
        made.reads = 0
        return made

    def __iter__(self) -> Iterator[JsonPath]:
        for path in super().__iter__():
            self.reads += 1
            yield path


def config_file(flawed: frozenset[JsonPath]) -> ConfigFile:
    parsed = parse_yaml("version: 1\n", "f.yaml")
    return ConfigFile(name="f.yaml", document={}, source=parsed.source, flawed=flawed)


def reference_clean(flawed: Iterable[JsonPath], path: JsonPath) -> bool:
    """The plain definition: no flawed path starts with `path`."""
    return not any(bad[: len(path)] == path for bad in flawed)


def reference_fields(flawed: Iterable[JsonPath], path: JsonPath) -> frozenset[str]:
    """The plain definition: the next part of each flawed path that lies under `path`."""
    return frozenset(
        str(bad[len(path)]) for bad in flawed if len(bad) > len(path) and bad[: len(path)] == path
    )


def test_asking_about_every_object_reads_the_flawed_paths_once() -> None:
    # One unknown field per object: each object's question, answered by a pass over all flawed
    # paths, would read OBJECTS x OBJECTS of them.
    flawed = CountedPaths(("events", index, "unknown_field") for index in range(OBJECTS))
    file = config_file(flawed)

    for index in range(OBJECTS):
        assert not file.clean(("events", index))
        assert file.flawed_fields(("events", index)) == {"unknown_field"}
    assert file.clean(("events", OBJECTS))
    assert file.flawed_fields(("sessions", 0)) == frozenset()

    assert flawed.reads == OBJECTS


def test_answers_match_the_plain_definitions() -> None:
    flawed: frozenset[JsonPath] = frozenset({
        ("events", 0, "unknown_field"),
        ("events", 0, "start"),
        ("events", 2),
        ("events", 3, "location", "name"),
        ("events", 4, 1),
        ("providers", "prospero", "token"),
        ("sessions",),
        (),
    })
    file = config_file(flawed)
    asked: set[JsonPath] = {bad[:end] for bad in flawed for end in range(len(bad) + 1)}
    asked |= {("events", 1), ("events", 0, "title"), ("events", "0"), ("sessions", 0),
              ("assignments",), ("providers", "prevail", "token"), ("events", 3, "location", 1)}

    for path in sorted(asked, key=repr):
        assert file.clean(path) == reference_clean(flawed, path), path
        assert file.flawed_fields(path) == reference_fields(flawed, path), path


def test_a_file_without_flawed_paths_is_clean_everywhere() -> None:
    file = config_file(frozenset())
    assert file.clean(())
    assert file.clean(("events", 0))
    assert file.flawed_fields(("events", 0)) == frozenset()

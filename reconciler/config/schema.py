"""Schema validation of one config file, with every violation as a one-line ConfigIssue.

The JSON Schema (`schemas/reconciler.schema.json`, published for editors) is the formal format;
this module runs it with `Draft202012Validator` and words each violation for people: the field's
path, FILE:LINE:COL from the YAML marks, a did-you-mean for unknown names. Values under
`providers` are never echoed, so that no message can carry a secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:  # jsonschema is imported only when a file is invalid (it costs ~80 ms)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from reconciler.config.hints import close_match
from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.model import ConfigIssue
from reconciler.published import load_published

SCHEMA_FILE = "reconciler.schema.json"
# Previsto metadata keys the reconciler writes itself; the schema counts them toward its 20.
RESERVED_METADATA_KEYS = ("reconciler_key", "reconciler_owned", "reconciler_scope")

KEY_RULE = (
    "must be 1 to 63 characters: lowercase letters, digits, '.', '_' or '-', "
    "starting with a letter or digit"
)
LITERAL_SECRET = "literal secrets are refused: write ${NAME} and set NAME in the environment"
_PATTERN_RULES = {
    "^[a-z0-9][a-z0-9._-]{0,62}$": KEY_RULE,
    "^[a-z0-9][a-z0-9._/-]{0,99}$": (
        "must be 1 to 100 characters: lowercase letters, digits, '.', '_', '/' or '-', "
        "starting with a letter or digit"
    ),
    "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$": LITERAL_SECRET,
    "^(https?://|\\$\\{[A-Za-z_][A-Za-z0-9_]*\\})\\S*$": (
        "must be an http:// or https:// URL (or a ${NAME} reference)"
    ),
    "^https?://\\S+$": "must be an http:// or https:// URL",
    "^[^@\\s]+@[^@\\s]+$": "must be an email address",
    "^\\d{4}-\\d{2}-\\d{2}$": "must be a date like 2026-12-03",
    "^([01]\\d|2[0-3]):[0-5]\\d$": "must be a time of day like 09:00",
    "^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$": "must be a time of day like 17:30 (or 24:00)",
    "^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$": (
        "is not an ISO 8601 date-time (e.g. 2026-12-01T09:00, or 2026-12-12T18:00:00+01:00 "
        "with an offset)"
    ),
    "^(\\(GMT[+-]\\d{2}:\\d{2}\\) )?[A-Za-z][A-Za-z0-9 _+./&()',-]*$": (
        "is not a time zone name: use an IANA name such as America/New_York"
    ),
}
_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}
_KIND_NOUNS = {"sessions": "a session", "events": "an event", "assignments": "an assignment"}


@cache
def schema() -> dict[str, Any]:
    document: dict[str, Any] = load_published(SCHEMA_FILE)
    return document


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


@cache
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(schema())


def schema_issues(document: Any, source: SourceMap) -> list[tuple[JsonPath, ConfigIssue]]:
    """Every schema violation of one file, each located by the file's marks.

    jsonschema-rs (compiled) answers "valid?" for a 10,000-object file in milliseconds; only an
    invalid file goes through jsonschema's error tree, which words the messages.
    """
    if _fast_validator().is_valid(document):
        return []
    found: list[tuple[JsonPath, ConfigIssue]] = []
    for error in _validator().iter_errors(document):
        for path, message in _explain(error):
            found.append((path, source.issue(path, message)))
    return found


def _explain(error: ValidationError) -> Iterator[tuple[JsonPath, str]]:
    """Turn one jsonschema error into (path, message) pairs (several for additionalProperties)."""
    path: JsonPath = tuple(error.absolute_path)
    # jsonschema types these as "set or Unset"; a reported error always has them set.
    instance: Any = error.instance
    expected: Any = error.validator_value
    schema: Any = error.schema
    kind = error.validator
    in_providers = bool(path) and path[0] == "providers"

    if "propertyNames" in error.relative_schema_path:
        yield from _explain_property_name(error, path)
    elif kind in ("anyOf", "oneOf"):
        yield from _explain_alternatives(error, path)
    elif kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        for name in instance:
            if name not in known:
                yield (*path, name), _unknown(path, name, known)
    elif kind == "required":
        for name in expected:
            if name not in instance:
                yield path, f'missing required field "{name}"'
    else:
        message = _value_message(str(kind), path, instance, expected, in_providers=in_providers)
        # A keyword this module does not word yet: jsonschema's own text, never a secret.
        fallback = "is not valid here" if in_providers else error.message
        yield path, message if message is not None else fallback


_BOUNDS = {
    "minimum": "at least",
    "exclusiveMinimum": "greater than",
    "maximum": "at most",
    "exclusiveMaximum": "less than",
}


def _value_message(
    kind: str, path: JsonPath, instance: Any, expected: Any, *, in_providers: bool
) -> str | None:
    """The message for a keyword about one value's type, form or size (None: not worded)."""
    if kind == "type":
        return _type_message(expected, instance, echo=not in_providers)
    if kind == "enum":
        return _enum_message(path, expected, instance, echo=not in_providers)
    if kind == "const":
        if path == ("version",):
            return f"unsupported version {_show(instance)}: this reconciler reads version 1"
        return f"must be {_show(expected)}"
    if kind == "pattern":
        rule = _PATTERN_RULES.get(expected, "has the wrong form")
        if path and path[-1] == "key" and not in_providers:
            return f"key {_show(instance)} {rule}"
        if in_providers or rule == LITERAL_SECRET:
            return rule
        return f"{_show(instance)} {rule}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "maxLength":
        return f"is too long: {len(instance)} characters, at most {expected} allowed"
    if kind in _BOUNDS:
        return f"must be {_BOUNDS[kind]} {expected}"
    if kind == "maxProperties":
        return _too_many(path, instance, expected)
    if kind == "minProperties":
        if path and path[-1] == "select":
            return "select is empty: give an id or at least one filter"
        return "must not be empty"
    if kind == "uniqueItems":
        return "lists the same item twice"
    return None


def _explain_property_name(
    error: ValidationError, path: JsonPath
) -> Iterator[tuple[JsonPath, str]]:
    name = str(error.instance)
    where: JsonPath = (*path, name)
    if error.validator == "not":
        if path and path[-1] == "metadata":
            yield (
                where,
                (
                    f'"{name}" is reserved for the reconciler\'s own bookkeeping (with '
                    f"{_reserved_list()}); choose another key"
                ),
            )
        else:
            yield where, f'"{name}" is reserved: the reconciler keeps its key there'
    elif error.validator == "maxLength":
        yield (
            where,
            (
                f'the key "{name}" is too long: {len(name)} characters, at most '
                f"{error.validator_value} allowed"
            ),
        )
    elif error.validator == "minLength":
        yield where, "a key must not be empty"
    elif error.validator == "pattern" and error.validator_value in _PATTERN_RULES:
        yield where, f'the key "{name}" {_PATTERN_RULES[error.validator_value]}'
    else:
        yield where, f'the key "{name}" is not allowed here'


def _explain_alternatives(error: ValidationError, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """anyOf/oneOf: explain the branches that accept this type of value, else say which types."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = {
        index: errors
        for index, errors in branches.items()
        if not any(sub.validator == "type" and len(sub.relative_schema_path) == 2 for sub in errors)
    }
    alternatives: Sequence[dict[str, Any]] = error.validator_value  # type: ignore[assignment]
    if not fitting:
        types = [branch.get("type") for branch in alternatives]
        flat = [t for entry in types for t in (entry if isinstance(entry, list) else [entry]) if t]
        yield path, _type_message(flat, error.instance, echo=path[:1] != ("providers",))
    elif all(sub.validator == "required" for errors in fitting.values() for sub in errors):
        needs = [" and ".join(alternatives[index]["required"]) for index in sorted(fitting)]
        yield path, "needs " + ", or ".join(needs)
    elif len(fitting) == 1:
        for sub in next(iter(fitting.values())):
            yield from _explain(sub)
    else:
        from jsonschema.exceptions import best_match

        yield from _explain(best_match(sub for errors in fitting.values() for sub in errors))


def _unknown(path: JsonPath, name: str, known: Iterable[str]) -> str:
    if path == ("providers",):
        what = "provider"
    elif len(path) == 2 and path[0] == "providers":
        what = "setting"
    elif not path:
        what = "section"
    else:
        what = "field"
    guess = close_match(name, list(known))
    hint = f' (did you mean "{guess}"?)' if guess else ""
    return f'unknown {what} "{name}"{hint}'


def _type_message(expected: str | list[str], instance: Any, *, echo: bool) -> str:
    wanted = [expected] if isinstance(expected, str) else list(dict.fromkeys(expected))
    words = [_TYPE_WORDS.get(name, name) for name in wanted]
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    message = f"must be {text}, not {_kind_of(instance)}"
    if "string" in wanted and isinstance(instance, int | float | bool) and echo:
        message += f' (quote it: "{_yaml_text(instance)}")'
    elif "string" in wanted and isinstance(instance, int | float | bool):
        message += " (quote it)"
    return message


def _enum_message(path: JsonPath, choices: list[Any], instance: Any, *, echo: bool) -> str:
    names = [str(choice) for choice in choices if choice is not None]
    guess = close_match(instance, names) if isinstance(instance, str) else None
    hint = f' (did you mean "{guess}"?)' if guess else ""
    if len(path) >= 2 and path[-2] == "ignore_changes" and path[0] in _KIND_NOUNS:
        return f"{_show(instance)} is not a field of {path[0]}{hint}"
    options = ", ".join(names) + (" or null" if None in choices else "")
    if not echo:
        return f"must be one of: {options}"
    return f"{_show(instance)} is not one of: {options}{hint}"


def _too_many(path: JsonPath, instance: Any, limit: int) -> str:
    if path and path[-1] == "select":
        return "select by id takes no other filters: give the id alone, or filters without it"
    if path and path[-1] == "metadata":
        reserved = len(_reserved_names())
        return (
            f"has {len(instance)} keys, at most {limit}: Previsto allows {limit + reserved} "
            f"per assignment and the reconciler keeps {reserved} of them ({_reserved_list()})"
        )
    return f"has {len(instance)} entries, at most {limit}"


def _reserved_names() -> list[str]:
    metadata = schema()["$defs"]["assignment"]["properties"]["metadata"]
    names: list[str] = metadata["propertyNames"]["not"]["enum"]
    return names


def _reserved_list() -> str:
    *first, last = _reserved_names()
    return f"{', '.join(first)} and {last}" if first else last


def _kind_of(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "true or false"
    if isinstance(instance, int | float):
        return "a number"
    if isinstance(instance, str):
        return "a string"
    if isinstance(instance, list):
        return "a list"
    return "a mapping"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

"""Schema validation of one config file, with every violation as a one-line ConfigIssue.

The JSON Schema (`schemas/reconciler.schema.json`, published for editors) is the formal format;
this module runs it with `Draft202012Validator` and words each violation for people: the field's
path, FILE:LINE:COL from the YAML marks, a did-you-mean for unknown names. Values under
`providers` are never echoed, so that no message can carry a secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:  # jsonschema is imported only when a file is invalid (it costs ~80 ms)
    from jsonschema.exceptions import ValidationError
    from jsonschema.validators import _Validator  # what every jsonschema validator class is

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
def _validator() -> _Validator:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    worded: type[_Validator] = extend(  # type: ignore[no-untyped-call]  # untyped in its stubs
        Draft202012Validator, {"items": _items}
    )
    # jsonschema looks a `$ref` up again each time it meets one (a third of its time on a file
    # with a problem in each of 40,000 objects); resolved once here, each error reads the same.
    return worded(resolved(schema()))


# What an object's schema may hold for `additionalProperties: false` to be all it says about
# unknown fields: then an object valid without them has no other problem.
_FIELDS_ONLY = frozenset(
    {"title", "description", "type", "properties", "required", "additionalProperties"}
)
# Each list items' schema met, kept alive with the compiled validator made for it.
_FAST_ITEMS: dict[int, tuple[dict[str, Any], jsonschema_rs.Draft202012Validator]] = {}


def _items(
    validator: _Validator, items: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's `items`, told by jsonschema-rs which items have anything to word.

    An item jsonschema-rs accepts is passed over, as a whole file it accepts is. An object it
    accepts once its unknown fields are left out has one problem, those fields, worded without
    checking each known field again. Every error reads as it would otherwise; a file with an
    unknown field in each of 40,000 objects takes half the time.
    """
    from jsonschema import Draft202012Validator

    if not isinstance(items, dict) or "prefixItems" in schema:
        yield from Draft202012Validator.VALIDATORS["items"](validator, items, instance, schema)
        return
    if not validator.is_type(instance, "array"):
        return
    if id(items) not in _FAST_ITEMS:
        _FAST_ITEMS[id(items)] = (items, jsonschema_rs.Draft202012Validator(items))
    fast = _FAST_ITEMS[id(items)][1]
    known: Mapping[str, Any] = items.get("properties", {})
    fields_only = items.get("additionalProperties") is False and set(items) <= _FIELDS_ONLY
    # The same keywords' verdict on the unknown fields alone, so that the error carries the
    # same message and path ("items", "additionalProperties").
    unknown_fields = {"properties": dict.fromkeys(known, True), "additionalProperties": False}
    for index, item in enumerate(instance):
        if fast.is_valid(item):
            continue
        if fields_only and isinstance(item, dict):
            declared = {name: value for name, value in item.items() if name in known}
            if len(declared) < len(item) and fast.is_valid(declared):
                yield from validator.descend(item, unknown_fields, path=index)
                continue
        yield from validator.descend(item, items, path=index)


# Keywords whose value is a schema, a mapping of names to schemas, or a list of schemas; every
# other keyword's value is data (enum, const, required...) and is kept as it is.
_SUBSCHEMA = frozenset({"additionalProperties", "contains", "else", "if", "items", "not",
                        "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties"})
_SUBSCHEMA_MAPS = frozenset({"$defs", "dependentSchemas", "patternProperties", "properties"})
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})


def resolved(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with each local `$ref` replaced by the schema it points at.

    Only annotations (title, description) may sit beside a `$ref` here, and they are dropped
    with it: what validates, and what an error carries, is the referenced schema either way.
    """

    def target(reference: str) -> Any:
        if not reference.startswith("#/"):
            raise ValueError(f"only local references are resolved, not {reference}")
        node: Any = document
        for part in reference[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def walk(node: Any, following: tuple[str, ...]) -> Any:
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        if isinstance(reference, str):
            if reference in following:
                raise ValueError(f"{reference} refers to itself")
            if set(node) - {"$ref", "title", "description"}:
                raise ValueError(f"keywords beside {reference} would be lost")
            return walk(target(reference), (*following, reference))
        copy: dict[str, Any] = {}
        for keyword, value in node.items():
            if keyword in _SUBSCHEMA:
                copy[keyword] = walk(value, following)
            elif keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
                copy[keyword] = {name: walk(item, following) for name, item in value.items()}
            elif keyword in _SUBSCHEMA_LISTS and isinstance(value, list):
                copy[keyword] = [walk(item, following) for item in value]
            else:
                copy[keyword] = value
        return copy

    resolved_document: dict[str, Any] = walk(document, ())
    return resolved_document


@cache
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(schema())


def schema_issues(document: Any, source: SourceMap) -> list[tuple[JsonPath, ConfigIssue]]:
    """Every schema violation of one file, each located by the file's marks.

    jsonschema-rs (compiled) answers "valid?" for a 10,000-object file in milliseconds; only an
    invalid file goes through jsonschema's error tree, which words the messages, and in it only
    the objects jsonschema-rs refuses (`_items`).
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

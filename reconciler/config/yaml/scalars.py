"""What an unquoted YAML scalar means: the YAML 1.2 core schema, as the fast reader resolves it.

Config files are read by ryaml (serde_yaml, in Rust) whenever it can read them, and by PyYAML,
which records where every value is, when a problem must be located or a feature ryaml lacks (tags,
merge keys) is used. Both must give a file the same meaning, so the PyYAML side resolves its plain
scalars with this function, which follows serde_yaml's rules (tests compare the two):

- `~`, `null`, `Null`, `NULL` and the empty scalar are null; `true`/`True`/`TRUE` and the
  `false` forms are booleans. `yes`, `no`, `on` and `off` are strings (YAML 1.1 read them as
  booleans; 1.2 does not).
- Integers: decimal, `0x` hex, `0o` octal, `0b` binary, with an optional sign. A number with a
  leading zero (`007`, `-012`) stays a string, as serde_yaml reads it, so codes keep their zeros.
- Floats: `1.5`, `.5`, `1.`, `1e3`, `.inf`, `-.inf`, `.nan`; a float that overflows stays a string.
- Dates and times stay strings: the engine parses instants itself.
"""

from __future__ import annotations

import math
import re

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_RADIX_DIGITS = {
    "0x": (16, re.compile(r"[0-9a-fA-F]+")),
    "0o": (8, re.compile(r"[0-7]+")),
    "0b": (2, re.compile(r"[01]+")),
}
_DECIMAL = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INFINITIES = {".inf": math.inf, ".Inf": math.inf, ".INF": math.inf}
_NEGATIVE_INFINITIES = frozenset({"-.inf", "-.Inf", "-.INF"})
_NANS = frozenset({".nan", ".NaN", ".NAN"})
# serde_yaml reads integers as 64-bit; a larger one is not read as a number by the fast reader.
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1
# More significant digits than 64 bits can hold, per radix: such a number is out of range
# without converting it (Python refuses to convert more than 4,300 decimal digits at all).
_MAX_DIGITS = {16: 16, 8: 22, 2: 64, 10: 20}


def resolve_plain(text: str) -> str | int | float | bool | None:
    """The value of an unquoted scalar written as `text`."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    number = _integer(text)
    if number is not None:
        return number
    if not _zero_padded(text):
        real = _float(text)
        if real is not None:
            return real
    return text


def _zero_padded(text: str) -> bool:
    """`007`, `+01`, `-012`: digits after a leading zero, which YAML 1.2 keeps as a string."""
    digits = text[1:] if text[:1] in ("-", "+") else text
    return len(digits) > 1 and digits[0] == "0" and digits[1:].isascii() and digits[1:].isdigit()


def _integer(text: str) -> int | None:
    negative = text.startswith("-")
    unsigned = text[1:] if text[:1] in ("-", "+") else text
    for prefix, (radix, digits) in _RADIX_DIGITS.items():
        if unsigned.startswith(prefix):
            rest = unsigned[len(prefix) :]
            if not digits.fullmatch(rest) or _too_long(rest, radix):
                return None
            return _bounded(-int(rest, radix) if negative else int(rest, radix))
    if _zero_padded(text) or not _DECIMAL.fullmatch(unsigned) or _too_long(unsigned, 10):
        return None
    return _bounded(-int(unsigned) if negative else int(unsigned))


def _too_long(digits: str, radix: int) -> bool:
    return len(digits.lstrip("0")) > _MAX_DIGITS[radix]


def _bounded(value: int) -> int | None:
    return value if in_64_bits(value) else None


def in_64_bits(value: int) -> bool:
    """Whether serde_yaml reads the integer as one (a signed or an unsigned 64-bit number)."""
    return _INT_MIN <= value <= _UINT_MAX


def _float(text: str) -> float | None:
    unsigned = text
    if text.startswith("+"):
        unsigned = text[1:]
        if unsigned[:1] in ("+", "-"):
            return None
    if unsigned in _INFINITIES:
        return _INFINITIES[unsigned]
    if text in _NEGATIVE_INFINITIES:
        return -math.inf
    if text in _NANS:
        return math.nan
    if not _FLOAT.fullmatch(unsigned):
        return None
    value = float(unsigned)
    return value if math.isfinite(value) else None

"""How counts read in what the tool prints: `1 session`, `2 sessions`, never `1 sessions` or
`change(s)`; and one spelling of the past of cancel, `cancelled` (Prevail's API spells the
state `canceled`, which stays as the API sends it)."""

from __future__ import annotations

# A kind (as the configuration names it) and the other nouns counted in messages, singular.
SINGULAR = {
    "sessions": "session",
    "events": "event",
    "assignments": "assignment",
    "changes": "change",
    "requests": "request",
    "objects": "object",
    "problems": "problem",
    "files": "file",
    "values": "value",
    "secret values": "secret value",
    "zone spellings": "zone spelling",
}


def counted(count: int, plural: str) -> str:
    """`1 session`, `0 sessions`, `1,200 events`: the count, and the noun that agrees with it
    (`plural` as the configuration or the message names many)."""
    noun = SINGULAR.get(plural, plural) if count == 1 else plural
    return f"{count:,} {noun}"

"""An import's audit text written column by column: the same JSON `AuditBatch.add` stores and
the same hashed tail `audit.hash_tail` gives, for 100,000 events without a `json.dumps` each.

Most cells of an import repeat (empty strings, one status, one import time), so each distinct
value of a column is encoded once and every event's text is joined from the pieces.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from json import encoder
from typing import Any

#: The string encoder `json.dumps(..., ensure_ascii=False)` uses (the C one where built).
_encode_text: Any = encoder.encode_basestring


def json_value(value: object) -> str:
    """`value` as `json.dumps(value, ensure_ascii=False)` writes it, dates and times as ISO text
    and decimals as text (what audit.snapshot stores)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str(_encode_text(value))
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, date | datetime):
        return str(_encode_text(value.isoformat()))
    if isinstance(value, Decimal):
        return str(_encode_text(str(value)))
    raise TypeError(f"{type(value).__name__} has no place in an import's audit text")


def json_objects(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Each row as the JSON object `json.dumps(dict(zip(columns, row)), ensure_ascii=False,
    sort_keys=True)` writes (with dates and decimals as `json_value`). A column holds one kind
    of value (and None): `True` and `1` in one column would be encoded alike."""
    if not rows:
        return []
    order = sorted(range(len(columns)), key=columns.__getitem__)
    table = list(zip(*rows, strict=True))
    pieces: list[Sequence[str]] = []
    for i in order:
        key = str(_encode_text(columns[i])) + ": "
        values = table[i]
        done = {v: key + json_value(v) for v in dict.fromkeys(values)}
        pieces.append(tuple(map(done.__getitem__, values)))
    return ["{" + ", ".join(parts) + "}" for parts in zip(*pieces, strict=True)]


def json_text(value: str | None) -> str:
    """An event's stored JSON text as `hash_tail` encodes it (a string, or null)."""
    return "null" if value is None else str(_encode_text(value))

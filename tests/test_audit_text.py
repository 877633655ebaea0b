"""An import's audit text written column by column is the text the event-by-event writer stores
and hashes: the same JSON objects, the same hashed tail, so the chain verifies either way."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from recordsdesk.services.audit import trail as audit
from recordsdesk.services.interchange.imports.audit_batch import _dump
from recordsdesk.services.interchange.imports.audit_text import json_objects, json_text

COLUMNS = ["name", "born", "at", "count", "flag", "gpa", "none", 'Quote"d']
ROWS: list[tuple[Any, ...]] = [
    ("José \"Pepe\" Núñez", date(2001, 2, 3), datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
     1, True, Decimal("3.50"), None, "tab\there"),
    ("O'Neil\n\\ \u2028 \x01", None, datetime(2026, 1, 2), 0, False, None, None, ""),
    ("", date(2001, 2, 3), datetime(2026, 1, 2), -7, True, Decimal("0"), None, "😀"),
]  # fmt: skip


def test_json_objects_match_the_dump_of_each_row() -> None:
    expected = [_dump(dict(zip(COLUMNS, row, strict=True))) for row in ROWS]
    assert json_objects(COLUMNS, ROWS) == expected
    assert json_objects(COLUMNS, []) == []


def test_json_text_is_what_the_hashed_tail_holds() -> None:
    for text in (*(_dump(dict(zip(COLUMNS, row, strict=True))) for row in ROWS), None, ""):
        assert json_text(text) == json.dumps(text, ensure_ascii=False)
        tail = audit.hash_tail("2026-01-02T03:04:05", 1, "u", "create", "student", "5", 5, text)
        assert tail.endswith("," + json_text(text))

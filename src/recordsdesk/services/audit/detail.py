"""What an import's per-student audit event holds, and every event's change in words.

An import audits each student once: one event (action `import`, the student as its entity)
whose `after` lists every row the import wrote for them, each with the file line it came from,
and whose `before` holds the old values of the rows it corrected. A million-row file then
writes some fifty thousand events instead of a million, and each change can still be traced
to its line. `change_text` reads any event's before and after, these included, for the audit
viewer and the record's Audit tab.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: The action of an import's per-student event.
IMPORT_ACTION = "import"
#: Keys of its `after` (and `before`): the student's own record when the import created it,
#: the rows it created for them, and the rows it corrected (old values in `before`).
CREATED, ROWS, CORRECTED = "student", "enrollments", "corrected"


@dataclass(slots=True)
class StudentDetail:
    """What one import writes for one student, gathered row by row: rows as dicts
    (`records`), or as lists in `columns` order (`rows`, a bulk import's cheaper form)."""

    created: dict[str, Any] | None = None
    columns: tuple[str, ...] = ()
    rows: list[list[Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    corrected_before: list[dict[str, Any]] = field(default_factory=list)
    corrected_after: list[dict[str, Any]] = field(default_factory=list)

    def event(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(before, after) of the student's event. The rows made are stored as one table,
        `{"columns": [...], "rows": [[...], ...]}`: the field names once, not once a row."""
        after: dict[str, Any] = {}
        if self.created is not None:
            after[CREATED] = self.created
        columns, rows = list(self.columns), list(self.rows)
        if self.records:
            columns += [
                k for k in dict.fromkeys(k for r in self.records for k in r) if k not in columns
            ]
            width = len(columns)
            rows = [row + [None] * (width - len(row)) for row in rows]
            rows += [[r.get(c) for c in columns] for r in self.records]
        if rows:
            after[ROWS] = {"columns": columns, "rows": rows}
        if self.corrected_after:
            after[CORRECTED] = self.corrected_after
        before = {CORRECTED: self.corrected_before} if self.corrected_before else None
        return before, after


def records_of(table: Any) -> list[dict[str, Any]]:
    """The rows of an event's table (`StudentDetail.event`) as dicts, field by field."""
    if isinstance(table, dict) and set(table) == {"columns", "rows"}:
        return [dict(zip(table["columns"], row, strict=False)) for row in table["rows"]]
    return list(table) if isinstance(table, list) else []


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {"": text}
    return value if isinstance(value, dict) else {"": value}


#: The order a row's fields are read in (the log stores them sorted by name).
_FIRST = ("term", "course", "section", "mark", "credits", "basis", "status")


def _record_text(record: dict[str, Any]) -> str:
    """`line 12: term 2019FA, course HIS101, ...`: a row of an import, its line first."""
    line = record.get("line")
    names = [k for k in _FIRST if k in record]
    names += [k for k in record if k not in _FIRST and k != "line"]
    rest = ", ".join(f"{k} {_text(record[k])}" for k in names)
    return f"line {line}: {rest}" if line is not None else rest


def _text(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"columns", "rows"}:
        return "; ".join(_record_text(r) for r in records_of(value))
    if isinstance(value, dict):
        return _record_text(value)
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


def _pair_text(old: Any, new: Any) -> str:
    """Corrected rows side by side: each row's unchanged fields once, the changed as old → new."""
    if not (isinstance(old, list) and isinstance(new, list) and len(old) == len(new)):
        return f"{_text(old)} → {_text(new)}"
    parts = []
    for was, now in zip(old, new, strict=True):
        if not (isinstance(was, dict) and isinstance(now, dict)):
            parts.append(f"{_text(was)} → {_text(now)}")
            continue
        merged = {
            k: now[k] if was.get(k) == now[k] else f"{_text(was.get(k))} → {_text(now[k])}"
            for k in now
        }
        parts.append(_record_text(merged))
    return "; ".join(parts)


def change_text(before: str, after: str) -> str:
    """`field: old → new` for each field of an event's JSON before and after; an import's rows
    one by one, each with its file line."""
    old, new = _loads(before), _loads(after)
    parts = []
    for name in sorted(set(old) | set(new)):
        if name in old and name in new:
            parts.append(f"{name}: {_pair_text(old[name], new[name])}")
        elif name in new:
            parts.append(f"{name}: {_text(new[name])}")
        else:
            parts.append(f"{name}: {_text(old[name])} → (removed)")
    return "; ".join(parts)

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
    """What one import writes for one student, gathered row by row."""

    created: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    corrected_before: list[dict[str, Any]] = field(default_factory=list)
    corrected_after: list[dict[str, Any]] = field(default_factory=list)

    def event(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(before, after) of the student's event."""
        after: dict[str, Any] = {}
        if self.created is not None:
            after[CREATED] = self.created
        if self.rows:
            after[ROWS] = self.rows
        if self.corrected_after:
            after[CORRECTED] = self.corrected_after
        before = {CORRECTED: self.corrected_before} if self.corrected_before else None
        return before, after


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

"""Marks from an instructor's CSV (student number, mark[, incomplete expiry]): a preview of every
change and every bad line first, then all of it applied in one transaction or none of it.

The same text is checked again inside the applying transaction, so a roster that moved between
preview and apply is refused rather than half imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from recordsdesk.models import GradeStatus
from recordsdesk.services import grading
from recordsdesk.services.actor import Actor
from recordsdesk.services.clean_text import character_name, first_control_character
from recordsdesk.services.errors import ValidationFailed
from recordsdesk.services.permissions import Action, authorize
from recordsdesk.services.roster import RosterRow, load_roster

MAX_LINES = 20_000


@dataclass(frozen=True)
class ImportChange:
    line: int
    enrollment_id: int
    student_number: str
    name: str
    old_mark: str | None
    new_mark: str
    incomplete_expires: date | None
    version: int


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ImportPreview:
    section_id: int
    changes: tuple[ImportChange, ...]
    problems: tuple[ImportProblem, ...]
    unchanged: int

    @property
    def ok(self) -> bool:
        return not self.problems


def _looks_like_header(fields: list[str], numbers: dict[str, RosterRow]) -> bool:
    first = fields[0].strip() if fields else ""
    return first not in numbers and any(w in first.lower() for w in ("student", "number", "id"))


COLUMN_NAMES = ("student number", "mark", "expiry")


def _check_line(
    line: int,
    fields: list[str],
    numbers: dict[str, RosterRow],
    rules: grading.MarkRules,
    default_expiry: date,
    seen: dict[str, int],
) -> ImportChange | ImportProblem | None:
    """One CSV line: a change, a problem, or None when the mark is already what the file says."""
    if len(fields) not in (2, 3):
        return ImportProblem(
            line, f"expected 2 or 3 fields (student number, mark[, expiry]), found {len(fields)}."
        )
    for index, (column, cell) in enumerate(zip(COLUMN_NAMES, fields, strict=False)):
        if (found := first_control_character(cell)) is not None:
            char = character_name(cell[found])
            return ImportProblem(
                line, f"field {index + 1} ({column}) contains the control character {char}."
            )
    number, typed = fields[0].strip(), fields[1].strip()
    row = numbers.get(number)
    if row is None:
        return ImportProblem(line, f"student {number!r} is not on this section's roster.")
    if number in seen:
        return ImportProblem(line, f"student {number} already has a mark on line {seen[number]}.")
    seen[number] = line
    if not row.editable:
        return ImportProblem(line, f"student {number} ({row.name}) has withdrawn; no mark.")
    try:
        mark = grading.normalize_mark(rules, typed)
    except ValidationFailed as exc:
        return ImportProblem(line, exc.message)
    expires: date | None = None
    if mark == grading.INCOMPLETE:
        raw = fields[2].strip() if len(fields) == 3 else ""
        try:
            expires = date.fromisoformat(raw) if raw else default_expiry
        except ValueError:
            return ImportProblem(line, f"{raw!r} is not an expiry date (YYYY-MM-DD).")
        if expires <= date.today():
            return ImportProblem(line, f"the expiry {expires.isoformat()} is not after today.")
    if row.mark == mark and row.incomplete_expires == expires:
        return None
    if row.grade_status == GradeStatus.POSTED.value:
        return ImportProblem(
            line, f"student {number}'s mark {row.mark} is posted; change it with a reason."
        )
    return ImportChange(
        line, row.enrollment_id, number, row.name, row.mark, mark, expires, row.version
    )


def preview_import(session: Session, *, actor: Actor, section_id: int, text: str) -> ImportPreview:
    """Every change the CSV text would make and every line that is wrong, changing nothing."""
    authorize(actor, Action.IMPORT_RUN)
    authorize(actor, Action.GRADE_ENTER)
    roster = load_roster(session, actor=actor, section_id=section_id)
    numbers = {r.student_number: r for r in roster.rows}
    changes: list[ImportChange] = []
    problems: list[ImportProblem] = []
    unchanged = 0
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    next_line = 1  # a quoted cell may span lines: a record is named by its first line
    try:
        for fields in reader:
            line, next_line = next_line, reader.line_num + 1
            if line > MAX_LINES:
                problems.append(ImportProblem(line, f"the file has more than {MAX_LINES} lines."))
                break
            if not any(f.strip() for f in fields):
                continue
            if not changes and not problems and not unchanged and not seen:
                if _looks_like_header(fields, numbers):
                    continue
            outcome = _check_line(
                line, fields, numbers, roster.rules, roster.incomplete_default, seen
            )
            if outcome is None:
                unchanged += 1
            elif isinstance(outcome, ImportProblem):
                problems.append(outcome)
            else:
                changes.append(outcome)
    except csv.Error as exc:
        problems.append(ImportProblem(reader.line_num, f"not readable as CSV ({exc})."))
    if not changes and not problems and not unchanged:
        problems.append(ImportProblem(1, "the file has no marks."))
    return ImportPreview(section_id, tuple(changes), tuple(problems), unchanged)


def apply_import(session: Session, *, actor: Actor, section_id: int, text: str) -> ImportPreview:
    """Apply every change of the CSV text in the caller's transaction, each mark audited; any bad
    line raises ValidationFailed naming it and nothing is written."""
    preview = preview_import(session, actor=actor, section_id=section_id, text=text)
    if preview.problems:
        first = preview.problems[0]
        more = len(preview.problems) - 1
        tail = f" (and {more} more line{'s' if more != 1 else ''})" if more else ""
        raise ValidationFailed(f"line {first.line}", first.message + tail)
    for change in preview.changes:
        grading.save_mark(
            session,
            actor=actor,
            enrollment_id=change.enrollment_id,
            expected_version=change.version,
            mark=change.new_mark,
            incomplete_expires=change.incomplete_expires,
        )
    return preview

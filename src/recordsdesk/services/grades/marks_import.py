"""Marks from an instructor's CSV (student number, mark[, incomplete expiry]): a preview of every
change and every bad line first, then all of it applied in one transaction or none of it.

The preview keeps the version of every row the file names. Applying checks the same text again
inside its transaction and compares each of those rows with the version the preview read: a row
another desk changed since (a mark saved, cleared, posted) is a conflict, reported by student
with their mark and the file's, and then nothing at all is written (the import stays
all-or-nothing), so a mark saved elsewhere is never overwritten by a file previewed before it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from recordsdesk.models import GradeStatus
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.grades import marks as grading
from recordsdesk.services.grades.roster import Roster, RosterRow, load_roster
from recordsdesk.services.shared.clean_text import character_name, first_control_character
from recordsdesk.services.shared.errors import StaleRecord, ValidationFailed

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
class ReadRow:
    enrollment_id: int
    version: int
    line: int
    mark: str | None


@dataclass(frozen=True)
class ImportPreview:
    section_id: int
    changes: tuple[ImportChange, ...]
    problems: tuple[ImportProblem, ...]
    unchanged: int
    #: Every roster row a line of the file names, as the preview read it.
    read_rows: tuple[ReadRow, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImportConflict:
    """A row another desk changed after the preview read it: `theirs` is the mark there now,
    `yours` the file's (None when the file's line no longer checks out at all)."""

    line: int
    student_number: str
    name: str
    previewed: str | None
    theirs: str | None
    yours: str | None

    def __str__(self) -> str:
        return (
            f"line {self.line}: {self.student_number} {self.name}: another desk saved "
            f"{self.theirs or 'no mark'} (was {self.previewed or 'no mark'} in the preview); "
            f"the file's {self.yours or '-'} was not applied"
        )


class ImportConflicts(StaleRecord):
    """Rows changed at another desk between preview and apply; nothing of the import was
    written. Preview again to see the marks as they are now."""

    def __init__(self, conflicts: tuple[ImportConflict, ...]) -> None:
        super().__init__("The section's roster", ["mark"])
        self.conflicts = conflicts
        count = len(conflicts)
        self.args = (
            f"{count} mark{'s' if count != 1 else ''} changed at another desk since the "
            "preview; nothing was imported (preview again): "
            + "; ".join(str(c) for c in conflicts),
        )


def _looks_like_header(fields: list[str], numbers: dict[str, RosterRow]) -> bool:
    first = fields[0].strip() if fields else ""
    return first not in numbers and any(w in first.lower() for w in ("student", "number", "id"))


COLUMN_NAMES = ("student number", "mark", "expiry")


def _check_line(
    line: int,
    fields: list[str],
    numbers: dict[str, RosterRow],
    roster: Roster,
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
    raw = fields[2].strip() if len(fields) == 3 else ""
    try:
        given = date.fromisoformat(raw) if raw else None
    except ValueError:
        return ImportProblem(line, f"{raw!r} is not an expiry date (YYYY-MM-DD).")
    try:  # the row's own rules (its basis's marks, or the section's scale); an Incomplete
        # without a date takes the policy's default
        mark, expires = grading.check_entry(roster.rules_for(row), typed, given or default_expiry)
    except ValidationFailed as exc:
        return ImportProblem(line, exc.message)
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
    return _preview(session, actor=actor, section_id=section_id, text=text)[0]


def _preview(
    session: Session, *, actor: Actor, section_id: int, text: str
) -> tuple[ImportPreview, Roster]:
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
            outcome = _check_line(line, fields, numbers, roster, roster.incomplete_default, seen)
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
    read = tuple(
        ReadRow(numbers[n].enrollment_id, numbers[n].version, line, numbers[n].mark)
        for n, line in seen.items()
    )
    preview = ImportPreview(section_id, tuple(changes), tuple(problems), unchanged, read)
    return preview, roster


def _conflicts(
    previewed: ImportPreview, now: ImportPreview, roster: Roster
) -> list[ImportConflict]:
    """Rows the preview read that are at another version now, in file order."""
    rows = {r.enrollment_id: r for r in roster.rows}
    yours = {c.enrollment_id: c.new_mark for c in (*previewed.changes, *now.changes)}
    found = []
    for read in previewed.read_rows:
        row = rows.get(read.enrollment_id)
        if row is None or row.version == read.version:
            continue
        found.append(
            ImportConflict(
                line=read.line,
                student_number=row.student_number,
                name=row.name,
                previewed=read.mark,
                theirs=row.mark,
                yours=yours.get(read.enrollment_id, read.mark),
            )
        )
    return found


def apply_import(
    session: Session, *, actor: Actor, section_id: int, text: str, previewed: ImportPreview
) -> ImportPreview:
    """Apply every change of the CSV text in the caller's transaction, each mark audited, as
    `previewed` showed it: any bad line raises ValidationFailed naming it, and any row changed
    at another desk since the preview read it raises ImportConflicts; either way nothing is
    written."""
    preview, roster = _preview(session, actor=actor, section_id=section_id, text=text)
    conflicts = _conflicts(previewed, preview, roster)
    if conflicts:
        raise ImportConflicts(tuple(conflicts))
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

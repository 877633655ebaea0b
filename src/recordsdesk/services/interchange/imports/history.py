"""`import history`: a legacy system's academic history, one row per course a student took.

Columns: student_number, last_name, first_name, birth_date, term, course_code, course_title,
credits, mark, and optionally term_start. Students, terms, courses and sections the row names
but the database lacks are created (terms closed, courses on the institution's default scale,
one `HIST` section per course and term); each row becomes a completed enrollment with its mark
posted. A student already enrolled in that course and term keeps that enrollment (its mark is
corrected if it differs), so running the file again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.grades.basis import parse_basis
from recordsdesk.services.interchange.imports.common import (
    ImportReport,
    Problems,
    Progress,
    no_progress,
    read_csv,
    read_file,
)
from recordsdesk.services.interchange.imports.history_write import HistoryWriter
from recordsdesk.services.people import validation
from recordsdesk.services.shared.errors import ValidationFailed

REQUIRED = (
    "student_number",
    "last_name",
    "first_name",
    "birth_date",
    "term",
    "course_code",
    "course_title",
    "credits",
    "mark",
)
KNOWN = (*REQUIRED, "term_start", "grading_basis")
TERM_CODE = re.compile(r"(\d{4})(WI|SP|SU|FA)")
#: season -> (name, default start (month, day), default end (month, day)); WI < SP < SU < FA.
SEASONS = {
    "WI": ("Winter", (1, 2), (1, 20)),
    "SP": ("Spring", (1, 21), (5, 15)),
    "SU": ("Summer", (5, 25), (8, 10)),
    "FA": ("Fall", (8, 25), (12, 20)),
}
#: Marks that mean the course is not over: history holds only finished courses.
UNFINISHED = {"I", "IP"}
_CHUNK = 1000
_COURSE_LEVEL = {"elementary": "elementary", "secondary": "secondary"}


@dataclass(slots=True)
class HistoryRow:
    line: int
    number: str
    last: str
    first: str
    birth: date | None
    term: str
    term_start: date | None
    course: str
    title: str
    credits: Decimal
    mark: str
    # The basis named by the `grading_basis` column ("" when the file leaves it to the mark).
    basis: str = ""


def term_dates(code: str, start: date | None = None) -> tuple[str, date, date]:
    """(name, start, end) of a term code like 2024FA; `start` moves the term, keeping its length."""
    found = TERM_CODE.fullmatch(code)
    if found is None:
        raise ValidationFailed("term", f"{code!r} is not a term code (year then WI, SP, SU or FA).")
    year, season = int(found.group(1)), found.group(2)
    name, (m1, d1), (m2, d2) = SEASONS[season]
    default_start, default_end = date(year, m1, d1), date(year, m2, d2)
    if start is None:
        return f"{name} {year}", default_start, default_end
    return f"{name} {year}", start, start + (default_end - default_start)


@lru_cache(maxsize=65536)
def _date(column: str, text: str) -> date | None:
    """A date cell, checked once per distinct text (a student's birth date repeats on each of
    their rows)."""
    return validation.clean_date(column, text)


@lru_cache(maxsize=4096)
def _credits(text: str) -> Decimal | None:
    """Credits as a decimal of at most two places from 0 to 999.99, or None."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or not Decimal(0) <= amount < Decimal(1000):
        return None
    if amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


@lru_cache(maxsize=64)
def _basis(text: str) -> str:
    """A `grading_basis` cell, checked once per distinct text."""
    return parse_basis(text)


def _parse(path: Path, problems: Problems, progress: Progress) -> list[HistoryRow]:
    table = read_csv(read_file(path, problems), path.name, problems, required=REQUIRED, known=KNOWN)
    rows: list[HistoryRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    people: dict[str, tuple[int, str, str, date | None]] = {}
    term_starts: dict[str, tuple[int, date | None]] = {}
    terms_seen: set[str] = set()
    total = len(table.rows)
    for index, cells in enumerate(table.rows):
        if index % 2000 == 0:
            progress("checking", index, total)
        line, bad = cells.line, len(problems.items)
        # Each cell read once, straight from the row (a million rows: the lookups add up).
        get = cells.cells.get
        number, last = get("student_number", "").strip(), get("last_name", "").strip()
        first, title = get("first_name", "").strip(), get("course_title", "").strip()
        term, course = get("term", "").strip().upper(), get("course_code", "").strip().upper()
        if not number or len(number) > 20:
            problems.add(line, "must be 1 to 20 characters.", "student_number")
        if not last:
            problems.add(line, "the last name is required.", "last_name")
        for column, text in (("last_name", last), ("first_name", first), ("course_title", title)):
            if "\n" in text or "\r" in text:
                problems.add(line, "contains a line break.", column)
        birth = start = None
        try:
            birth = _date("birth_date", get("birth_date", "").strip())
        except ValidationFailed as exc:
            problems.add(line, exc.message, "birth_date")
        starts = get("term_start", "").strip()
        if starts:
            try:
                start = _date("term_start", starts)
            except ValidationFailed as exc:
                problems.add(line, exc.message, "term_start")
        if term not in terms_seen:
            try:
                term_dates(term)
                terms_seen.add(term)
            except ValidationFailed as exc:
                problems.add(line, exc.message, "term")
        if not course or len(course) > 20:
            problems.add(line, "must be 1 to 20 characters.", "course_code")
        credit_text = get("credits", "").strip()
        amount = _credits(credit_text)
        if amount is None:
            problems.add(line, f"{credit_text!r} is not a number of credits.", "credits")
            amount = Decimal(0)
        mark = get("mark", "").strip()
        if not mark:
            problems.add(line, "the mark is empty.", "mark")
        elif mark.upper() in UNFINISHED:
            problems.add(
                line, f"{mark} is not a final mark; history takes finished courses.", "mark"
            )
        basis = get("grading_basis", "").strip()
        if basis:
            try:
                basis = _basis(basis)
            except ValidationFailed as exc:
                problems.add(line, exc.message, "grading_basis")
        key = (number, term, course)
        if key in seen:
            problems.add(
                line, f"{number} {term} {course} is also on line {seen[key]}.", "course_code"
            )
        seen.setdefault(key, line)
        earlier = people.setdefault(number, (line, last, first, birth))
        if (earlier[1], earlier[3]) != (last, birth):
            problems.add(
                line,
                f"student {number} has another name or birth date on line {earlier[0]}.",
                "last_name",
            )
        first_start = term_starts.setdefault(term, (line, start))
        if first_start[1] != start:
            problems.add(
                line, f"term {term} starts on another date on line {first_start[0]}.", "term_start"
            )
        if len(problems.items) == bad:
            rows.append(
                HistoryRow(
                    line,
                    number,
                    last,
                    first,
                    birth,
                    term,
                    start,
                    course,
                    title or course,
                    amount,
                    mark,
                    basis,
                )
            )
    progress("checking", total, total)
    return rows


def import_history(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    report: ImportReport | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Write the history in the CSV at `path` into the caller's transaction.

    Raises ImportFailed (every problem, with line and column, an unknown mark included) before
    writing anything. Students, enrollments and the terms, courses and sections made for them
    are audited, one event per record.
    """
    authorize(actor, Action.IMPORT_RUN)
    report = report or ImportReport("history", path.name)
    problems = Problems(path.name)
    rows = _parse(path, problems, progress)
    writer = HistoryWriter(session, actor, report, problems)
    writer.check_marks(rows)
    problems.raise_if_any()
    writer.plan(rows, progress)  # reads only: other desks keep saving meanwhile
    writer.write(progress)  # one short burst holding the write lock
    report.rows += len(rows)
    return report

"""Enrollment by term, program and level: headcount, seats and credits, with a total per term.

Counts come from one grouped query. A student counts in a term when they hold a registered or
completed enrollment there (withdrawals are shown beside, waitlists and drops not at all); the
program and level are the student's current ones.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.table import (
    Chart,
    ReportTable,
    Value,
    decimal,
    resolve_program,
    resolve_term,
    rows,
)

TITLE = "Enrollment by term, program and level"
COLUMNS = (
    "Term",
    "Level",
    "Program",
    "Program name",
    "Students",
    "Enrollments",
    "Credits",
    "Withdrawn",
)
LEVEL_ORDER = {"elementary": 0, "secondary": 1, "undergraduate": 2, "graduate": 3, "": 4}
NO_PROGRAM = "(no program)"
ALL_PROGRAMS = "All programs"

_COUNTED = "e.status IN ('registered', 'completed')"
# Per (term, student) first, then per program: a student has one current program, so a term's
# headcount is the sum over its programs, and the big grouping runs once. For every term, SQLite
# reads the enrollments in one pass over the index that holds every column used (CROSS JOIN
# fixes the order, INDEXED BY the index): with ANALYZE statistics it would otherwise start from
# the sections, or scan another index, and fetch every enrollment row from the table (two to
# five times slower). One term starts from its sections. PostgreSQL plans both itself.
_EVERY_TERM = "enrollment e{indexed} CROSS JOIN section sec CROSS JOIN course c"
_STUDENT_RECORD_INDEX = " INDEXED BY ix_enrollment_student_record"
_ONE_TERM = "section sec JOIN enrollment e ON 1 = 1 JOIN course c ON 1 = 1"
_QUERY = (
    "SELECT t.code, t.start_date, COALESCE(p.level, ''), COALESCE(p.code, ''), "
    "COALESCE(p.name, ''), COUNT(CASE WHEN x.seats > 0 THEN 1 END), SUM(x.seats), "
    "SUM(x.credits), SUM(x.withdrawn) FROM ("
    "SELECT sec.term_id AS term_id, e.student_id AS student_id, "
    f"COUNT(CASE WHEN {_COUNTED} THEN 1 END) AS seats, "
    f"SUM(CASE WHEN {_COUNTED} THEN COALESCE(e.credits, c.credits) ELSE 0 END) AS credits, "
    "COUNT(CASE WHEN e.status = 'withdrawn' THEN 1 END) AS withdrawn "
    "FROM {joins} WHERE sec.id = e.section_id AND c.id = sec.course_id "
    "AND e.status IN ('registered', 'completed', 'withdrawn') {where}"
    "GROUP BY sec.term_id, e.student_id) x "
    "JOIN term t ON t.id = x.term_id JOIN student s ON s.id = x.student_id "
    "LEFT JOIN program p ON p.id = s.program_id "
    "GROUP BY t.code, t.start_date, p.level, p.code, p.name"
)


def enrollment(
    session: Session,
    *,
    actor: Actor,
    term_code: str | None = None,
    program_code: str | None = None,
) -> ReportTable:
    """One row per term, level and program (every term without --term), then a total row per
    term; a chart of students per program (one term) or per term. Raises ValidationFailed for
    an unknown term or program."""
    authorize(actor, Action.REPORT_RUN)
    term = resolve_term(session, term_code) if term_code else None
    program = resolve_program(session, program_code) if program_code else None
    where, params = "", {}
    if term is not None:
        where += "AND sec.term_id = :tid "
        params["tid"] = term.id
    if program is not None:
        where += "AND e.student_id IN (SELECT id FROM student WHERE program_id = :pid) "
        params["pid"] = program.id
    sqlite = session.get_bind().dialect.name == "sqlite"
    every = _EVERY_TERM.format(indexed=_STUDENT_RECORD_INDEX if sqlite else "")
    joins = _ONE_TERM if term is not None else every
    found = rows(session, _QUERY.format(joins=joins, where=where), params)
    headcount: dict[str, int] = {}
    for row in found:
        headcount[row[0]] = headcount.get(row[0], 0) + int(row[5])
    found.sort(key=lambda r: (str(r[1]), r[0], LEVEL_ORDER.get(r[2], 5), r[3]))
    table: list[tuple[Value, ...]] = []
    for index, row in enumerate(found):
        code, _start, level, pcode, pname, students, seats, seat_credits, withdrawn = row
        table.append(
            (
                code,
                level,
                pcode or NO_PROGRAM,
                pname,
                int(students),
                int(seats),
                decimal(seat_credits).quantize(Decimal("0.01")),
                int(withdrawn),
            )
        )
        if index + 1 == len(found) or found[index + 1][0] != code:
            term_rows = [r for r in found if r[0] == code]
            table.append(
                (
                    code,
                    "",
                    ALL_PROGRAMS,
                    "Total",
                    int(headcount.get(code, 0)),
                    sum(int(r[6]) for r in term_rows),
                    sum((decimal(r[7]) for r in term_rows), Decimal(0)).quantize(Decimal("0.01")),
                    sum(int(r[8]) for r in term_rows),
                )
            )
    if term is not None:
        bars = tuple((r[3] or NO_PROGRAM, int(r[5])) for r in found if int(r[5]))
        chart = Chart(f"Students by program, {term.code}", bars)
    else:
        terms = dict.fromkeys(r[0] for r in found)
        chart = Chart("Students by term", tuple((c, int(headcount.get(c, 0))) for c in terms))
    scope = term.code if term else "every term"
    where_text = f", {program.code} only" if program else ""
    return ReportTable(
        name="enrollment",
        title=TITLE,
        subtitle=f"{scope}{where_text}",
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=(
            "Students: distinct students with a registered or completed enrollment in the term "
            "(a student counts once in the Total row, whatever their program). Enrollments and "
            "credits: those seats. Withdrawn: seats withdrawn after the drop deadline (W). "
            "Waitlisted and dropped seats are not counted.",
            "Program and level are the student's current program.",
        ),
        chart=chart,
    )

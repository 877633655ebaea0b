"""Enrollment by term, program and level: headcount, seats and credits, with a total per term.

Counts come from one grouped query over the stored per-term counts (`totals`). A student counts
in a term when they hold a registered or completed enrollment there (withdrawals are shown
beside, waitlists and drops not at all); the program and level are the student's current ones.
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
from recordsdesk.services.transcripts.totals import refresh

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

# Per term and program from the stored per-student, per-term counts (services/reports/
# totals.py): each row is one student's term (their registered or completed seats and credits,
# withdrawn seats) under the program they have now, so a term's headcount is the sum over its
# programs. The grouping reads the term index alone, in its order.
_QUERY = (
    "SELECT t.code, t.start_date, COALESCE(p.level, ''), COALESCE(p.code, ''), "
    "COALESCE(p.name, ''), x.students, x.seats, x.credits, x.withdrawn FROM ("
    "SELECT tt.term_id AS term_id, tt.program_id AS program_id, "
    "COUNT(CASE WHEN tt.seats > 0 THEN 1 END) AS students, SUM(tt.seats) AS seats, "
    "SUM(tt.seat_credits) AS credits, SUM(tt.withdrawn) AS withdrawn "
    "FROM term_totals tt {where}GROUP BY tt.term_id, tt.program_id) x "
    "JOIN term t ON t.id = x.term_id LEFT JOIN program p ON p.id = x.program_id"
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
    refresh(session)
    clauses, params = [], {}
    if term is not None:
        clauses.append("tt.term_id = :tid")
        params["tid"] = term.id
    if program is not None:
        clauses.append("tt.program_id = :pid")
        params["pid"] = program.id
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    found = rows(session, _QUERY.format(where=where), params)
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

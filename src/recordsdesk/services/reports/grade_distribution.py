"""Grade distribution by course and term: how many of each posted mark, per course.

Counted in SQL (one grouped query over the posted marks' own index). Mark columns run in the
order a transcript reader expects: marks with grade points best first, then other marks of
course scales (P, NP, standards), then the non-grade marks (W, I, AU, ...). The chart totals
every row; the screen also charts the row under the cursor from the mark columns (`chart_columns`).
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
    last_graded_term,
    resolve_program,
    resolve_term,
    rows,
)
from recordsdesk.services.transcripts.builder import NON_GRADE_SCALE

TITLE = "Grade distribution by course and term"
LEADING = ("Course", "Title", "Term")
TRAILING = ("Total",)


def mark_order(session: Session) -> dict[str, tuple[int, Decimal, int, str]]:
    """mark -> sort key, from the grading scales (the first scale defining a mark wins)."""
    order: dict[str, tuple[int, Decimal, int, str]] = {}
    for mark, points, sort_order, scale_code in rows(
        session,
        "SELECT m.mark, m.points, m.sort_order, s.code FROM grade_mark m "
        "JOIN grading_scale s ON s.id = m.scale_id ORDER BY s.id, m.sort_order",
    ):
        if mark in order:
            continue
        if scale_code == NON_GRADE_SCALE:
            order[mark] = (2, Decimal(0), int(sort_order), mark)
        elif points is not None:
            order[mark] = (0, -decimal(points), int(sort_order), mark)
        else:
            order[mark] = (1, Decimal(0), int(sort_order), mark)
    return order


def grade_distribution(
    session: Session,
    *,
    actor: Actor,
    term_code: str | None = None,
    program_code: str | None = None,
) -> ReportTable:
    """Posted marks counted per course and mark for one term (default: the latest term with
    posted marks); --program counts only that program's students. Raises ValidationFailed for
    an unknown term or program."""
    authorize(actor, Action.REPORT_RUN)
    term = resolve_term(session, term_code) if term_code else last_graded_term(session)
    program = resolve_program(session, program_code) if program_code else None
    if term is None:
        columns = LEADING + TRAILING
        return ReportTable("grade-distribution", TITLE, "no marks posted yet", columns, ())
    where, params = "", {"tid": term.id}
    if program is not None:
        where = "AND e.student_id IN (SELECT id FROM student WHERE program_id = :pid) "
        params["pid"] = program.id
    # Counted per section and mark in the order of the posted marks' partial index (its
    # condition repeated here, so it is read alone, no enrollment row), then per course over
    # those few rows, then named: grouping on the course first sorted every mark, on the text
    # columns every row.
    found = rows(
        session,
        "SELECT c.code, c.title, x.mark, SUM(x.n) FROM (SELECT sec.course_id AS course_id, "
        "e.mark AS mark, COUNT(*) AS n FROM section sec "
        "JOIN enrollment e ON e.section_id = sec.id "
        "WHERE sec.term_id = :tid AND e.grade_status = 'posted' AND e.mark IS NOT NULL "
        f"{where}GROUP BY sec.id, e.mark) x JOIN course c ON c.id = x.course_id "
        "GROUP BY x.course_id, x.mark, c.code, c.title",
        params,
    )
    ranks = mark_order(session)
    marks = sorted({r[2] for r in found}, key=lambda m: ranks.get(m, (3, Decimal(0), 0, m)))
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for code, title, mark, count in found:
        counts.setdefault((code, title), {})[mark] = int(count)
    table: list[tuple[Value, ...]] = []
    totals = dict.fromkeys(marks, 0)
    for (code, title), by_mark in sorted(counts.items()):
        for mark, n in by_mark.items():
            totals[mark] += n
        table.append(
            (code, title, term.code, *(by_mark.get(m, 0) for m in marks), sum(by_mark.values()))
        )
    columns = LEADING + tuple(marks) + TRAILING
    graded = sum(totals.values())
    return ReportTable(
        name="grade-distribution",
        title=TITLE,
        subtitle=f"{term.code} ({term.name})"
        + (f", {program.code} students" if program else "")
        + f": {graded} posted marks in {len(table)} courses",
        columns=columns,
        rows=tuple(table),
        footnotes=(
            "Posted marks only (entered marks are not final). W, I and other non-grade marks are "
            "counted in their own columns.",
        ),
        chart=Chart(f"All courses, {term.code}", tuple(totals.items())),
        chart_columns=tuple(range(len(LEADING), len(LEADING) + len(marks))),
    )

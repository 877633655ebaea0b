"""Academic probation: students whose cumulative GPA is below the institution's line.

Without a term: today's standing of current students (active, on leave, suspended) over their
whole record. With a term: the standing the transcript shows for that term, over the students
with posted marks in it (cumulative GPA through that term).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.people import (
    CONFIDENTIAL_COLUMN,
    person_columns,
    person_from,
    student_conditions,
)
from recordsdesk.services.reports.standing import NEAR, NOT_ELEMENTARY, stored_gpa
from recordsdesk.services.reports.table import (
    GpaPolicy,
    ReportTable,
    TermRef,
    Value,
    confidential_note,
    decimal,
    gpa_policy,
    resolve_program,
    resolve_term,
)
from recordsdesk.services.shared.rawsql import Statement
from recordsdesk.services.transcripts.totals import refresh

#: Students today's list is about (a suspended student is still on the rolls).
CURRENT = "('active', 'on_leave', 'suspended')"

TITLE = "Academic probation"
COLUMNS = (
    "Student no.",
    "Name",
    "Program",
    "Status",
    "GPA credits",
    "Cumulative GPA",
    "Term GPA",
    "Standing",
    CONFIDENTIAL_COLUMN,
)
CENTS = Decimal("0.01")
#: Standings decided at posting that the probation list shows, with their names.
LISTED = {
    "probation": "probation",
    "suspension": "suspension",
    "dismissal": "dismissal",
}


def probation(
    session: Session,
    *,
    actor: Actor,
    term_code: str | None = None,
    program_code: str | None = None,
    directory_only: bool = False,
) -> ReportTable:
    """Students below the probation line, lowest cumulative GPA first. Raises ValidationFailed
    for an unknown term or program."""
    authorize(actor, Action.REPORT_RUN)
    policy = gpa_policy(session)
    term = resolve_term(session, term_code) if term_code else None
    program = resolve_program(session, program_code) if program_code else None
    narrow, params = student_conditions(session, program=program, directory_only=directory_only)
    params["pr_line"] = float(policy.probation_below_gpa) + NEAR
    if term is not None:
        table = _term_rows(session, term, policy, narrow, params)
    else:
        table = _current_rows(session, policy, narrow, params)
    table.sort(key=lambda r: (r[5] if r[5] is not None else -1, str(r[1]), str(r[0])))
    confidential = sum(1 for r in table if r[-1])
    when = f"standing for {term.code} ({term.name})" if term else "current students today"
    where = f" in {program.code}" if program else ""
    return ReportTable(
        name="probation",
        title=TITLE,
        subtitle=f"{when}{where}: {len(table)} students",
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=(
            f"Cumulative GPA below {policy.probation_below_gpa} on posted marks "
            f"(repeat policy {policy.repeat_policy}, rounded {policy.rounding} to "
            f"{policy.decimals} places), as the transcript computes it.",
            "Without --term: students now active, on leave or suspended, whole record."
            if term is None
            else "Cumulative GPA through the term; Term GPA is that term's alone.",
            confidential_note(confidential, directory_only),
        ),
    )


def _current_rows(
    session: Session, policy: GpaPolicy, narrow: str, params: dict[str, Any]
) -> list[tuple[Value, ...]]:
    """Current students below the line over their whole record: near it by the stored
    unrounded GPA first (an index range), exact figures after, names in the same statement."""
    refresh(session)
    sql = (
        f"SELECT {person_columns('student', 'p')}, tt.cum_gpa_credits, tt.cum_quality_points "
        "FROM term_totals tt JOIN student ON student.id = tt.student_id "
        "LEFT JOIN program p ON p.id = student.program_id "
        f"WHERE tt.latest = TRUE AND tt.cum_gpa_raw < :pr_line AND student.status IN {CURRENT} "
        f"AND {NOT_ELEMENTARY}{narrow}"
    )
    rounding, places = policy.rounding, policy.decimals
    table: list[tuple[Value, ...]] = []
    for row in Statement(sql).driver_rows(session, params):
        gpa_credits, quality = row[8:]
        cumulative = stored_gpa(quality, gpa_credits, rounding, places)
        if cumulative is None or cumulative >= policy.probation_below_gpa:
            continue
        table.append(_row(row, gpa_credits, cumulative, None, "probation"))
    return table


# The term's candidates, in one statement with the names: the students a standing decided at
# posting lists (an override included) whatever their GPA, and the students without a decided
# standing whose stored unrounded cumulative GPA is near or below the line (exact after). Each
# part is an index range; joining every student of the term to its standing cost a look-up
# per student, and a standing is decided for nearly every one of them.
_TERM_SQL = (
    "WITH listed(sid, standing) AS (SELECT a.student_id, a.standing FROM academic_standing a "
    "WHERE a.term_id = :tid AND a.standing IN ({listed}) "
    "UNION ALL SELECT tt.student_id, NULL FROM term_totals tt "
    "WHERE tt.term_id = :tid AND tt.cum_gpa_raw < :pr_line AND NOT EXISTS (SELECT 1 "
    "FROM academic_standing a2 WHERE a2.student_id = tt.student_id AND a2.term_id = :tid)) "
    "SELECT {person}, l.standing, tt.gpa_credits, tt.quality_points, tt.cum_gpa_credits, "
    "tt.cum_quality_points FROM listed l "
    "JOIN term_totals tt ON tt.student_id = l.sid AND tt.term_id = :tid "
    "JOIN student ON student.id = l.sid LEFT JOIN program p ON p.id = student.program_id "
    "WHERE tt.posted > 0 AND {not_elementary}{narrow}"
)


def _term_rows(
    session: Session, term: TermRef, policy: GpaPolicy, narrow: str, params: dict[str, Any]
) -> list[tuple[Value, ...]]:
    """The standing the transcript shows for the term, over the students with posted marks in
    it: a standing decided at posting as it stands, else probation below the line."""
    refresh(session)
    sql = _TERM_SQL.format(
        listed=", ".join(f"'{level}'" for level in LISTED),
        person=person_columns("student", "p"),
        not_elementary=NOT_ELEMENTARY,
        narrow=narrow,
    )
    rounding, places = policy.rounding, policy.decimals
    table: list[tuple[Value, ...]] = []
    for row in Statement(sql).driver_rows(session, {**params, "tid": term.id}):
        standing, term_credits, term_quality, gpa_credits, quality = row[8:]
        cumulative = stored_gpa(quality, gpa_credits, rounding, places)
        if standing is None:
            if cumulative is None or cumulative >= policy.probation_below_gpa:
                continue
            standing = "probation"
        term_gpa = stored_gpa(term_quality, term_credits, rounding, places)
        table.append(_row(row, gpa_credits, cumulative, term_gpa, LISTED[standing]))
    return table


def _row(
    found: Any,
    gpa_credits: Any,
    cumulative: Decimal | None,
    term_gpa: Decimal | None,
    standing: str,
) -> tuple[Value, ...]:
    """A listed student's row, from a statement whose first columns are `person_columns`."""
    person = person_from(found)
    return (
        person.number,
        person.name,
        person.program_code,
        person.status,
        decimal(gpa_credits).quantize(CENTS),
        cumulative,
        term_gpa,
        standing,
        person.flag,
    )

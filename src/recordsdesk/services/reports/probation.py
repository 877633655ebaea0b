"""Academic probation: students whose cumulative GPA is below the institution's line.

Without a term: today's standing of current students (active, on leave, suspended) over their
whole record. With a term: the standing the transcript shows for that term, over the students
with posted marks in it (cumulative GPA through that term).
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.people import CONFIDENTIAL_COLUMN, people, student_conditions
from recordsdesk.services.reports.standing import NEAR, NOT_ELEMENTARY, stored_figures
from recordsdesk.services.reports.table import (
    ReportTable,
    Value,
    confidential_note,
    gpa_policy,
    resolve_program,
    resolve_term,
    stored_standings,
)

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
    # Near the line by the stored unrounded GPA first (an index range), exact figures after.
    params["pr_line"] = float(policy.probation_below_gpa) + NEAR
    listed_sql = "tt.cum_gpa_raw < :pr_line"
    if term is not None:
        # A standing decided at posting lists the student whatever the GPA.
        listed_sql += (
            " OR tt.student_id IN (SELECT student_id FROM academic_standing WHERE term_id = :tid)"
        )
        where = f"AND ({listed_sql}) AND {NOT_ELEMENTARY}{narrow}"
    else:
        where = f"AND {listed_sql} AND student.status IN {CURRENT} AND {NOT_ELEMENTARY}{narrow}"
    figures = {
        sid: figure
        for sid, (figure, _extra) in stored_figures(
            session, term=term, where=where, params=params
        ).items()
    }
    decided = stored_standings(session, term.id) if term is not None else {}
    below = []
    for figure in figures.values():
        cumulative = figure.through.gpa(policy.rounding, policy.decimals)
        standing = decided.get(figure.student_id)
        if standing is not None:  # decided at posting (an override included): as the transcript
            listed = standing in LISTED
        else:
            listed = cumulative is not None and cumulative < policy.probation_below_gpa
            standing = "probation" if listed else None
        if listed:
            term_gpa = figure.term.gpa(policy.rounding, policy.decimals) if term else None
            below.append(
                (figure.student_id, cumulative, term_gpa, figure.through.gpa_credits, standing)
            )
    who = people(session, (b[0] for b in below))
    table: list[tuple[Value, ...]] = []
    for sid, cumulative, term_gpa, gpa_credits, standing in below:
        person = who[sid]
        table.append(
            (
                person.number,
                person.name,
                person.program_code,
                person.status,
                gpa_credits.quantize(Decimal("0.01")),
                cumulative,
                term_gpa,
                standing,
                person.flag,
            )
        )
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

"""Dean's list / honour roll: students whose term GPA reaches the institution's line.

The rule is the transcript's term standing: a term GPA at or above `deans_list_min_gpa`, unless
the cumulative GPA through that term is below `probation_below_gpa` (probation wins, as the
transcript prints it). GPAs come from the stored term totals (`totals.stored_figures`), so they
match the transcript.
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
    last_graded_term,
    resolve_program,
    resolve_term,
    stored_standings,
)

TITLE = "Dean's list"
COLUMNS = (
    "Student no.",
    "Name",
    "Program",
    "GPA credits",
    "Term GPA",
    "Cumulative GPA",
    CONFIDENTIAL_COLUMN,
)


def deans_list(
    session: Session,
    *,
    actor: Actor,
    term_code: str | None = None,
    program_code: str | None = None,
    directory_only: bool = False,
) -> ReportTable:
    """The term's dean's list, best term GPA first (default term: the latest with posted marks).
    Raises ValidationFailed for an unknown term or program."""
    authorize(actor, Action.REPORT_RUN)
    policy = gpa_policy(session)
    term = resolve_term(session, term_code) if term_code else last_graded_term(session)
    program = resolve_program(session, program_code) if program_code else None
    if term is None:
        return ReportTable("deans-list", TITLE, "no term has posted marks yet", COLUMNS, ())
    narrow, params = student_conditions(session, program=program, directory_only=directory_only)
    # Near the line by the stored unrounded term GPA first (an index range), exact after.
    params["dl_line"] = float(policy.deans_list_min_gpa) - NEAR
    stored = stored_figures(
        session,
        term=term,
        where=f"AND tt.term_gpa_raw >= :dl_line AND {NOT_ELEMENTARY}{narrow}",
        params=params,
    )
    figures = {sid: figure for sid, (figure, _extra) in stored.items()}
    decided = stored_standings(session, term.id)
    honoured: list[tuple[int, Decimal, Decimal | None, Decimal]] = []
    for figure in figures.values():
        term_gpa = figure.term.gpa(policy.rounding, policy.decimals)
        cumulative = figure.through.gpa(policy.rounding, policy.decimals)
        if term_gpa is None or term_gpa < policy.deans_list_min_gpa:
            continue
        if figure.term.gpa_credits < policy.deans_list_min_credits:
            continue
        standing = decided.get(figure.student_id)
        if standing is not None and standing != "good":  # as the transcript prints the term
            continue
        if standing is None and cumulative is not None and cumulative < policy.probation_below_gpa:
            continue
        honoured.append((figure.student_id, term_gpa, cumulative, figure.term.gpa_credits))
    who = people(session, (h[0] for h in honoured))
    table: list[tuple[Value, ...]] = []
    for sid, term_gpa, cumulative, gpa_credits in honoured:
        person = who[sid]
        table.append(
            (
                person.number,
                person.name,
                person.program_code,
                gpa_credits.quantize(Decimal("0.01")),
                term_gpa,
                cumulative,
                person.flag,
            )
        )
    table.sort(key=lambda r: (-r[4], str(r[1]), str(r[0])))  # type: ignore[operator]
    confidential = sum(1 for r in table if r[-1])
    where = f" in {program.code}" if program else ""
    return ReportTable(
        name="deans-list",
        title=TITLE,
        subtitle=f"{term.code} ({term.name}){where}: {len(table)} students",
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=(
            f"Term GPA {policy.deans_list_min_gpa} or higher over at least "
            f"{policy.deans_list_min_credits} GPA credits on posted marks, as the transcript "
            "shows the term's standing (a standing other than good decided at posting, or "
            f"without one a cumulative GPA below {policy.probation_below_gpa}, excludes it).",
            f"Repeat policy: {policy.repeat_policy}; GPAs rounded ({policy.rounding}) to "
            f"{policy.decimals} places. Elementary (progress-only) records have no GPA.",
            confidential_note(confidential, directory_only),
        ),
    )

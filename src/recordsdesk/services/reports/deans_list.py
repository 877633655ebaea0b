"""Dean's list / honour roll: students whose term GPA reaches the institution's line.

The rule is the transcript's term standing: a term GPA at or above `deans_list_min_gpa`, unless
the cumulative GPA through that term is below `probation_below_gpa` (probation wins, as the
transcript prints it). GPAs come from the stored term totals (transcripts.totals), so they
match the transcript.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from recordsdesk.models import StandingLevel
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.people import CONFIDENTIAL_COLUMN, student_conditions
from recordsdesk.services.reports.standing import NEAR, NOT_ELEMENTARY, stored_gpa
from recordsdesk.services.reports.table import (
    ReportTable,
    Value,
    confidential_note,
    decimal,
    full_name,
    gpa_policy,
    last_graded_term,
    resolve_program,
    resolve_term,
)
from recordsdesk.services.shared.rawsql import Statement
from recordsdesk.services.transcripts.totals import refresh

CENTS = Decimal("0.01")
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
    refresh(session)
    # Near the line by the stored unrounded term GPA first (the term's index range), without a
    # standing decided other than good (a list read once from the standings' index: the other
    # levels named, so it is a range), and with none decided a cumulative GPA not clearly below
    # probation: exact figures after. `stands`: the cumulative GPA cannot exclude the term (a
    # standing is decided, an index probe made only near or below the line, or the GPA is
    # clearly above it; a CASE, since SQLite evaluates both sides of an OR in a column).
    params.update(
        tid=term.id,
        dl_line=float(policy.deans_list_min_gpa) - NEAR,
        dl_credits=float(policy.deans_list_min_credits) - NEAR,
        pr_low=float(policy.probation_below_gpa) - NEAR,
        pr_high=float(policy.probation_below_gpa) + NEAR,
    )
    decided = (
        "EXISTS (SELECT 1 FROM academic_standing a WHERE a.student_id = tt.student_id "
        "AND a.term_id = :tid)"
    )
    not_good = ", ".join(f"'{level.value}'" for level in StandingLevel if level.value != "good")
    sql = (
        "SELECT student.student_number, student.legal_first_name, student.legal_last_name, "
        "student.preferred_name, p.code, student.confidential, "
        f"CASE WHEN tt.cum_gpa_raw >= :pr_high THEN TRUE ELSE {decided} END, tt.gpa_credits, "
        "tt.quality_points, tt.cum_gpa_credits, tt.cum_quality_points FROM term_totals tt "
        "JOIN student ON student.id = tt.student_id "
        "LEFT JOIN program p ON p.id = student.program_id "
        "WHERE tt.term_id = :tid AND tt.posted > 0 AND tt.term_gpa_raw >= :dl_line "
        "AND tt.gpa_credits >= :dl_credits AND tt.student_id NOT IN (SELECT n.student_id "
        f"FROM academic_standing n WHERE n.term_id = :tid AND n.standing IN ({not_good})) "
        f"AND (tt.cum_gpa_raw >= :pr_low OR {decided}) AND {NOT_ELEMENTARY}{narrow}"
    )
    rounding, places = policy.rounding, policy.decimals
    line, least, below = (
        policy.deans_list_min_gpa,
        policy.deans_list_min_credits,
        policy.probation_below_gpa,
    )
    table: list[tuple[Value, ...]] = []
    # Up to a tenth of the students: a tuple per listed student, no objects per candidate.
    for number, first, last, preferred, program_code, confidential, *figures in Statement(
        sql
    ).driver_rows(session, params):
        stands, term_credits, term_quality, gpa_credits, quality = figures
        credits_in_term = decimal(term_credits)
        term_gpa = stored_gpa(term_quality, credits_in_term, rounding, places)
        if term_gpa is None or term_gpa < line or credits_in_term < least:
            continue
        cumulative = stored_gpa(quality, gpa_credits, rounding, places)
        # As the transcript prints the term: a standing decided at posting stands (only good
        # ones are read); without one, a cumulative GPA below probation wins.
        if not stands and cumulative is not None and cumulative < below:
            continue
        table.append(
            (
                number,
                full_name(first, last, preferred),
                program_code or "",
                credits_in_term.quantize(CENTS),
                term_gpa,
                cumulative,
                "yes" if confidential else "",
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

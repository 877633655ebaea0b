"""Class rank (secondary): each current secondary student's place in their class year by
cumulative GPA as of a term, weighted and unweighted.

The GPAs are the transcript's own (cumulative through the term, as printed, rounded by the
policy), so a rank never disagrees with the record. Ties share a rank and the next rank skips
(1, 2, 2, 4); students with no GPA yet are left out. Percentile and decile follow the weighted
rank: percentile = 100 x (class size - rank + 1) / class size, rounded down (the top student of
any class is at 100); decile 1 is the top tenth.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.people import CONFIDENTIAL_COLUMN, people, student_scope
from recordsdesk.services.reports.standing import CURRENT_STUDENTS, student_figures
from recordsdesk.services.reports.table import (
    ReportTable,
    Value,
    confidential_note,
    gpa_policy,
    last_graded_term,
    resolve_program,
    resolve_term,
    rows,
)
from recordsdesk.services.transcripts.rank import competition_ranks, decile, percentile

TITLE = "Class rank"
COLUMNS = (
    "Class",
    "Rank",
    "Student no.",
    "Name",
    "Weighted GPA",
    "Unweighted GPA",
    "Unweighted rank",
    "Percentile",
    "Decile",
    CONFIDENTIAL_COLUMN,
)
SECONDARY = (
    "SELECT s3.id FROM student s3 JOIN program p3 ON p3.id = s3.program_id "
    "WHERE p3.level = 'secondary' AND s3.class_year IS NOT NULL"
)


def class_rank(
    session: Session,
    *,
    actor: Actor,
    term_code: str | None = None,
    program_code: str | None = None,
    directory_only: bool = False,
) -> ReportTable:
    """Current secondary students ranked within their class year as of the term (default: the
    latest graded term). Raises ValidationFailed for an unknown term or program."""
    authorize(actor, Action.REPORT_RUN)
    term = resolve_term(session, term_code) if term_code else last_graded_term(session)
    program = resolve_program(session, program_code) if program_code else None
    if term is None:
        return ReportTable("class-rank", TITLE, "no term has posted marks yet", COLUMNS, ())
    scope, params = student_scope(
        session,
        CURRENT_STUDENTS,
        program=program,
        directory_only=directory_only,
        extra=f"student.id IN ({SECONDARY})",
    )
    found = rows(
        session, f"SELECT s.id, s.class_year FROM student s WHERE s.id IN ({scope})", params
    )
    years = {int(sid): int(year) for sid, year in found}
    policy = gpa_policy(session)
    figures = student_figures(
        session, scope=scope, params=params, repeat_policy=policy.repeat_policy, term=term
    )
    classes: dict[int, list[tuple[int, Decimal, Decimal]]] = {}
    for sid, figure in sorted(figures.items()):
        unweighted = figure.through.gpa(policy.rounding, policy.decimals)
        if unweighted is None:  # no GPA as of the term: left out
            continue
        weighted = figure.through.gpa(policy.rounding, policy.decimals, weighted=True)
        classes.setdefault(years[sid], []).append((sid, weighted or unweighted, unweighted))
    who = people(session, (s for members in classes.values() for s, _w, _u in members))
    table: list[tuple[Value, ...]] = []
    for year in sorted(classes):
        members = classes[year]
        size = len(members)
        by_weighted = competition_ranks(m[1] for m in members)
        by_unweighted = competition_ranks(m[2] for m in members)
        ranked = sorted(
            zip(members, by_weighted, by_unweighted, strict=True),
            key=lambda item: (item[1], who[item[0][0]].name, who[item[0][0]].number),
        )
        for (sid, weighted, unweighted), rank, plain_rank in ranked:
            person = who[sid]
            table.append(
                (
                    year,
                    rank,
                    person.number,
                    person.name,
                    weighted,
                    unweighted,
                    plain_rank,
                    percentile(rank, size),
                    decile(rank, size),
                    person.flag,
                )
            )
    confidential = sum(1 for r in table if r[-1])
    where = f" in {program.code}" if program else ""
    return ReportTable(
        name="class-rank",
        title=TITLE,
        subtitle=f"as of {term.code} ({term.name}){where}: {len(table)} students",
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=(
            "Current secondary students with a class year, ranked within it by cumulative GPA "
            "through the term as the transcript prints it (weighted; unweighted beside it). "
            "Ties share a rank; students without a GPA are left out.",
            f"Repeat policy: {policy.repeat_policy}; GPAs rounded ({policy.rounding}) to "
            f"{policy.decimals} places. Percentile 100 is the top; decile 1 the top tenth.",
            confidential_note(confidential, directory_only),
        ),
    )

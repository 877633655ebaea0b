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
from recordsdesk.services.reports.people import CONFIDENTIAL_COLUMN, people, student_conditions
from recordsdesk.services.reports.table import (
    ReportTable,
    Value,
    confidential_note,
    decimal,
    gpa_policy,
    last_graded_term,
    resolve_program,
    resolve_term,
    rows,
)
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.rank import competition_ranks, decile, percentile
from recordsdesk.services.transcripts.totals import SUMS, refresh

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
#: Students a class is made of (those still at the school).
CURRENT = "('active', 'on_leave', 'suspended')"
CUMULATIVE = ", ".join(f"tt.cum_{s}" for s in SUMS)


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
    narrow, params = student_conditions(session, program=program, directory_only=directory_only)
    refresh(session)
    params.update(tid=term.id, tstart=term.start_date)
    # Each student's last stored row up to the term: the cumulative figures through it (the
    # transcript's, weighted points included). From the secondary programs to their students
    # (CROSS JOIN keeps SQLite from scanning every current one).
    found = rows(
        session,
        f"SELECT tt.student_id, student.class_year, {CUMULATIVE} "
        "FROM program p CROSS JOIN student JOIN term_totals tt ON tt.student_id = student.id "
        "AND tt.term_id = (SELECT u.term_id FROM term_totals u JOIN term t ON t.id = u.term_id "
        "WHERE u.student_id = student.id AND (t.start_date < :tstart "
        "OR (t.start_date = :tstart AND t.id <= :tid)) "
        "ORDER BY t.start_date DESC, t.id DESC LIMIT 1) "
        "WHERE student.program_id = p.id AND p.level = 'secondary' "
        f"AND student.class_year IS NOT NULL AND student.status IN {CURRENT}{narrow}",
        params,
    )
    policy = gpa_policy(session)
    latest = {int(row[0]): row for row in found}
    years = {sid: int(row[1]) for sid, row in latest.items()}
    figures = {sid: Totals(*(decimal(v) for v in row[2:7])) for sid, row in latest.items()}
    classes: dict[int, list[tuple[int, Decimal, Decimal]]] = {}
    for sid, through in sorted(figures.items()):
        unweighted = through.gpa(policy.rounding, policy.decimals)
        if unweighted is None:  # no GPA as of the term: left out
            continue
        weighted = through.gpa(policy.rounding, policy.decimals, weighted=True)
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

"""The standings of a history import's terms, decided after its commit, two thousand students
per short transaction.

The rules and their order are posting's (`transcripts.standing.decide_in_order`); what differs
is how the figures are read and the rows written. The import refreshes its students' stored
term totals first (`transcripts.totals`, the transcript's own rules, repeats included), and
each step reads every term's GPA and the cumulative GPA through it from them, as the reports
do; a record that may print no GPA (elementary, standards scales) is read from its transcript,
and while every stored row awaits a rebuild the figures are summed from the marks
(tests/test_import_standings.py checks posting's path would change nothing, both ways, under
each repeat policy). The stored standings are read as plain rows, new ones inserted in bulk and
changed ones updated by one executemany, with one audit event per student listing every term
decided for them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, select, text, update
from sqlmodel import Session, col
from sqlmodel import select as model_select

from recordsdesk.models import AcademicStanding, Institution, Term, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.trail import hold_chain_lock, plain
from recordsdesk.services.interchange.imports.audit_batch import AuditBatch
from recordsdesk.services.interchange.imports.bulk import insert_rows
from recordsdesk.services.interchange.imports.common import Progress
from recordsdesk.services.reports.standing import np_counts_as_f, stored_gpa
from recordsdesk.services.reports.table import decimal, gpa_policy
from recordsdesk.services.transcripts import standing, totals
from recordsdesk.services.transcripts.builder import build_transcript
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.totals import MEANING_KEY, meaning_table

_STANDING: Table = AcademicStanding.__table__  # type: ignore[attr-defined]
_TERM: Table = Term.__table__  # type: ignore[attr-defined]
#: The key of a standing event's before and after: one entry per term decided.
STANDINGS = "standings"


def _number(value: Any) -> Decimal | None:
    """A stored GPA as the decision gives it (SQLite hands back a float)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def decide_standings(
    actor: Actor,
    reason: str,
    terms_by_student: Mapping[int, Sequence[int]],
    done: int,
    total: int,
    session: Session,
    progress: Progress,
) -> None:
    """One step of an import's standings: each student of `terms_by_student` for each of
    their terms, stored and audited (one event per student whose standings changed)."""
    progress("deciding standing", done, total)
    hold_chain_lock(session)
    wanted = sorted({t for ids in terms_by_student.values() for t in ids})
    terms = {
        row.id: row for row in session.execute(select(_TERM).where(_TERM.c.id.in_(wanted))).all()
    }
    institution = session.exec(model_select(Institution).order_by(col(Institution.id))).first()
    assert institution is not None
    rules = standing.rules_of(institution)
    students = sorted(terms_by_student)
    stored: dict[int, dict[int, Any]] = {}
    query = (
        select(_STANDING, _TERM.c.start_date)
        .join(_TERM, _TERM.c.id == _STANDING.c.term_id)
        .where(_STANDING.c.student_id.in_(students))
    )
    for found in session.execute(query):
        stored.setdefault(found.student_id, {})[found.term_id] = found
    now = utcnow()
    new_rows: list[tuple[Any, ...]] = []
    changed_rows: list[dict[str, Any]] = []
    batch = AuditBatch(session, actor, reason=reason, at=now)
    gpas = _figures(session, actor, terms_by_student, terms)
    for student_id in students:
        mine = stored.get(student_id, {})
        standings = {t: r.standing for t, r in mine.items()}
        starts = {t: r.start_date for t, r in mine.items()}
        kept = {t for t, r in mine.items() if r.override_reason}
        ordered = [terms[t] for t in set(terms_by_student[student_id])]
        before: list[dict[str, Any]] = []
        after: list[dict[str, Any]] = []
        for term, level, computed, term_gpa, cumulative in standing.decide_in_order(
            rules, gpas.get(student_id, {}), ordered, standings, starts, kept
        ):
            figures = {
                "standing": level,
                "computed": computed,
                "term_gpa": plain(term_gpa),
                "cumulative_gpa": plain(cumulative),
            }
            row = mine.get(term.id)
            if row is None:
                new_rows.append(
                    (student_id, term.id, level, computed, term_gpa, cumulative, "", now,
                     actor.id, 1)
                )  # fmt: skip
            else:
                was = (
                    row.standing,
                    row.computed,
                    _number(row.term_gpa),
                    _number(row.cumulative_gpa),
                )
                if was == (level, computed, term_gpa, cumulative):
                    continue  # decided alike: nothing to write
                changed_rows.append(
                    {"key": row.id, "standing": level, "computed": computed,
                     "term_gpa": term_gpa, "cumulative_gpa": cumulative, "version": row.version + 1}
                )  # fmt: skip
                before.append(
                    {"term": term.code, "standing": was[0], "computed": was[1],
                     "term_gpa": plain(was[2]), "cumulative_gpa": plain(was[3]),
                     "version": row.version}
                )  # fmt: skip
                figures["version"] = row.version + 1
            after.append({"term": term.code} | figures)
        if after:
            batch.add(
                action=standing.DECIDE,
                entity="student",
                entity_id=student_id,
                student_id=student_id,
                before={STANDINGS: before} if before else None,
                after={STANDINGS: after},
            )
    columns = ("student_id", "term_id", "standing", "computed", "term_gpa", "cumulative_gpa",
               "override_reason", "decided_at", "decided_by_id", "version")  # fmt: skip
    insert_rows(session, _STANDING, columns, new_rows)
    if changed_rows:
        table = _STANDING
        session.execute(
            update(table)
            .where(table.c.id == bindparam("key"))
            .values(
                standing=bindparam("standing"),
                computed=bindparam("computed"),
                term_gpa=bindparam("term_gpa"),
                cumulative_gpa=bindparam("cumulative_gpa"),
                version=bindparam("version"),
                decided_at=now,
                decided_by_id=actor.id,
            ),
            changed_rows,
        )
    batch.flush()
    progress("deciding standing", done + len(terms_by_student), total)


# Students whose transcript prints no GPA (an elementary record, or marks on standards scales):
# their figures come from the transcript itself.
_TRANSCRIPT_ONLY = (
    "SELECT s.id FROM student s LEFT JOIN program p ON p.id = s.program_id "
    "WHERE s.id IN ({ids}) AND (p.level = 'elementary' OR EXISTS ("
    "SELECT 1 FROM enrollment e JOIN section sec ON sec.id = e.section_id "
    "JOIN course c ON c.id = sec.course_id JOIN grading_scale g ON g.id = c.grading_scale_id "
    "WHERE e.student_id = s.id AND g.kind = 'standards'))"
)


# What each posted attempt adds, as `reports.standing` sums it (a course taken once has nothing
# for the repeat policy to decide), grouped by student and term in one pass over the records.
_CREDITS = "COALESCE(e.credits, c.credits)"
_TERM_SUMS = (
    "WITH {meaning} SELECT e.student_id, sec.term_id, t.start_date, "
    f"SUM({_CREDITS} * m.attempted), SUM({_CREDITS} * m.earned), SUM({_CREDITS} * m.in_gpa), "
    f"SUM({_CREDITS} * m.points), SUM({_CREDITS} * m.in_gpa * (m.points + m.passing * c.weight)) "
    "FROM enrollment e JOIN section sec ON sec.id = e.section_id "
    "JOIN course c ON c.id = sec.course_id JOIN term t ON t.id = sec.term_id "
    f"LEFT JOIN meaning m ON m.k = {MEANING_KEY} "
    "WHERE e.grade_status = 'posted' AND e.mark IS NOT NULL "
    "AND e.status IN ('completed', 'withdrawn', 'registered') AND e.student_id IN ({ids}) "
    "GROUP BY e.student_id, sec.term_id, t.start_date"
)
# Students who took a course more than once on a mark of its own scale: the repeat policy
# decides among those attempts, so their figures come from the transcript.
_REPEATERS = (
    "WITH {meaning} SELECT e.student_id "
    "FROM enrollment e JOIN section sec ON sec.id = e.section_id "
    "JOIN course c ON c.id = sec.course_id "
    f"LEFT JOIN meaning m ON m.k = {MEANING_KEY} "
    "WHERE e.grade_status = 'posted' AND e.mark IS NOT NULL "
    "AND e.status IN ('completed', 'withdrawn', 'registered') AND e.student_id IN ({ids}) "
    "GROUP BY e.student_id HAVING COUNT(CASE WHEN m.graded = 1 THEN 1 END) "
    "<> COUNT(DISTINCT CASE WHEN m.graded = 1 THEN sec.course_id END)"
)


def _figures(
    session: Session,
    actor: Actor,
    terms_by_student: Mapping[int, Sequence[int]],
    terms: Mapping[int, Any],
) -> dict[int, dict[str, tuple[Decimal | None, Decimal | None]]]:
    """student id -> term code -> (term GPA, cumulative GPA through the term), as the
    student's transcript prints them: read from the stored term totals (the import refreshes
    them first; a student another desk has written since is refreshed here), or, while every
    row awaits a rebuild (a policy or scale changed since), summed from the marks."""
    if totals.needs_rebuild(session):
        return _figures_from_marks(session, actor, terms_by_student, terms)
    students = sorted(terms_by_student)
    ids = ", ".join(str(int(s)) for s in students)  # ids read from the database: integers
    stale = [
        int(r[0])
        for r in session.execute(
            text(f"SELECT DISTINCT student_id FROM term_totals_stale WHERE student_id IN ({ids})")
        )
    ]
    if stale:
        totals.refresh(session, students=stale)
    special = {int(r[0]) for r in session.execute(text(_TRANSCRIPT_ONLY.format(ids=ids)))}
    found = _from_transcripts(session, actor, special)
    policy = gpa_policy(session)
    rounding, decimals = policy.rounding, policy.decimals
    # Few distinct (points, credits) pairs recur across thousands of students: each pair's
    # Decimal division and rounding done once.
    known: dict[tuple[Any, Any], Decimal | None] = {}

    def figure(quality: Any, gpa_credits: Any) -> Decimal | None:
        pair = (quality, gpa_credits)
        if pair not in known:
            known[pair] = stored_gpa(quality, gpa_credits, rounding, decimals)
        return known[pair]

    query = text(_STORED.format(ids=ids))
    for student_id, code, quality, gpa_credits, cum_quality, cum_credits in session.execute(query):
        if int(student_id) not in special:
            found.setdefault(int(student_id), {})[code] = (
                figure(quality, gpa_credits),
                figure(cum_quality, cum_credits),
            )
    return found


# Each student's stored figures for the terms of their transcript (a term with a posted mark).
_STORED = (
    "SELECT tt.student_id, t.code, tt.quality_points, tt.gpa_credits, tt.cum_quality_points, "
    "tt.cum_gpa_credits FROM term_totals tt JOIN term t ON t.id = tt.term_id "
    "WHERE tt.student_id IN ({ids}) AND tt.posted > 0"
)


def _from_transcripts(
    session: Session, actor: Actor, students: Collection[int]
) -> dict[int, dict[str, tuple[Decimal | None, Decimal | None]]]:
    """The figures of `students` from each one's transcript (a record that may print no GPA)."""
    found: dict[int, dict[str, tuple[Decimal | None, Decimal | None]]] = {}
    for student_id in students:
        transcript = build_transcript(session, actor=actor, student_id=student_id, with_rank=False)
        found[student_id] = {t.code: (t.gpa, t.cumulative_gpa) for t in transcript.terms}
    return found


def _figures_from_marks(
    session: Session,
    actor: Actor,
    terms_by_student: Mapping[int, Sequence[int]],
    terms: Mapping[int, Any],
) -> dict[int, dict[str, tuple[Decimal | None, Decimal | None]]]:
    """student id -> term code -> (term GPA, cumulative GPA through the term), as the
    student's transcript prints them: from each term's sums, added up in term order (one
    statement for all the step's students, with the transcript's own mark rules, as the
    reports read them), or from the transcript itself for a record that prints no GPA or that
    repeats a course."""
    policy = gpa_policy(session)
    students = sorted(terms_by_student)
    ids = ", ".join(str(int(s)) for s in students)  # ids read from the database: integers
    meaning, bound = meaning_table(session, np_counts_as_f(session))
    special = {int(r[0]) for r in session.execute(text(_TRANSCRIPT_ONLY.format(ids=ids)))}
    special |= {
        int(r[0]) for r in session.execute(text(_REPEATERS.format(meaning=meaning, ids=ids)), bound)
    }
    found = _from_transcripts(session, actor, special)
    sums: dict[int, list[tuple[Any, int, Totals]]] = {}
    query = text(_TERM_SUMS.format(meaning=meaning, ids=ids))
    for student_id, term_id, start, *values in session.execute(query, bound):
        if int(student_id) not in special:
            totals = Totals(*(decimal(v) for v in values))
            sums.setdefault(int(student_id), []).append((_day(start), int(term_id), totals))
    codes = {term_id: row.code for term_id, row in terms.items()}
    rounding, decimals = policy.rounding, policy.decimals
    for student_id, by_term in sums.items():
        mine = found[student_id] = {}
        running = Totals()
        for _start, term_id, totals in sorted(by_term, key=lambda item: item[:2]):
            running = running + totals
            if term_id in codes:
                mine[codes[term_id]] = (
                    totals.gpa(rounding, decimals),
                    running.gpa(rounding, decimals),
                )
    return found


def _day(value: Any) -> date:
    """A DATE column: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

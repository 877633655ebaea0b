"""Per-student GPA figures for many students at once, with the transcript's own rules.

A standing report (dean's list, probation, graduation audit) needs the figures of tens of
thousands of records. Building each transcript would take minutes at 100k students, so:
- a course a student took once has nothing for the repeat policy to decide: what it adds is a
  plain sum, and SQL adds those up per student in one grouped query;
- the attempts of a course a student repeated go through `gpa.outcomes`, the arithmetic every
  transcript uses (the policy resolves each course's attempts on their own, later repeats
  included, so this part and the sums simply add up).
`gpa.Totals.gpa` rounds the total, so a report cannot disagree with a transcript.
Only posted marks count; a mark's meaning comes from its basis (P/NP, S/U, CR/NC), else its
course's scale, else the NON-GRADE scale, exactly as the transcript builder reads it (its rule
table, cache and `rule_for` are imported, not copied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from recordsdesk.services.reports.table import TermRef, decimal, rows
from recordsdesk.services.transcripts import gpa
from recordsdesk.services.transcripts.builder import NON_GRADE_SCALE, cached_rules
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.meaning import BASIS_MARKS, BASIS_RULES, rule_for

# Which students a figure is wanted for: a SELECT of student ids (bound parameters allowed).
POSTED_IN_TERM = (
    "SELECT e2.student_id FROM enrollment e2 JOIN section s2 ON s2.id = e2.section_id "
    "WHERE s2.term_id = :tid AND e2.grade_status = 'posted'"
)
CURRENT_STUDENTS = "SELECT id FROM student WHERE status IN ('active', 'on_leave', 'suspended')"
# Elementary records carry progress marks without a GPA (as on their transcripts).
NOT_ELEMENTARY = (
    "SELECT s3.id FROM student s3 LEFT JOIN program p3 ON p3.id = s3.program_id "
    "WHERE p3.level IS NULL OR p3.level <> 'elementary'"
)

_FROM = (
    "FROM enrollment e JOIN section sec ON sec.id = e.section_id "
    "JOIN course c ON c.id = sec.course_id JOIN term t ON t.id = sec.term_id "
    "LEFT JOIN grade_mark gm ON gm.scale_id = c.grading_scale_id AND gm.mark = e.mark "
    "LEFT JOIN grade_mark ng ON ng.scale_id = :ng AND ng.mark = e.mark "
)
_POSTED = (
    "WHERE e.grade_status = 'posted' AND e.mark IS NOT NULL "
    "AND e.status IN ('completed', 'withdrawn', 'registered') "
)
_CREDITS = "COALESCE(e.credits, c.credits)"


def _flag(name: str) -> str:
    return f"COALESCE(gm.{name}, ng.{name}, FALSE)"


def _marks(marks: tuple[str, ...]) -> str:
    return ", ".join(f"'{m}'" for m in marks)


# A mark given on a basis other than graded means what its basis says (meaning.rule_for): it is
# attempted, earns credit when it passes (P, S, CR) and never has points; NP enters the GPA as
# an F (0 points over the credits) when the institution's `np_counts_as_f` (:npf) says so.
_BASIS_ROW = f"(e.grading_basis <> 'graded' AND e.mark IN ({_marks(BASIS_MARKS)}))"
_BASIS_EARNS = _marks(tuple(m for m, rule in BASIS_RULES.items() if rule.earns_credit))
_NP_AS_F = "(:npf AND e.mark = 'NP')"
_ATTEMPTED = f"CASE WHEN {_BASIS_ROW} OR {_flag('counts_attempted')} THEN {_CREDITS} ELSE 0 END"
_EARNED = (
    f"CASE WHEN {_BASIS_ROW} THEN CASE WHEN e.mark IN ({_BASIS_EARNS}) THEN {_CREDITS} ELSE 0 "
    f"END WHEN {_flag('earns_credit')} AND {_flag('is_passing')} THEN {_CREDITS} ELSE 0 END"
)
_GPA_CREDITS = (
    f"CASE WHEN {_NP_AS_F} THEN {_CREDITS} WHEN {_BASIS_ROW} THEN 0 "
    f"WHEN {_flag('counts_in_gpa')} THEN {_CREDITS} ELSE 0 END"
)
_QUALITY = (
    f"CASE WHEN {_NP_AS_F} OR {_BASIS_ROW} THEN 0 WHEN {_flag('counts_in_gpa')} "
    f"THEN {_CREDITS} * COALESCE(gm.points, ng.points) ELSE 0 END"
)


@dataclass(frozen=True)
class StudentFigures:
    """`term`: the attempts of the chosen term (empty without one); `through`: every attempt up
    to and including that term (the whole record without one). Transfer credit is not in these:
    it earns credit but never enters a GPA."""

    student_id: int
    term: Totals
    through: Totals


def _non_grade_scale(session: Session) -> int:
    found = rows(session, "SELECT id FROM grading_scale WHERE code = :c", {"c": NON_GRADE_SCALE})
    return int(found[0][0]) if found else -1


def _np_counts_as_f(session: Session) -> bool:
    found = rows(session, "SELECT np_counts_as_f FROM institution ORDER BY id LIMIT 1")
    return bool(found[0][0]) if found else False


def _through_condition(term: TermRef | None) -> str:
    if term is None:
        return ""
    return "AND (t.start_date < :tstart OR (t.start_date = :tstart AND t.id <= :tid)) "


# Attempts of a course that a repeat policy weighs: marks of its own scale or of a basis.
_GRADED = f"((gm.id IS NOT NULL AND c.grading_scale_id <> :ng) OR {_BASIS_ROW})"
_CHUNK = 2000  # student ids per look-up of repeaters' records (well under any bind limit)


def student_figures(
    session: Session,
    *,
    scope: str,
    params: dict[str, Any],
    repeat_policy: str,
    term: TermRef | None = None,
) -> dict[int, StudentFigures]:
    """Figures for every student selected by `scope` who has at least one posted mark (through
    `term` when given). Students with nothing posted are simply absent.

    One grouped scan sums each student's attempts as if no repeat policy applied, and counts
    graded attempts against distinct graded courses: where the two differ the student repeated
    a course, and for those courses alone the plain sums are swapped for what `gpa.outcomes`
    makes of them."""
    bound: dict[str, Any] = dict(params)
    bound["ng"] = _non_grade_scale(session)
    bound["npf"] = _np_counts_as_f(session)
    measures = (_ATTEMPTED, _EARNED, _GPA_CREDITS, _QUALITY)
    if term is not None:
        bound.update(tid=term.id, tstart=term.start_date)
        through = "(t.start_date < :tstart OR (t.start_date = :tstart AND t.id <= :tid))"
        sums_sql = [f"SUM(CASE WHEN t.id = :tid THEN {m} ELSE 0 END)" for m in measures]
        sums_sql += [f"SUM(CASE WHEN {through} THEN {m} ELSE 0 END)" for m in measures]
        sums_sql.append(f"MAX(CASE WHEN {through} THEN 1 ELSE 0 END)")
    else:
        # The whole record: no term columns, no CASE per row (half the work of the scan).
        sums_sql = [f"SUM({m})" for m in measures] + ["1"]
    sums = rows(
        session,
        f"SELECT e.student_id, {', '.join(sums_sql)}, "
        f"COUNT(CASE WHEN {_GRADED} THEN 1 END), "
        f"COUNT(DISTINCT CASE WHEN {_GRADED} THEN sec.course_id END) "
        f"{_FROM}{_POSTED}AND e.student_id IN ({scope}) GROUP BY e.student_id",
        bound,
    )
    empty = Totals()
    figures: dict[int, StudentFigures] = {}
    repeaters: list[int] = []
    for sid, *values in sums:
        graded, distinct = values[-2:]
        if not values[-3]:
            continue  # every posted mark is later than the term
        v = [decimal(x) for x in values[:-3]]
        whole = Totals(v[-4], v[-3], v[-2], v[-1], v[-1])
        in_term = Totals(v[0], v[1], v[2], v[3], v[3]) if term is not None else empty
        figures[int(sid)] = StudentFigures(int(sid), in_term, whole)
        if int(graded) != int(distinct):
            repeaters.append(int(sid))
    for sid, (term_fix, through_fix) in _repeat_corrections(
        session, repeaters, (bound["ng"], bound["npf"]), repeat_policy, term
    ).items():
        plain = figures[sid]
        figures[sid] = StudentFigures(sid, plain.term + term_fix, plain.through + through_fix)
    return figures


def _minus(totals: Totals) -> Totals:
    return Totals(
        -totals.credits_attempted,
        -totals.credits_earned,
        -totals.gpa_credits,
        -totals.quality_points,
        -totals.weighted_points,
    )


def _repeat_corrections(
    session: Session,
    student_ids: list[int],
    scales: tuple[int, bool],
    repeat_policy: str,
    term: TermRef | None,
) -> dict[int, tuple[Totals, Totals]]:
    """For students who repeated a course: what the repeat policy changes, (in the term, through
    the term). Reads every attempt of each repeated course (later ones too: a later repeat can
    exclude an earlier attempt) and subtracts the plain sums the scan counted for them."""
    if not student_ids:
        return {}
    rules, _kinds, _codes = cached_rules(session)
    order = {
        int(r[0]): i
        for i, r in enumerate(rows(session, "SELECT id FROM term ORDER BY start_date, id"))
    }
    limit = order[term.id] if term is not None else len(order)
    statement = text(
        f"SELECT e.student_id, e.id, sec.course_id, t.id, {_CREDITS}, c.grading_scale_id, e.mark, "
        "e.grading_basis "
        f"{_FROM}JOIN (SELECT e.student_id AS sid, sec.course_id AS cid {_FROM}{_POSTED}"
        f"AND {_GRADED} AND e.student_id IN :ids GROUP BY e.student_id, sec.course_id "
        "HAVING COUNT(*) > 1) rp ON rp.sid = e.student_id AND rp.cid = sec.course_id "
        f"{_POSTED}AND e.student_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    by_student: dict[int, list[tuple[gpa.Attempt, int]]] = {}
    credit_values: dict[Any, Any] = {}
    for start in range(0, len(student_ids), _CHUNK):
        chunk = student_ids[start : start + _CHUNK]
        params = {"ids": chunk, "ng": scales[0], "npf": scales[1]}
        found = session.execute(statement, params).all()
        for sid, eid, course_id, term_id, raw_credits, scale_id, mark, basis in found:
            rule = rule_for(rules, scale_id, basis, mark, scales[1])
            amount = credit_values.get(raw_credits)
            if amount is None:
                amount = credit_values[raw_credits] = decimal(raw_credits)
            attempt = gpa.Attempt(int(eid), int(course_id), order[int(term_id)], amount, rule)
            by_student.setdefault(int(sid), []).append((attempt, int(term_id)))
    corrections: dict[int, tuple[Totals, Totals]] = {}
    for sid, pairs in by_student.items():
        attempts = [a for a, _ in pairs]
        resolved = gpa.outcomes(attempts, repeat_policy)
        plain = {a.key: gpa.outcomes([a], repeat_policy)[a.key] for a in attempts}
        fixes = []
        for wanted in (
            [a.key for a, t in pairs if term is not None and t == term.id],
            [a.key for a, _ in pairs if a.order <= limit],
        ):
            fixes.append(
                gpa.total(resolved[k] for k in wanted) + _minus(gpa.total(plain[k] for k in wanted))
            )
        corrections[sid] = (fixes[0], fixes[1])
    return corrections

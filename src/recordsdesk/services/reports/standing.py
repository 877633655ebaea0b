"""Per-student GPA figures for many students at once, with the transcript's own rules.

Dean's list, probation, graduation and class rank read them stored (one row per student and
term in `term_totals`, kept current by transcripts.totals, refreshed before each read), each
in its own statement with the names joined in, rounding with `stored_gpa`; so their time grows
with the students they list, not with every posted mark. `student_figures` computes them from
the marks, for one student's degree audit:

A standing report needs the figures of tens of thousands of records. Building each transcript
would take minutes at 100k students, so SQL does it set-based, in two statements:
- one grouped scan over every posted mark of the students in scope sums what each attempt adds
  on its own (a course taken once has nothing for the repeat policy to decide), and tells the
  students who took a course more than once (more posted attempts than distinct courses);
- for those students, the attempts of their repeated courses alone are resolved with window
  functions as `gpa.outcomes` resolves them (later repeats included), and the difference from
  the plain sums is added.
`gpa.Totals.gpa` rounds the totals, so a report cannot disagree with a transcript (a test
compares every demo student's figures with the builder's under each repeat policy). A mark's
meaning (its basis's P/NP, S/U, CR/NC, else its course's scale, else NON-GRADE; NP as F when the
institution says so) comes from a table `meaning.rule_for` fills, so the SQL reads marks exactly
as the transcript builder does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from recordsdesk.services.reports.table import TermRef, decimal, rows
from recordsdesk.services.transcripts.gpa import Totals, round_gpa
from recordsdesk.services.transcripts.totals import MEANING_KEY, meaning_table

# Which students a figure is wanted for: a SELECT of student ids (bound parameters allowed).
POSTED_IN_TERM = (
    "SELECT e2.student_id FROM enrollment e2 JOIN section s2 ON s2.id = e2.section_id "
    "WHERE s2.term_id = :tid AND e2.grade_status = 'posted'"
)
#: How far from a GPA line a plain GPA may fall and still be worth computing exactly (`keep`):
#: wider than any rounding of the GPA to two places and than SQLite's float sums' error.
NEAR = 0.02
CURRENT_STUDENTS = "SELECT id FROM student WHERE status IN ('active', 'on_leave', 'suspended')"
# Elementary records carry progress marks without a GPA (as on their transcripts).
NOT_ELEMENTARY = (
    "SELECT s3.id FROM student s3 LEFT JOIN program p3 ON p3.id = s3.program_id "
    "WHERE p3.level IS NULL OR p3.level <> 'elementary'"
)

_JOINS = (
    "FROM enrollment e JOIN section sec ON sec.id = e.section_id "
    "JOIN course c ON c.id = sec.course_id {terms}"
    f"LEFT JOIN meaning m ON m.k = {MEANING_KEY} "
)
_FROM = _JOINS.format(terms="JOIN term t ON t.id = sec.term_id ")
# With a term, each term's place against it is worked out once (a few rows), not per attempt.
TERM_FLAGS = (
    "term_flags(id, in_term, through) AS MATERIALIZED (SELECT id, "
    "CASE WHEN id = :tid THEN 1 ELSE 0 END, CASE WHEN start_date < :tstart "
    "OR (start_date = :tstart AND id <= :tid) THEN 1 ELSE 0 END FROM term)"
)
_POSTED = (
    "WHERE e.grade_status = 'posted' AND e.mark IS NOT NULL "
    "AND e.status IN ('completed', 'withdrawn', 'registered') "
)
_CREDITS = "COALESCE(e.credits, c.credits)"
# What one attempt adds when no repeat policy applies (gpa.outcomes of it alone).
_MEASURES = (
    f"{_CREDITS} * m.attempted",
    f"{_CREDITS} * m.earned",
    f"{_CREDITS} * m.in_gpa",
    f"{_CREDITS} * m.points",
    f"{_CREDITS} * m.in_gpa * (m.points + m.passing * c.weight)",
)


@dataclass(frozen=True)
class StudentFigures:
    """`term`: the attempts of the chosen term (empty without one); `through`: every attempt up
    to and including that term (the whole record without one). Transfer credit is not in these:
    it earns credit but never enters a GPA. Weighted points are the transcript's (the course's
    weight added to a passing mark in the GPA)."""

    student_id: int
    term: Totals
    through: Totals


def np_counts_as_f(session: Session) -> bool:
    """Whether the institution counts NP as F in the GPA (the meaning table needs it)."""
    found = rows(session, "SELECT np_counts_as_f FROM institution ORDER BY id LIMIT 1")
    return bool(found[0][0]) if found else False


_CHUNK = 2000  # student ids per look-up of repeaters' records (well under any bind limit)


def student_figures(
    session: Session,
    *,
    scope: str,
    params: dict[str, Any],
    repeat_policy: str,
    term: TermRef | None = None,
    keep: str = "",
) -> dict[int, StudentFigures]:
    """Figures for every student selected by `scope` who has at least one posted mark (through
    `term` when given). Students with nothing posted are simply absent.

    `keep`, when given, is an SQL condition on a student's plain sums that a report's list needs
    (a GPA near its line): `{quality}` and `{credits}` stand for the quality points and GPA
    credits through the term (the whole record without one), `{term_quality}` and
    `{term_credits}` for the term's. Students it leaves out are absent too, unless they repeated
    a course (the policy may move their GPA either way), so a report reads thousands of figures
    instead of every student's.

    One grouped scan sums each student's attempts as if no repeat policy applied, and counts
    posted attempts against distinct courses: where the two differ the student repeated
    a course, and for those courses alone the plain sums are swapped for what the repeat policy
    makes of them (`_repeat_corrections`)."""
    npf = np_counts_as_f(session)
    meaning, bound = meaning_table(session, npf)
    bound.update(params)
    if term is not None:
        bound.update(tid=term.id, tstart=term.start_date)
        sums_sql = [f"SUM({m} * t.in_term)" for m in _MEASURES]
        sums_sql += [f"SUM({m} * t.through)" for m in _MEASURES]
        sums_sql.append("MAX(t.through)")
        ctes = f"{meaning}, {TERM_FLAGS}"
        joins = _JOINS.format(terms="JOIN term_flags t ON t.id = sec.term_id ")
    else:
        # The whole record: no term columns, no term read per row (half the work of the scan).
        sums_sql = [f"SUM({m})" for m in _MEASURES] + ["1"]
        ctes, joins = meaning, _JOINS.format(terms="")
    # A course with two posted attempts may be one the policy changes (two graded ones, or a
    # passed one and a TR after it that earns nothing): those students are resolved exactly.
    repeated = "COUNT(*) <> COUNT(DISTINCT sec.course_id)"
    having = ""
    if keep:
        through = 5 if term is not None else 0
        having = " HAVING ({}) OR {}".format(
            keep.format(
                quality=sums_sql[through + 3],
                credits=sums_sql[through + 2],
                term_quality=sums_sql[3],
                term_credits=sums_sql[2],
            ),
            repeated,
        )
    sums = rows(
        session,
        f"WITH {ctes} SELECT e.student_id, {', '.join(sums_sql)}, "
        f"{repeated.replace(' <> ', ', ')} "
        f"{joins}{_POSTED}AND e.student_id IN ({scope}) GROUP BY e.student_id{having}",
        bound,
    )
    empty = Totals()
    figures: dict[int, StudentFigures] = {}
    repeaters: list[int] = []
    for sid, *values in sums:
        attempts, distinct = values[-2:]
        if not values[-3]:
            continue  # every posted mark is later than the term
        v = [decimal(x) for x in values[:-3]]
        whole = Totals(*v[-5:])
        in_term = Totals(*v[:5]) if term is not None else empty
        figures[int(sid)] = StudentFigures(int(sid), in_term, whole)
        if int(attempts) != int(distinct):
            repeaters.append(int(sid))
    for sid, (term_fix, through_fix) in _repeat_corrections(
        session, repeaters, npf, repeat_policy, term
    ).items():
        plain = figures[sid]
        figures[sid] = StudentFigures(sid, plain.term + term_fix, plain.through + through_fix)
    return figures


# Every posted attempt of the courses a student took more than once, with the flags of its mark:
# what the repeat policy decides among (`tries`: attempts on a mark of the course, `graded`),
# and whether an earlier graded pass leaves a later mark that earns credit (TR) nothing.
_ATTEMPTS = (
    "SELECT e.student_id AS sid, sec.course_id AS cid, e.id AS eid, t.start_date AS tstart, "
    f"t.id AS tid, {_CREDITS} AS cr, c.weight AS w, COALESCE(m.attempted, 0) AS att, "
    "COALESCE(m.earned, 0) AS earn, COALESCE(m.in_gpa, 0) AS in_gpa, "
    "COALESCE(m.points, 0) AS pts, COALESCE(m.passing, 0) AS pass, "
    "COALESCE(m.graded, 0) AS graded, "
    "SUM(COALESCE(m.graded, 0)) OVER (PARTITION BY e.student_id, sec.course_id) AS tries, "
    "SUM(COALESCE(m.earned, 0)) OVER (PARTITION BY e.student_id, sec.course_id) AS earners "
    f"{_FROM}{_POSTED}AND e.student_id IN :ids"
)
# Which graded attempt a policy keeps (gpa._excluded): the latest, or the best by points, then
# passing, then the later one; `all` keeps every one.
_KEEP = {
    "latest": "t.tstart DESC, t.tid DESC, t.eid DESC",
    "highest": "t.pts DESC, t.pass DESC, t.tstart DESC, t.tid DESC, t.eid DESC",
}
_PLAIN = (
    "r.cr * r.att",
    "r.cr * r.earn",
    "r.cr * r.in_gpa",
    "r.cr * r.pts",
    "r.cr * r.in_gpa * (r.pts + r.pass * r.w)",
)
# After the policy (gpa.outcomes): an excluded attempt adds nothing; a course's credit is
# earned once, by the first attempt in time that earns it after no earlier kept graded one did.
_RESOLVED = (
    "r.kept * r.cr * r.att",
    "CASE WHEN r.kept = 1 AND r.earn = 1 AND COALESCE(r.earned_before, 0) = 0 THEN r.cr ELSE 0 END",
    "r.kept * r.cr * r.in_gpa",
    "r.kept * r.cr * r.pts",
    "r.kept * r.cr * r.in_gpa * (r.pts + r.pass * r.w)",
)


def _resolution_sql(repeat_policy: str, term: TermRef | None) -> str:
    """Per student: what the repeat policy changes in the plain sums, (in the term, through the
    term) or the whole record, all in SQL over the attempts of repeated courses alone."""
    order = _KEEP.get(repeat_policy)
    kept = (
        "1"
        if order is None
        else "CASE WHEN t.graded = 0 OR ROW_NUMBER() OVER (PARTITION BY t.sid, t.cid, t.graded "
        f"ORDER BY {order}) = 1 THEN 1 ELSE 0 END"
    )
    deltas = [f"({after}) - ({before})" for after, before in zip(_RESOLVED, _PLAIN, strict=True)]
    if term is None:
        sums = [f"SUM({d})" for d in deltas]
    else:
        through = "(r.tstart < :tstart OR (r.tstart = :tstart AND r.tid <= :tid))"
        sums = [f"SUM(CASE WHEN r.tid = :tid THEN {d} ELSE 0 END)" for d in deltas]
        sums += [f"SUM(CASE WHEN {through} THEN {d} ELSE 0 END)" for d in deltas]
    return (
        f"SELECT r.sid, {', '.join(sums)} FROM (SELECT k.*, SUM(k.kept * k.graded * k.earn) "
        "OVER (PARTITION BY k.sid, k.cid ORDER BY k.tstart, k.tid, k.eid "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earned_before "
        f"FROM (SELECT t.*, {kept} AS kept FROM ({_ATTEMPTS}) t "
        "WHERE t.tries > 1 OR (t.tries = 1 AND t.earners > 1)) k) r "
        "GROUP BY r.sid"
    )


def _repeat_corrections(
    session: Session,
    student_ids: list[int],
    np_counts_as_f: bool,
    repeat_policy: str,
    term: TermRef | None,
) -> dict[int, tuple[Totals, Totals]]:
    """For students who repeated a course: what the repeat policy changes, (in the term, through
    the term). Resolves every attempt of each repeated course (later ones too: a later repeat
    can exclude an earlier attempt) in SQL, as `gpa.outcomes` would, against the plain sums the
    scan counted for them."""
    if not student_ids:
        return {}
    meaning, bound = meaning_table(session, np_counts_as_f)
    if term is not None:
        bound.update(tid=term.id, tstart=term.start_date)
    statement = text(f"WITH {meaning} {_resolution_sql(repeat_policy, term)}").bindparams(
        bindparam("ids", expanding=True)
    )
    empty = Totals()
    corrections: dict[int, tuple[Totals, Totals]] = {}
    for start in range(0, len(student_ids), _CHUNK):
        chunk = student_ids[start : start + _CHUNK]
        for sid, *values in session.execute(statement, {**bound, "ids": chunk}).all():
            v = [decimal(x) for x in values]
            if term is None:
                corrections[int(sid)] = (empty, Totals(*v))
            else:
                corrections[int(sid)] = (Totals(*v[:5]), Totals(*v[5:]))
    return corrections


#: A record with a GPA (elementary records carry progress marks without one).
NOT_ELEMENTARY = "(p.level IS NULL OR p.level <> 'elementary')"


def stored_gpa(quality: Any, gpa_credits: Any, rounding: str, decimals: int) -> Decimal | None:
    """`Totals.gpa` of a stored row's quality points and GPA credits (the same Decimal division
    and rounding), without building Totals per row: a term's list reads up to a tenth of the
    students, and the objects cost more than the query."""
    divisor = decimal(gpa_credits)
    if not divisor:
        return None
    return round_gpa(decimal(quality) / divisor, rounding, decimals)

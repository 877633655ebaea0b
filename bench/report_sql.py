"""The floor each report is measured against: hand-written SQL computing the same figures.

Each query is what a person fluent in SQL would write for the report on one file with plain
`sqlite3`: marks read from grade_mark (the course's scale, else NON-GRADE; P/NP, S/U, CR/NC on
a basis other than graded earn credit outside the GPA), repeats resolved with a window function
under the institution's policy, GPAs rounded in SQL, and the report's own filter applied, so
the rows it returns are the report's rows. It reads the policy from the file (latest or
highest; `all` keeps every attempt); it does not read NP as F (the demo's institution does not
either). The service's rows are counted beside it in the table, so a query that drifted from
its report shows.
"""

from __future__ import annotations

import sqlite3
from datetime import date

BASIS_MARKS = "'P', 'NP', 'S', 'U', 'CR', 'NC'"
BASIS_EARNS = "'P', 'S', 'CR'"

# Every posted attempt with what its mark means; `{scope}` narrows the students.
_ATTEMPTS = f"""
attempts AS (
  SELECT e.student_id AS sid, sec.course_id AS cid, t.id AS tid, t.start_date AS tstart,
         e.id AS eid, COALESCE(e.credits, c.credits) AS cr, c.weight AS weight,
         CASE WHEN e.grading_basis <> 'graded' AND e.mark IN ({BASIS_MARKS}) THEN 1
              ELSE COALESCE(gm.counts_attempted, ng.counts_attempted, 0) END AS attempted,
         CASE WHEN e.grading_basis <> 'graded' AND e.mark IN ({BASIS_MARKS})
              THEN e.mark IN ({BASIS_EARNS})
              ELSE COALESCE(gm.earns_credit AND gm.is_passing, ng.earns_credit AND ng.is_passing,
                            0) END AS earns,
         CASE WHEN e.grading_basis <> 'graded' AND e.mark IN ({BASIS_MARKS}) THEN 0
              ELSE COALESCE(gm.counts_in_gpa, ng.counts_in_gpa, 0)
                   AND COALESCE(gm.points, ng.points) IS NOT NULL END AS in_gpa,
         COALESCE(gm.points, ng.points, 0) AS points,
         COALESCE(gm.is_passing, ng.is_passing, 0) AS passing,
         (gm.id IS NOT NULL AND c.grading_scale_id <> ngs.id)
           OR (e.grading_basis <> 'graded' AND e.mark IN ({BASIS_MARKS})) AS graded
  FROM enrollment e JOIN section sec ON sec.id = e.section_id
  JOIN course c ON c.id = sec.course_id JOIN term t ON t.id = sec.term_id
  JOIN grading_scale ngs ON ngs.code = 'NON-GRADE'
  LEFT JOIN grade_mark gm ON gm.scale_id = c.grading_scale_id AND gm.mark = e.mark
  LEFT JOIN grade_mark ng ON ng.scale_id = ngs.id AND ng.mark = e.mark
  WHERE e.grade_status = 'posted' AND e.mark IS NOT NULL
    AND e.status IN ('completed', 'withdrawn', 'registered') AND {{scope}}
),
kept AS (
  SELECT a.*, CASE WHEN NOT a.graded OR (SELECT repeat_policy FROM institution) = 'all' THEN 1
    WHEN ROW_NUMBER() OVER (PARTITION BY a.sid, a.cid, a.graded ORDER BY
      CASE WHEN (SELECT repeat_policy FROM institution) = 'highest'
           THEN a.in_gpa * a.points ELSE 0 END DESC,
      CASE WHEN (SELECT repeat_policy FROM institution) = 'highest' THEN a.passing ELSE 0 END DESC,
      a.tstart DESC, a.tid DESC, a.eid DESC) = 1 THEN 1 ELSE 0 END AS keep
  FROM attempts a
),
figures AS (
  SELECT k.*, CASE WHEN k.earns AND COALESCE(SUM(k.graded * k.earns) OVER (
      PARTITION BY k.sid, k.cid ORDER BY k.tstart, k.tid, k.eid
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) = 0 THEN k.cr ELSE 0 END AS earned
  FROM kept k WHERE k.keep = 1
)"""

_TERM = "(SELECT id FROM term WHERE code = :term)"
_THROUGH = (
    "(f.tstart < (SELECT start_date FROM term WHERE code = :term) OR (f.tstart = "
    "(SELECT start_date FROM term WHERE code = :term) AND f.tid <= " + _TERM + "))"
)
_LAST_GRADED = (
    "(SELECT code FROM term t WHERE EXISTS (SELECT 1 FROM section s JOIN enrollment e "
    "ON e.section_id = s.id WHERE s.term_id = t.id AND e.grade_status = 'posted') "
    "ORDER BY t.status IN ('grading', 'closed') DESC, t.start_date DESC, t.id DESC LIMIT 1)"
)
_NOT_ELEMENTARY = (
    "e.student_id IN (SELECT s.id FROM student s LEFT JOIN program p ON p.id = s.program_id "
    "WHERE p.level IS NULL OR p.level <> 'elementary')"
)
_CURRENT = (
    "e.student_id IN (SELECT id FROM student WHERE status IN ('active', 'on_leave', 'suspended'))"
)
_POSTED_IN_TERM = (
    "e.student_id IN (SELECT e2.student_id FROM enrollment e2 JOIN section s2 "
    f"ON s2.id = e2.section_id WHERE s2.term_id = {_TERM} AND e2.grade_status = 'posted')"
)
_GPA = "ROUND(1.0 * SUM({q}) / NULLIF(SUM({c}), 0) + 1e-9, (SELECT gpa_decimals FROM institution))"


def _gpa(where: str = "1", weighted: bool = False) -> str:
    points = "f.points + f.passing * f.weight" if weighted else "f.points"
    return _GPA.format(
        q=f"CASE WHEN {where} AND f.in_gpa THEN f.cr * ({points}) ELSE 0 END",
        c=f"CASE WHEN {where} AND f.in_gpa THEN f.cr ELSE 0 END",
    )


def _with(scope: str) -> str:
    return "WITH " + _ATTEMPTS.replace("{scope}", scope)


ENROLLMENT = """
SELECT t.code, COALESCE(p.level, ''), COALESCE(p.code, ''),
  COUNT(DISTINCT CASE WHEN e.status IN ('registered', 'completed') THEN e.student_id END),
  COUNT(CASE WHEN e.status IN ('registered', 'completed') THEN 1 END),
  SUM(CASE WHEN e.status IN ('registered', 'completed') THEN COALESCE(e.credits, c.credits)
      ELSE 0 END),
  COUNT(CASE WHEN e.status = 'withdrawn' THEN 1 END)
FROM enrollment e JOIN section sec ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id
JOIN term t ON t.id = sec.term_id JOIN student s ON s.id = e.student_id
LEFT JOIN program p ON p.id = s.program_id
WHERE e.status IN ('registered', 'completed', 'withdrawn') {where}
GROUP BY t.id, p.id
"""

SECTION_FILL = """
SELECT c.code, sec.section_code, c.title, sec.instructor, sec.capacity, sec.waitlist_capacity,
  COUNT(CASE WHEN e.status IN ('registered', 'completed') THEN 1 END),
  COUNT(CASE WHEN e.status = 'waitlisted' THEN 1 END),
  COUNT(CASE WHEN e.status = 'waitlisted' AND e.seat_offered_at IS NOT NULL THEN 1 END)
FROM section sec JOIN course c ON c.id = sec.course_id
LEFT JOIN enrollment e ON e.section_id = sec.id
WHERE sec.term_id = (SELECT id FROM term WHERE start_date <= :today
                     ORDER BY start_date DESC, id DESC LIMIT 1)
GROUP BY sec.id
"""

DEANS_LIST = (
    _with(_NOT_ELEMENTARY + " AND " + _POSTED_IN_TERM)
    + f"""
SELECT * FROM (
  SELECT f.sid, {_gpa("f.tid = " + _TERM)} AS term_gpa, {_gpa(_THROUGH)} AS cumulative,
    SUM(CASE WHEN f.tid = {_TERM} AND f.in_gpa THEN f.cr ELSE 0 END) AS term_credits,
    MAX(st.standing) AS stored
  FROM figures f
  LEFT JOIN academic_standing st ON st.student_id = f.sid AND st.term_id = {_TERM}
  GROUP BY f.sid
) x
WHERE x.term_gpa >= (SELECT deans_list_min_gpa FROM institution)
  AND x.term_credits >= (SELECT deans_list_min_credits FROM institution)
  AND (x.stored = 'good' OR (x.stored IS NULL AND (x.cumulative IS NULL
       OR x.cumulative >= (SELECT probation_below_gpa FROM institution))))
"""
)

PROBATION = (
    _with(_NOT_ELEMENTARY + " AND " + _CURRENT)
    + f"""
SELECT f.sid, {_gpa()} AS cumulative FROM figures f GROUP BY f.sid
HAVING cumulative < (SELECT probation_below_gpa FROM institution)
"""
)

PROBATION_TERM = (
    _with(_NOT_ELEMENTARY + " AND " + _POSTED_IN_TERM)
    + f"""
SELECT f.sid, {_gpa(_THROUGH)} AS cumulative, {_gpa("f.tid = " + _TERM)} AS term_gpa,
  MAX(st.standing) AS stored
FROM figures f LEFT JOIN academic_standing st ON st.student_id = f.sid AND st.term_id = {_TERM}
WHERE {_THROUGH} GROUP BY f.sid
HAVING stored IN ('probation', 'suspension', 'dismissal')
  OR (stored IS NULL AND cumulative < (SELECT probation_below_gpa FROM institution))
"""
)

_CANDIDATES = (
    "e.student_id IN (SELECT s.id FROM student s JOIN program p ON p.id = s.program_id "
    "WHERE s.status IN ('active', 'on_leave') AND p.required_credits > 0 "
    "AND p.level <> 'elementary')"
)
GRADUATION = (
    _with(_CANDIDATES)
    + f""",
record AS (SELECT f.sid, SUM(f.earned) AS earned, {_gpa()} AS gpa FROM figures f GROUP BY f.sid),
cands AS (
  SELECT s.id AS sid, s.program_id, p.required_credits, p.min_gpa,
    COALESCE(r.earned, 0) + COALESCE((SELECT SUM(tc.credits) FROM transfer_credit tc
                                      WHERE tc.student_id = s.id), 0) AS earned,
    COALESCE((SELECT SUM(COALESCE(e.credits, c.credits)) FROM enrollment e
              JOIN section sec ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id
              WHERE e.student_id = s.id AND e.status = 'registered'
                AND e.grade_status <> 'posted'), 0) AS in_progress,
    r.gpa
  FROM student s JOIN program p ON p.id = s.program_id LEFT JOIN record r ON r.sid = s.id
  WHERE s.status IN ('active', 'on_leave') AND p.required_credits > 0
    AND p.level <> 'elementary'
)
SELECT cu.sid, cu.earned, cu.in_progress, cu.gpa,
  (SELECT COUNT(*) FROM program_requirement r JOIN course c ON c.id = r.course_id
   WHERE r.program_id = cu.program_id
     AND NOT EXISTS (SELECT 1 FROM enrollment e JOIN section sec ON sec.id = e.section_id
       JOIN grade_mark gm ON gm.scale_id = c.grading_scale_id AND gm.mark = e.mark
       LEFT JOIN grade_mark mm ON mm.scale_id = c.grading_scale_id AND mm.mark = r.min_mark
       WHERE e.student_id = cu.sid AND sec.course_id = r.course_id
         AND e.grade_status = 'posted' AND gm.is_passing
         AND (mm.id IS NULL OR gm.sort_order <= mm.sort_order))
     AND NOT EXISTS (SELECT 1 FROM transfer_credit tc WHERE tc.student_id = cu.sid
       AND tc.equivalent_course_id = r.course_id)) AS missing
FROM cands cu WHERE cu.earned + cu.in_progress >= cu.required_credits
"""
)

CLASS_RANK = (
    _with(
        "e.student_id IN (SELECT s.id FROM student s JOIN program p ON p.id = s.program_id "
        "WHERE p.level = 'secondary' AND s.class_year IS NOT NULL "
        "AND s.status IN ('active', 'on_leave', 'suspended'))"
    )
    + f""",
gpas AS (
  SELECT f.sid, s.class_year, {_gpa(_THROUGH, weighted=True)} AS weighted,
    {_gpa(_THROUGH)} AS unweighted
  FROM figures f JOIN student s ON s.id = f.sid WHERE {_THROUGH} GROUP BY f.sid
)
SELECT g.sid, g.class_year, g.weighted, g.unweighted,
  RANK() OVER (PARTITION BY g.class_year ORDER BY g.weighted DESC),
  RANK() OVER (PARTITION BY g.class_year ORDER BY g.unweighted DESC),
  COUNT(*) OVER (PARTITION BY g.class_year)
FROM gpas g WHERE g.unweighted IS NOT NULL
"""
)

INCOMPLETES = """
SELECT s.student_number, s.legal_last_name, s.legal_first_name, p.code, c.code, t.code,
  sec.instructor, COALESCE(e.incomplete_expires,
    date(t.end_date, '+' || (SELECT incomplete_days FROM institution) || ' days'))
FROM enrollment e JOIN student s ON s.id = e.student_id LEFT JOIN program p ON p.id = s.program_id
JOIN section sec ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id
JOIN term t ON t.id = sec.term_id
WHERE e.grade_status = 'posted' AND e.mark = 'I'
ORDER BY 8, s.legal_last_name, s.legal_first_name, c.code, t.code, s.student_number
"""

GRADE_DISTRIBUTION = """
SELECT c.code, c.title, e.mark, COUNT(*) FROM enrollment e
JOIN section sec ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id
WHERE sec.term_id = (SELECT id FROM term WHERE code = :term)
  AND e.grade_status = 'posted' AND e.mark IS NOT NULL
GROUP BY c.id, e.mark
"""

HOLDS = """
SELECT s.student_number, s.legal_last_name, s.legal_first_name, p.code, s.status, h.hold_type,
  h.blocks_registration, h.blocks_transcript, h.reason, h.placed_at, u.username
FROM hold h JOIN student s ON s.id = h.student_id LEFT JOIN program p ON p.id = s.program_id
LEFT JOIN staff_user u ON u.id = h.placed_by_id
WHERE h.released_at IS NULL ORDER BY h.placed_at, h.id
"""


def _listed_people(raw: sqlite3.Connection, ids: list[int]) -> None:
    """The names a listing report prints for its students (as its own query would join them)."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        raw.execute(
            "SELECT s.student_number, s.legal_first_name, s.legal_last_name, p.code, s.status "
            "FROM student s LEFT JOIN program p ON p.id = s.program_id "
            f"WHERE s.id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()


def run(raw: sqlite3.Connection, name: str, term: str | None, today: date) -> int:
    """Run the hand-written query of one report run; the number of rows it lists."""
    if name == "enrollment":
        where = "AND t.code = :term" if term else ""
        found = raw.execute(ENROLLMENT.format(where=where), {"term": term}).fetchall()
        return len(found) + len({r[0] for r in found})  # and the report's total row per term
    if name == "section-fill":
        return len(raw.execute(SECTION_FILL, {"today": today.isoformat()}).fetchall())
    if name in ("deans-list", "class-rank", "grade-distribution") and term is None:
        term = raw.execute("SELECT " + _LAST_GRADED).fetchone()[0]
    if name == "grade-distribution":
        return len({(r[0], r[1]) for r in raw.execute(GRADE_DISTRIBUTION, {"term": term})})
    if name == "incompletes":
        return len(raw.execute(INCOMPLETES).fetchall())
    if name == "holds":
        return len(raw.execute(HOLDS).fetchall())
    sql = {
        "deans-list": DEANS_LIST,
        "probation": PROBATION_TERM if term else PROBATION,
        "graduation": GRADUATION,
        "class-rank": CLASS_RANK,
    }[name]
    found = raw.execute(sql, {"term": term}).fetchall()
    _listed_people(raw, [int(r[0]) for r in found])
    return len(found)

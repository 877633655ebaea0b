"""Each student's figures per term, stored (`term_totals`) and kept current, so a standing report
reads one row per student instead of every posted mark.

The rows are computed set-based, in one statement per batch of students, with the transcript's
rules: each posted mark's meaning from the table `meaning.rule_for` fills (`meaning_table`),
the repeat policy resolved over each course's attempts as `gpa.outcomes` resolves them (a
later repeat can exclude an earlier attempt; a course's credit is earned once, by the first
attempt that earns it after no earlier kept graded one did), the term's figures summed, then
the running totals through each term with the transfer credit in earned credit, as the
builder's `TermRecord.cumulative`. Tests compare every demo student's rows with the builder's
under each repeat policy, after every kind of write (tests/test_term_totals.py).

Keeping them current: triggers (migration 0016) note in `term_totals_stale` every student a
write touches, whatever wrote it; `refresh` recomputes the students noted, and rebuilds every
row when the repeat policy, NP-as-F or a grading scale changed (`term_totals_basis` holds the
digest they were computed under). Reports refresh before they read, in their own transaction,
so they never show stale figures; posting and imports refresh right after their writes, so a
report seldom has anything left to do. On PostgreSQL refreshes take an advisory lock (one at a
time); the triggers only append, so a desk's save never waits for a refresh.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlmodel import Session

from recordsdesk.models import GradingBasis
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.shared.rawsql import driver_rows
from recordsdesk.services.transcripts.builder import cached_rules
from recordsdesk.services.transcripts.meaning import BASIS_MARKS, rule_for, unknown_mark

#: Bumped whenever the statement below computes anything differently: every database's rows
#: are then rebuilt at their next refresh.
FORMULA = 1
#: PostgreSQL advisory lock key of the refresh (one at a time; writers never take it).
REFRESH_LOCK = 0x7E_72_6D_74  # "term totals"
_CHUNK = 500  # students per statement of a partial refresh
SUMS = ("attempted", "earned", "gpa_credits", "quality_points", "weighted_points")
COLUMNS = (
    "student_id", "term_id", "program_id", "posted", *SUMS, *(f"cum_{s}" for s in SUMS),
    "term_gpa_raw", "cum_gpa_raw", "seats", "seat_credits", "withdrawn", "in_progress",
    "cum_in_progress", "toward_degree", "latest",
)  # fmt: skip

# What each posted mark means, as a small table the scan joins once per row: one row per
# (course scale, graded or another basis, mark), made by `meaning.rule_for` itself, so the
# SQL cannot read a mark differently from the transcript. Looking the flags up in grade_mark
# twice per row (the course's scale, then NON-GRADE) cost three times the rest of the scan.
MEANING_KEY = (
    "c.grading_scale_id || ':' || CASE WHEN e.grading_basis = 'graded' THEN 'g' ELSE 'b' END "
    "|| ':' || e.mark"
)


def _literal(value: Decimal | int) -> str:
    """A number as SQL text (a Decimal from the grading scales, never user text)."""
    return str(int(value)) if isinstance(value, int) else format(Decimal(value), "f")


def meaning_table(
    session: Session | Connection, np_counts_as_f: bool
) -> tuple[str, dict[str, Any]]:
    """`meaning AS (VALUES ...)`, for a WITH clause, and its bound keys: per (scale, basis
    kind, mark) the flags of the rule `rule_for` gives that mark. Marks no scale defines are
    left out (a LEFT JOIN finds nothing: they count for nothing, as `unknown_mark` says)."""
    rules, kinds, _codes = cached_rules(session)
    marks = sorted({mark for _scale, mark in rules} | set(BASIS_MARKS))
    values: list[str] = []
    params: dict[str, Any] = {}
    for scale in sorted(kinds):
        for kind, basis in (("g", bases.GRADED), ("b", GradingBasis.PASS_NO_PASS.value)):
            for mark in marks:
                rule = rule_for(rules, scale, basis, mark, np_counts_as_f)
                if rule == unknown_mark(mark):
                    continue
                in_gpa = rule.counts_in_gpa and rule.points is not None
                name = f"mk{len(values)}"
                params[name] = f"{scale}:{kind}:{mark}"
                flags = (
                    int(rule.counts_attempted),
                    int(rule.earns_credit and rule.is_passing),
                    int(in_gpa),
                    _literal(rule.points if in_gpa and rule.points is not None else 0),
                    int(rule.is_passing),
                    int(rule.graded),
                )
                values.append(f"(:{name}, {', '.join(str(f) for f in flags)})")
    if not values:  # no scale at all: a row no key matches keeps the SQL valid
        values.append("('', 0, 0, 0, 0, 0, 0)")
    columns = "meaning(k, attempted, earned, in_gpa, points, passing, graded)"
    return f"{columns} AS (VALUES {', '.join(values)})", params


# Every enrollment the transcript reads (registered, completed, withdrawn), with its mark's
# meaning when it is posted (0 flags otherwise: only `posted` rows add to the GPA figures).
_ATTEMPTS = (
    "SELECT e.student_id AS sid, sec.term_id AS tid, t.start_date AS ts, sec.course_id AS cid, "
    "e.id AS eid, COALESCE(e.credits, c.credits) AS cr, c.weight AS w, "
    "CASE WHEN e.grade_status = 'posted' AND e.mark IS NOT NULL THEN 1 ELSE 0 END AS posted, "
    "CASE WHEN e.status IN ('registered', 'completed') THEN 1 ELSE 0 END AS seat, "
    "CASE WHEN e.status = 'withdrawn' THEN 1 ELSE 0 END AS wd, "
    "CASE WHEN e.status = 'registered' AND e.grade_status <> 'posted' THEN 1 ELSE 0 END AS prog, "
    "COALESCE(m.attempted, 0) AS att, COALESCE(m.earned, 0) AS earn, "
    "COALESCE(m.in_gpa, 0) AS in_gpa, COALESCE(m.points, 0) AS pts, "
    "COALESCE(m.passing, 0) AS pass, COALESCE(m.graded, 0) AS graded "
    "FROM enrollment e JOIN section sec ON sec.id = e.section_id "
    "JOIN course c ON c.id = sec.course_id JOIN term t ON t.id = sec.term_id "
    f"LEFT JOIN meaning m ON m.k = {MEANING_KEY} "
    "WHERE e.status IN ('registered', 'completed', 'withdrawn') {scope}"
)
# Which posted graded attempt of a course the policy keeps (gpa._excluded): the latest, or the
# best by points, then passing, then the later one; `all` keeps every one.
_KEEP = {
    "latest": "a.ts DESC, a.tid DESC, a.eid DESC",
    "highest": "a.pts DESC, a.pass DESC, a.ts DESC, a.tid DESC, a.eid DESC",
}


# The courses whose attempts the policy can change: two posted graded attempts (one may be
# excluded, or earn its credit again), or a graded one and another that earns credit (a TR
# after a passed attempt earns nothing). Every other attempt counts as it is, so the window
# functions run over these few rather than every mark.
_PAIRS = (
    "SELECT a.sid, a.cid FROM attempts a WHERE a.posted = 1 GROUP BY a.sid, a.cid "
    "HAVING SUM(a.graded) >= 2 OR (SUM(a.graded) >= 1 AND SUM(a.earn) >= 2)"
)
_PLAIN = ("a.cr * a.att", "a.cr * a.earn", "a.cr * a.in_gpa", "a.cr * a.pts",
          "a.cr * a.in_gpa * (a.pts + a.pass * a.w)")  # fmt: skip
# After the policy (gpa.outcomes): an excluded attempt adds nothing; a course's credit is
# earned once, by the first attempt in time that earns it after no earlier kept graded one did.
_RESOLVED = (
    "k.kept * k.cr * k.att",
    "CASE WHEN k.kept * k.earn = 1 AND COALESCE(k.earned_before, 0) = 0 THEN k.cr ELSE 0 END",
    "k.kept * k.cr * k.in_gpa",
    "k.kept * k.cr * k.pts",
    "k.kept * k.cr * k.in_gpa * (k.pts + k.pass * k.w)",
)
_NAMES = ("att", "earn", "gc", "q", "w")


def _statement(repeat_policy: str) -> str:
    """The INSERT of the rows of every student in `attempts`."""
    order = _KEEP.get(repeat_policy)
    kept = (
        "1"
        if order is None
        else "CASE WHEN a.graded = 1 AND ROW_NUMBER() OVER (PARTITION BY a.sid, a.cid, "
        f"a.graded ORDER BY {order}) > 1 THEN 0 ELSE 1 END"
    )
    plain = ", ".join(f"SUM(a.posted * {m}) AS {n}" for m, n in zip(_PLAIN, _NAMES, strict=True))
    sums = (
        f"SELECT a.sid, a.tid, MIN(a.ts) AS ts, SUM(a.posted) AS posted, {plain}, "
        "SUM(a.seat) AS seats, SUM(a.seat * a.cr) AS seat_cr, SUM(a.wd) AS wd, "
        "SUM(a.prog * a.cr) AS prog FROM attempts a GROUP BY a.sid, a.tid"
    )
    plain_k = [m.replace("a.", "k.") for m in _PLAIN]
    deltas = ", ".join(
        f"SUM(({r}) - ({p})) AS {n}" for r, p, n in zip(_RESOLVED, plain_k, _NAMES, strict=True)
    )
    fixes = (
        f"SELECT k.sid, k.tid, {deltas} FROM (SELECT p.*, SUM(p.kept * p.graded * p.earn) "
        "OVER (PARTITION BY p.sid, p.cid ORDER BY p.ts, p.tid, p.eid ROWS BETWEEN UNBOUNDED "
        f"PRECEDING AND 1 PRECEDING) AS earned_before FROM (SELECT a.*, {kept} AS kept "
        f"FROM attempts a JOIN ({_PAIRS}) r ON r.sid = a.sid AND r.cid = a.cid "
        "WHERE a.posted = 1) p) k GROUP BY k.sid, k.tid"
    )
    fixed = ", ".join(f"s.{n} + COALESCE(f.{n}, 0) AS {n}" for n in _NAMES)
    term = (
        f"SELECT s.sid, s.tid, s.ts, s.posted, {fixed}, s.seats, s.seat_cr, s.wd, s.prog "
        f"FROM ({sums}) s LEFT JOIN ({fixes}) f ON f.sid = s.sid AND f.tid = s.tid"
    )
    running = "OVER (PARTITION BY g.sid ORDER BY g.ts, g.tid ROWS UNBOUNDED PRECEDING)"
    through = (
        "SELECT g.*, st.program_id AS pid, "
        f"SUM(g.att) {running} AS c_att, "
        f"SUM(g.earn) {running} + COALESCE((SELECT SUM(tc.credits) FROM transfer_credit tc "
        "WHERE tc.student_id = g.sid), 0) AS c_earn, "
        f"SUM(g.gc) {running} AS c_gc, SUM(g.q) {running} AS c_q, SUM(g.w) {running} AS c_w, "
        f"SUM(g.prog) {running} AS c_prog, "
        "ROW_NUMBER() OVER (PARTITION BY g.sid ORDER BY g.ts DESC, g.tid DESC) AS from_last "
        f"FROM ({term}) g JOIN student st ON st.id = g.sid"
    )
    return (
        f"INSERT INTO term_totals ({', '.join(COLUMNS)}) "
        "SELECT r.sid, r.tid, r.pid, r.posted, r.att, r.earn, r.gc, r.q, r.w, "
        "r.c_att, r.c_earn, r.c_gc, r.c_q, r.c_w, "
        "CASE WHEN r.gc > 0 THEN r.q * 1.0 / r.gc END, "
        "CASE WHEN r.c_gc > 0 THEN r.c_q * 1.0 / r.c_gc END, "
        "r.seats, r.seat_cr, r.wd, r.prog, r.c_prog, r.c_earn + r.c_prog, "
        f"CASE WHEN r.from_last = 1 THEN TRUE ELSE FALSE END FROM ({through}) r"
    )


def _connection(session: Session | Connection) -> Connection:
    return session if isinstance(session, Connection) else session.connection()


def _policy(connection: Connection) -> tuple[str, bool]:
    found = connection.execute(
        text("SELECT repeat_policy, np_counts_as_f FROM institution ORDER BY id LIMIT 1")
    ).first()
    return (str(found[0]), bool(found[1])) if found else ("latest", False)


def basis_digest(session: Session | Connection) -> str:
    """A digest of everything the rows depend on besides the records: the formula, the repeat
    policy, NP as F, and every mark of every scale (read afresh, not from a cache)."""
    connection = _connection(session)
    policy, np_as_f = _policy(connection)
    digest = hashlib.sha256(f"{FORMULA}|{policy}|{np_as_f}".encode())
    for row in connection.execute(
        text(
            "SELECT m.scale_id, s.code, s.kind, m.mark, m.points, m.counts_in_gpa, "
            "m.earns_credit, m.counts_attempted, m.is_passing FROM grade_mark m "
            "JOIN grading_scale s ON s.id = m.scale_id ORDER BY m.scale_id, m.mark"
        )
    ):
        scale, code, kind, mark, points, *flags = row
        shown = "" if points is None else str(Decimal(str(points)).normalize())
        fields = (scale, code, kind, mark, shown, *(int(bool(f)) for f in flags))
        digest.update(("|".join(str(f) for f in fields) + "\n").encode())
    return digest.hexdigest()


def _lock(connection: Connection) -> None:
    """PostgreSQL: one refresh at a time. SQLite: its first write takes the database's lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK})


def _insert(
    connection: Connection, repeat_policy: str, np_as_f: bool, ids: list[int] | None
) -> None:
    meaning, bound = meaning_table(connection, np_as_f)
    scope = "" if ids is None else "AND e.student_id IN :ids"
    sql = (
        f"WITH {meaning}, attempts AS MATERIALIZED ({_ATTEMPTS.format(scope=scope)}) "
        + _statement(repeat_policy)
    )
    statement = text(sql)
    if ids is None:
        connection.execute(statement, bound)
        return
    statement = statement.bindparams(bindparam("ids", expanding=True))
    forget = text("DELETE FROM term_totals WHERE student_id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        connection.execute(forget, {"ids": chunk})
        connection.execute(statement, {**bound, "ids": chunk})


def rebuild(session: Session | Connection) -> None:
    """Every student's rows computed afresh (a new database, a change of policy or scale)."""
    connection = _connection(session)
    _lock(connection)
    digest = basis_digest(connection)
    cached_rules(connection, ("term_totals", digest))  # the scales as they are now
    policy, np_as_f = _policy(connection)
    connection.execute(text("DELETE FROM term_totals_stale"))
    connection.execute(text("DELETE FROM term_totals"))
    _insert(connection, policy, np_as_f, None)
    connection.execute(text("DELETE FROM term_totals_basis"))
    connection.execute(
        text("INSERT INTO term_totals_basis (id, digest) VALUES (1, :d)"), {"d": digest}
    )


def needs_rebuild(session: Session | Connection) -> bool:
    """Whether every row is due a rebuild (never built, or the policy or a scale changed)."""
    connection = _connection(session)
    stored = connection.execute(text("SELECT digest FROM term_totals_basis LIMIT 1")).first()
    return stored is None or stored[0] != basis_digest(connection)


def refresh(
    session: Session | Connection,
    *,
    students: Collection[int] | None = None,
    limit: int | None = None,
) -> int:
    """Bring the rows up to date in the caller's transaction; how many students were
    recomputed (-1: every row was rebuilt). `students`: only these (a service that knows whom
    its write changed); `limit`: at most this many of the noted students (an import's
    follow-up works in short transactions); with either, a rebuild that is due is left to the
    next call without them (a report, `db optimize`). Writes nothing when nothing is stale."""
    connection = _connection(session)
    if needs_rebuild(connection):
        if students is not None or limit is not None:
            return 0  # a rebuild of every row is not a posting's or an import step's to pay
        rebuild(connection)
        return -1
    if (
        students is None
        and connection.execute(text("SELECT 1 FROM term_totals_stale LIMIT 1")).first() is None
    ):
        return 0
    _lock(connection)
    if students is not None:
        ids = sorted(set(students))
        clear = text("DELETE FROM term_totals_stale WHERE student_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        for start in range(0, len(ids), _CHUNK):
            connection.execute(clear, {"ids": ids[start : start + _CHUNK]})
    else:
        # Taken and deleted in one statement: a student noted by a write committed after it
        # stays noted for the next refresh.
        some = (
            ""
            if limit is None
            else (
                "WHERE student_id IN (SELECT DISTINCT student_id FROM term_totals_stale "
                f"ORDER BY student_id LIMIT {int(limit)})"
            )
        )
        taken = connection.execute(
            text(f"DELETE FROM term_totals_stale {some} RETURNING student_id")
        ).all()
        ids = sorted({int(r[0]) for r in taken})
    if ids:
        policy, np_as_f = _policy(connection)
        _insert(connection, policy, np_as_f, ids)
    return len(ids)


def stale_students(session: Session | Connection) -> int:
    """How many students are noted stale (for `db optimize` and the tests)."""
    found = (
        _connection(session)
        .execute(text("SELECT COUNT(DISTINCT student_id) FROM term_totals_stale"))
        .first()
    )
    return int(found[0]) if found else 0


def term_rows(session: Session | Connection, student_id: int) -> list[Any]:
    """One student's rows in term order (the tests compare them with the transcript)."""
    return list(
        _connection(session)
        .execute(
            text(
                f"SELECT {', '.join('tt.' + c for c in COLUMNS)}, t.code FROM term_totals tt "
                "JOIN term t ON t.id = tt.term_id WHERE tt.student_id = :sid "
                "ORDER BY t.start_date, t.id"
            ),
            {"sid": student_id},
        )
        .all()
    )


def adopt(session: Session) -> None:
    """Record that every row is current under today's policy and scales: for a loader that
    wrote the rows itself with the triggers suspended (the demo builder)."""
    connection = _connection(session)
    digest = basis_digest(connection)
    connection.execute(text("DELETE FROM term_totals_stale"))
    connection.execute(text("DELETE FROM term_totals_basis"))
    connection.execute(
        text("INSERT INTO term_totals_basis (id, digest) VALUES (1, :d)"), {"d": digest}
    )


#: The triggers that note stale students (migration 0016), by table.
TRIGGERS = {
    "enrollment": ("term_totals_enrollment_ai", "term_totals_enrollment_ad",
                   "term_totals_enrollment_au"),
    "transfer_credit": ("term_totals_transfer_credit_ai", "term_totals_transfer_credit_ad",
                        "term_totals_transfer_credit_au"),
    "section": ("term_totals_section_au",),
    "course": ("term_totals_course_au",),
    "term": ("term_totals_term_au",),
    "student": ("term_totals_student_au",),
}  # fmt: skip


def suspend_triggers(connection: Any, sqlite: bool) -> tuple[str, ...]:
    """On a DBAPI connection: stop noting stale students until `restore_triggers` (a bulk
    loader that writes the rows itself, then calls `adopt`). Returns what to restore: SQLite's
    stored CREATE TRIGGER statements, PostgreSQL's trigger names."""
    names = [n for group in TRIGGERS.values() for n in group]
    quoted = ", ".join(f"'{n}'" for n in names)
    if sqlite:
        found = driver_rows(
            connection,
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({quoted})",
        )
        for name, _sql in found:
            driver_rows(connection, f'DROP TRIGGER "{name}"')
        return tuple(sql for _name, sql in found)
    for table, group in TRIGGERS.items():
        for name in group:
            driver_rows(connection, f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
    return tuple(names)


#: The trigger noting the student of each inserted enrollment.
_ENROLLMENT_INSERTED = "term_totals_enrollment_ai"


def defer_inserted_notes(connection: Any) -> str | None:
    """SQLite, on a DBAPI connection inside an open transaction: stop noting the student of
    each enrollment inserted, one stale row per enrollment, until `note_inserted`, which notes
    each student once (a history import inserts twenty enrollments a student, and every
    refresh step scans the stale rows). Returns the trigger's stored CREATE statement for
    `note_inserted`, or None where nothing was deferred (PostgreSQL, no open transaction: a
    DROP TRIGGER outside one would commit by itself). A rollback brings the trigger back with
    everything else, so no other desk ever writes without it."""
    if not isinstance(connection, sqlite3.Connection) or not connection.in_transaction:
        return None
    found = driver_rows(
        connection,
        f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = '{_ENROLLMENT_INSERTED}'",
    )
    if not found:
        return None
    driver_rows(connection, f'DROP TRIGGER "{_ENROLLMENT_INSERTED}"')
    return str(found[0][0])


def note_inserted(connection: Any, students: Collection[int], deferred: str | None) -> None:
    """After `defer_inserted_notes`: note `students` (those the inserted enrollments belong
    to) stale, once each, and put the trigger back. Does nothing when nothing was deferred."""
    if deferred is None:
        return
    cursor = connection.cursor()
    try:
        cursor.executemany(
            "INSERT INTO term_totals_stale (student_id) VALUES (?)", [(s,) for s in students]
        )
    finally:
        cursor.close()
    driver_rows(connection, deferred)


def restore_triggers(connection: Any, sqlite: bool, suspended: tuple[str, ...]) -> None:
    """Undo `suspend_triggers`."""
    if sqlite:
        for sql in suspended:
            driver_rows(connection, sql)
        return
    for table, group in TRIGGERS.items():
        for name in group:
            if name in suspended:
                driver_rows(connection, f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')

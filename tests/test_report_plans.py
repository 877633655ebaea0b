"""The indexes three reports are built on, checked where the database decides: the statement a
report runs is captured and explained, so a change of SQL that stops the database from using
its index (and brings back a scan of every enrollment or every student at a million students)
fails here rather than in a benchmark. Figures themselves are checked in test_reports.py.

The planner's choice on a 300-student demo is not the one at scale on PostgreSQL (a sequential
scan is cheaper on a small table), so there the scans are switched off for the EXPLAIN: the test
asks whether the index *can* answer the statement, which is what its predicate and columns decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.reports import run_report
from recordsdesk.services.shared.rawsql import Statement
from recordsdesk.services.transcripts import totals
from tests.conftest import demo_engine_for

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    yield from demo_engine_for(
        request, tmp_path_factory, folder="report-plans", students=300, seed=5, today=TODAY
    )


def _statements(engine: Engine, name: str, marker: str) -> list[tuple[str, Any, bool]]:
    """The statements a run of report `name` sent containing `marker`: (SQL, parameters, whether
    the SQL is the driver's text) for each, through SQLAlchemy or on the driver's own cursor
    (`rawsql.Statement`, whose SQL names its parameters `:name`)."""
    seen: list[tuple[str, Any, bool]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if marker in statement:
            seen.append((statement, parameters, True))

    plain = Statement.driver_rows

    def driver_rows(self: Statement, session: Any, params: Any = None) -> list[Any]:
        if marker in self.sql:
            seen.append((self.sql, dict(params or {}), False))
        return plain(self, session, params)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with pytest.MonkeyPatch.context() as patch, session_scope(engine) as session:
            patch.setattr(Statement, "driver_rows", driver_rows)
            run_report(session, actor=actor_for(session, "registrar"), name=name, today=TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert seen, f"the {name} report sent no statement containing {marker!r}"
    return seen


def _plan(engine: Engine, statement: str, parameters: Any, driver_text: bool) -> str:
    """The database's plan for one captured statement, as one text."""
    sqlite = engine.dialect.name == "sqlite"
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    with engine.connect() as connection:
        if not sqlite:
            connection.execute(text("SET enable_seqscan = off"))
        if driver_text:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            cursor.execute(explain + statement, parameters)
            found = list(cursor.fetchall())
        else:
            found = list(connection.execute(text(explain + statement), parameters).all())
        connection.rollback()
    return "\n".join(str(row[-1] if sqlite else row[0]) for row in found)


def test_incompletes_read_the_partial_index_of_posted_i_marks(demo_engine: Engine) -> None:
    [(statement, parameters, driver)] = _statements(
        demo_engine, "incompletes", "incomplete_expires"
    )
    plan = _plan(demo_engine, statement, parameters, driver)
    assert "ix_enrollment_incomplete" in plan, plan


def test_the_incomplete_index_holds_exactly_the_outstanding_i_marks(demo_engine: Engine) -> None:
    """A mark that becomes I enters the index and the report; a mark that replaces it leaves
    both (the database keeps a partial index; this checks the predicate says what we mean)."""
    sqlite = demo_engine.dialect.name == "sqlite"
    counted = (
        "SELECT COUNT(*) FROM enrollment INDEXED BY ix_enrollment_incomplete "
        "WHERE grade_status = 'posted' AND mark = 'I'"
        if sqlite
        else "SELECT COUNT(*) FROM enrollment WHERE grade_status = 'posted' AND mark = 'I'"
    )
    with session_scope(demo_engine) as session:
        registrar = actor_for(session, "registrar")

        def listed() -> int:
            return len(run_report(session, actor=registrar, name="incompletes", today=TODAY).rows)

        before = listed()
        assert session.execute(text(counted)).scalar_one() == before
        target = session.execute(
            text(
                "SELECT id, mark FROM enrollment WHERE grade_status = 'posted' "
                "AND mark IN ('A', 'B', 'C') ORDER BY id LIMIT 1"
            )
        ).one()
        session.execute(text("UPDATE enrollment SET mark = 'I' WHERE id = :id"), {"id": target[0]})
        assert listed() == before + 1
        assert session.execute(text(counted)).scalar_one() == before + 1
        session.execute(
            text("UPDATE enrollment SET mark = :mark WHERE id = :id"),
            {"id": target[0], "mark": target[1]},
        )
        assert listed() == before
        assert session.execute(text(counted)).scalar_one() == before
        session.rollback()


def test_graduation_reads_each_programs_range_of_credits_toward_the_degree(
    demo_engine: Engine,
) -> None:
    [(statement, parameters, driver)] = _statements(demo_engine, "graduation", "toward_degree")
    plan = _plan(demo_engine, statement, parameters, driver)
    assert "ix_term_totals_degree" in plan, plan
    if demo_engine.dialect.name == "sqlite":
        # The program first, then its range: not every student's latest row.
        assert "(latest=? AND program_id=? AND toward_degree>?)" in plan, plan


def test_section_fill_counts_seats_from_the_section_status_index(demo_engine: Engine) -> None:
    [(statement, parameters, driver)] = _statements(
        demo_engine, "section-fill", "waitlist_capacity"
    )
    plan = _plan(demo_engine, statement, parameters, driver)
    assert "ix_enrollment_section_status" in plan, plan
    if demo_engine.dialect.name == "sqlite":
        # Registered and waitlisted seats from the index alone, not every enrollment row.
        assert plan.count("COVERING INDEX ix_enrollment_section_status") >= 2, plan


def test_section_fill_lists_offers_out(demo_engine: Engine) -> None:
    """Offers out count waitlisted students offered a seat: the one count read from rows."""
    with session_scope(demo_engine) as session:
        registrar = actor_for(session, "registrar")
        first = run_report(session, actor=registrar, name="section-fill", today=TODAY)
        row = first.rows[0]
        section = session.execute(
            text(
                "SELECT sec.id FROM section sec JOIN course c ON c.id = sec.course_id "
                "JOIN term t ON t.id = sec.term_id WHERE c.code = :code "
                "AND sec.section_code = :section AND t.code = :term"
            ),
            {"code": row[0], "section": row[1], "term": first.subtitle.split(" ")[0]},
        ).scalar_one()
        student = session.execute(
            text(
                "SELECT id FROM student WHERE id NOT IN "
                "(SELECT student_id FROM enrollment WHERE section_id = :sec) ORDER BY id LIMIT 1"
            ),
            {"sec": section},
        ).scalar_one()
        session.execute(
            text(
                "INSERT INTO enrollment (student_id, section_id, status, registered_at, "
                "waitlist_position, seat_offered_at, grading_basis, grade_status, "
                "override_reason, version) VALUES (:student, :sec, 'waitlisted', "
                ":now, 1, :now, 'graded', 'none', '', 1)"
            ),
            {"student": student, "sec": section, "now": datetime(2026, 11, 20, 10, 0)},
        )
        again = run_report(session, actor=registrar, name="section-fill", today=TODAY)
        changed = next(r for r in again.rows if (r[0], r[1]) == (row[0], row[1]))
        assert changed[8] == int(row[8]) + 1  # waitlisted
        assert changed[10] == int(row[10]) + 1  # offers out
        assert changed[5] == row[5]  # registered seats unchanged
        session.rollback()


def test_graduation_lists_a_student_whose_credit_is_all_transferred(demo_engine: Engine) -> None:
    """A current student with no enrollment has no stored term row: the report finds them from
    their transfer credit (the second statement), credits earned and no GPA yet."""
    with session_scope(demo_engine) as session:
        registrar = actor_for(session, "registrar")
        sid, number, needed = session.execute(
            text(
                "SELECT s.id, s.student_number, p.required_credits FROM student s "
                "JOIN program p ON p.id = s.program_id WHERE s.status = 'active' "
                "AND p.level = 'undergraduate' AND p.min_gpa IS NOT NULL ORDER BY s.id LIMIT 1"
            )
        ).one()
        for table in ("enrollment", "academic_standing", "transfer_credit"):
            session.execute(text(f"DELETE FROM {table} WHERE student_id = :sid"), {"sid": sid})
        session.execute(
            text(
                "INSERT INTO transfer_credit (student_id, source_institution, source_course_code, "
                "source_course_title, credits, mark, elective_level, awarded_on) VALUES "
                "(:sid, 'Elsewhere College', 'ALL', 'All of it', :credits, 'TR', '', :day)"
            ),
            {"sid": sid, "credits": needed, "day": date(2026, 6, 1)},
        )
        table = run_report(session, actor=registrar, name="graduation", today=TODAY)
        [row] = [r for r in table.rows if r[0] == number]
        assert row[3] == Decimal(needed).quantize(Decimal("0.01"))  # earned
        assert row[4] == Decimal("0.00")  # in progress
        assert row[6] == "met"  # credits
        assert row[7] is None and row[9] == "no GPA yet"
        assert str(row[12]).startswith("Missing: GPA below")
        session.rollback()


@pytest.mark.parametrize("named", [False, True], ids=["limit", "students"])
def test_refresh_takes_its_stale_notes_by_student(demo_engine: Engine, named: bool) -> None:
    """Both ways a refresh takes notes (the lowest noted students for an import's or
    `db optimize`'s steps, or the students a posting names) find them through
    ix_term_totals_stale_student, not a read of every note: a large writer that keeps the
    per-row trigger leaves one note per row, and a limited refresh runs once per step."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("DELETE FROM term_totals_stale WHERE"):
            seen.append((statement, parameters))

    with session_scope(demo_engine) as session:
        students = session.execute(text("SELECT id FROM student ORDER BY id LIMIT 40")).all()
        for (sid,) in students:
            session.execute(
                text("INSERT INTO term_totals_stale (student_id) VALUES (:sid)"), {"sid": sid}
            )
        event.listen(demo_engine, "before_cursor_execute", capture)
        try:
            if named:
                count = totals.refresh(session, students=[s for (s,) in students[:5]])
            else:
                count = totals.refresh(session, limit=5)
        finally:
            event.remove(demo_engine, "before_cursor_execute", capture)
        assert count == 5
        session.rollback()
    [(statement, parameters)] = seen
    plan = _plan(demo_engine, statement, parameters, True)
    assert "ix_term_totals_stale_student" in plan, plan
    if demo_engine.dialect.name == "sqlite":
        # Every read of the notes through the index (the lowest students in its order, so a
        # step stops after its limit), and no sort of them.
        reads = [line for line in plan.splitlines() if "term_totals_stale" in line]
        assert all("ix_term_totals_stale_student" in line for line in reads), plan
        assert "TEMP B-TREE" not in plan, plan

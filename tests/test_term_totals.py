"""The stored per-student, per-term totals (services/reports/totals.py) stay the transcript's
after every kind of write: posting, a grade change, a drop, transfer credit, a course's credits,
a program change, a change of repeat policy, and a history import. Each write notes its
students through the triggers; a refresh recomputes exactly them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from recordsdesk.db import session_scope
from recordsdesk.models import TransferCredit
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.grades.marks import change_grade
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.registration.register import leave_section
from recordsdesk.services.reports.standing import student_figures
from recordsdesk.services.transcripts.builder import build_transcript
from recordsdesk.services.transcripts.standing import post_and_decide
from recordsdesk.services.transcripts.totals import refresh, stale_students, term_rows
from tests.conftest import demo_engine_for
from tests.totals_oracle import assert_rows_are_the_transcripts

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    yield from demo_engine_for(
        request, tmp_path_factory, folder="totals", students=120, seed=5, today=TODAY
    )


@pytest.fixture
def db(demo_engine: Engine) -> Iterator[Session]:
    with session_scope(demo_engine) as session:
        yield session
        session.rollback()


@pytest.fixture
def registrar(db: Session) -> Actor:
    return actor_for(db, "registrar")


def one(session: Session, query: str, **params: Any) -> Any:
    return session.execute(text(query), params).first()


def noted(session: Session) -> set[int]:
    return {int(r[0]) for r in session.execute(text("SELECT student_id FROM term_totals_stale"))}


def test_a_new_demo_needs_no_refresh(db: Session, registrar: Actor) -> None:
    assert stale_students(db) == 0
    assert refresh(db) == 0
    assert assert_rows_are_the_transcripts(db, registrar) > 300


@pytest.mark.parametrize("policy", ["highest", "all"])
def test_a_policy_change_rebuilds_every_row(db: Session, registrar: Actor, policy: str) -> None:
    db.execute(text("UPDATE institution SET repeat_policy = :p"), {"p": policy})
    assert refresh(db) == -1
    assert refresh(db) == 0
    assert assert_rows_are_the_transcripts(db, registrar) > 300


def test_posting_refreshes_its_students(db: Session, registrar: Actor) -> None:
    section = one(
        db,
        "SELECT e.section_id FROM enrollment e JOIN section s ON s.id = e.section_id "
        "JOIN term t ON t.id = s.term_id WHERE e.status = 'registered' AND e.mark IS NULL "
        "AND t.status = 'in_progress' GROUP BY e.section_id ORDER BY COUNT(*) DESC LIMIT 1",
    )[0]
    db.execute(
        text("UPDATE enrollment SET mark = 'C', grade_status = 'entered' WHERE section_id = :s "
             "AND status = 'registered' AND mark IS NULL"),
        {"s": section},
    )  # fmt: skip
    students = {
        int(r[0])
        for r in db.execute(
            text("SELECT student_id FROM enrollment WHERE section_id = :s"), {"s": section}
        )
    }
    post_and_decide(db, actor=registrar, section_id=section)
    assert not noted(db) & students, "posting refreshed its own students"
    assert_rows_are_the_transcripts(db, registrar, students)


def test_a_grade_change_a_drop_and_transfer_credit_are_noted(db: Session, registrar: Actor) -> None:
    eid, sid, version = one(
        db,
        "SELECT id, student_id, version FROM enrollment WHERE grade_status = 'posted' "
        "AND mark = 'A' ORDER BY id LIMIT 1",
    )
    change_grade(
        db, actor=registrar, enrollment_id=eid, expected_version=version, mark="F", reason="typo"
    )
    assert sid in noted(db)
    dropped_eid, dropped_sid = one(
        db, "SELECT id, student_id FROM enrollment WHERE status = 'registered' ORDER BY id LIMIT 1"
    )
    leave_section(db, actor=registrar, enrollment_id=dropped_eid, override="test", today=TODAY)
    transfer_sid = one(db, "SELECT MAX(id) FROM student")[0]
    db.add(
        TransferCredit(
            student_id=transfer_sid,
            source_institution="Elsewhere College",
            credits=Decimal("4.00"),
            awarded_on=TODAY,
        )
    )
    db.flush()
    assert {sid, dropped_sid, transfer_sid} <= noted(db)
    assert refresh(db) >= 3
    assert not noted(db)
    assert_rows_are_the_transcripts(db, registrar, {sid, dropped_sid, transfer_sid})
    # The enrollment report's counts follow the drop too.
    seats = one(
        db,
        "SELECT COUNT(*) FROM enrollment e JOIN section s ON s.id = e.section_id "
        "WHERE e.student_id = :sid AND e.status IN ('registered', 'completed') "
        "AND s.term_id = (SELECT term_id FROM section WHERE id = "
        "(SELECT section_id FROM enrollment WHERE id = :eid))",
        sid=dropped_sid,
        eid=dropped_eid,
    )[0]
    rows = {r[1]: r for r in term_rows(db, dropped_sid)}
    term_id = one(
        db, "SELECT s.term_id FROM enrollment e JOIN section s ON s.id = e.section_id "
        "WHERE e.id = :e", e=dropped_eid
    )[0]  # fmt: skip
    assert int(rows[term_id][16]) == seats


def test_catalog_and_program_changes_note_their_students(db: Session, registrar: Actor) -> None:
    course, old_credits = one(
        db,
        "SELECT c.id, c.credits FROM course c JOIN section s ON s.course_id = c.id "
        "JOIN enrollment e ON e.section_id = s.id WHERE e.grade_status = 'posted' LIMIT 1",
    )
    db.execute(text("UPDATE course SET credits = :c WHERE id = :id"), {"c": 5, "id": course})
    takers = {
        int(r[0])
        for r in db.execute(
            text("SELECT e.student_id FROM enrollment e JOIN section s ON s.id = e.section_id "
                 "WHERE s.course_id = :c"),
            {"c": course},
        )
    }  # fmt: skip
    assert takers and takers <= noted(db)
    sid, program = one(db, "SELECT id, program_id FROM student WHERE program_id IS NOT NULL")
    other = one(db, "SELECT id FROM program WHERE id <> :p LIMIT 1", p=program)[0]
    db.execute(text("UPDATE student SET program_id = :p WHERE id = :s"), {"p": other, "s": sid})
    assert sid in noted(db)
    refresh(db)
    assert_rows_are_the_transcripts(db, registrar, takers | {sid})
    assert {int(r[2]) for r in term_rows(db, sid)} == {other}
    assert old_credits is not None


def test_entering_an_unposted_mark_notes_nobody(db: Session, registrar: Actor) -> None:
    eid = one(db, "SELECT id FROM enrollment WHERE grade_status = 'none' "
                  "AND status = 'registered' LIMIT 1")[0]  # fmt: skip
    db.execute(text("UPDATE enrollment SET mark = 'B', grade_status = 'entered' WHERE id = :e"),
               {"e": eid})  # fmt: skip
    assert not noted(db)


HEAD = "student_number,last_name,first_name,birth_date,term,course_code,course_title,credits,mark"


def test_a_passed_course_then_tr_earns_its_credit_once(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    """A TR after a passed attempt of the same course earns nothing on the transcript: the
    stored totals and the reports' figures agree (the figures counted it twice before). The
    history import refreshes its students' totals after it commits."""
    path = tmp_path / "tr.csv"
    path.write_text(
        f"{HEAD}\n"
        "T1,Tara,Ruth,2000-01-02,2019FA,HIS101,World History,3,A\n"
        "T1,Tara,Ruth,2000-01-02,2020SP,HIS101,World History,3,C\n"
        "T1,Tara,Ruth,2000-01-02,2020SP,MAT101,Algebra,4,B\n",
        encoding="utf-8",
    )
    run_import(engine, actor=system, kind="history", path=path)
    with session_scope(engine) as session:
        assert stale_students(session) == 0, "the import's follow-up refreshed its students"
        assert_rows_are_the_transcripts(session, system)
        # The history import takes marks of the course's scale; TR is set as a clerk would
        # correct a record, and the trigger notes it.
        session.execute(
            text("UPDATE enrollment SET mark = 'TR' WHERE mark = 'C' AND grade_status = 'posted'")
        )
        assert stale_students(session) == 1
        refresh(session)
        transcript = build_transcript(session, actor=system, student_number="T1")
        assert transcript.cumulative.credits_earned == Decimal(7)
        assert_rows_are_the_transcripts(session, system)
        sid = transcript.student.student_id
        figures = student_figures(
            session, scope="SELECT :s", params={"s": sid}, repeat_policy="latest"
        )
        assert figures[sid].through.credits_earned == Decimal(7)


def test_every_trigger_exists_at_head(engine: Engine) -> None:
    """A later migration that rebuilds one of these tables on SQLite drops its triggers: this
    fails until it recreates them."""
    from recordsdesk.services.transcripts.totals import TRIGGERS

    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    with engine.connect() as connection:
        found = {row[0] for row in connection.execute(text(query))}
    assert {name for names in TRIGGERS.values() for name in names} <= found


def test_a_bulk_history_import_notes_each_student_once(
    engine: Engine, system: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large history import notes each new enrollment's student once, not once per row
    (SQLite sets the insert trigger aside inside its transaction); the trigger is back after a
    dry run and after the import, and the follow-up leaves every row the transcript's."""
    from recordsdesk.services.interchange.imports import history_write, runner

    monkeypatch.setattr(history_write, "_DEFER_INDEX_FROM", 1)
    path = tmp_path / "bulk.csv"
    path.write_text(
        f"{HEAD}\n"
        "B1,Bell,Ann,2000-01-02,2019FA,HIS101,World History,3,A\n"
        "B1,Bell,Ann,2000-01-02,2020SP,MAT101,Algebra,4,B\n"
        "B2,Cole,Ben,2001-03-04,2019FA,HIS101,World History,3,C\n",
        encoding="utf-8",
    )
    noted: list[tuple[int, int]] = []
    refresh_step = runner._refresh_term_totals

    def counted(session: Session, progress: Any) -> None:
        rows = session.execute(
            text("SELECT count(*), count(DISTINCT student_id) FROM term_totals_stale")
        ).one()
        noted.append((int(rows[0]), int(rows[1])))
        refresh_step(session, progress)

    monkeypatch.setattr(runner, "_refresh_term_totals", counted)

    def trigger_is_there() -> bool:
        with session_scope(engine) as session:
            if engine.dialect.name != "sqlite":
                return True
            return bool(
                session.execute(
                    text(
                        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                        "AND name = 'term_totals_enrollment_ai'"
                    )
                ).scalar_one()
            )

    run_import(engine, actor=system, kind="history", path=path, dry_run=True)
    assert trigger_is_there()
    run_import(engine, actor=system, kind="history", path=path)
    assert trigger_is_there()
    assert noted[0][1] == 2
    if engine.dialect.name == "sqlite":
        assert noted[0][0] == 2, "each student noted once"
    with session_scope(engine) as session:
        assert stale_students(session) == 0
        assert_rows_are_the_transcripts(session, system)

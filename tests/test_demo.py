"""The demo institution builder: counts, determinism, realism, target safety, the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import SQLModel

import recordsdesk.models  # noqa: F401 - registers every table on SQLModel.metadata
from recordsdesk.cli import main
from recordsdesk.config import default_database_url
from recordsdesk.db import is_sqlite, open_database, session_scope
from recordsdesk.models import StudentStatus
from recordsdesk.services.access.passwords import current_cost, hash_password, verify_password
from recordsdesk.services.demo import (
    DemoSummary,
    NotADemoDatabase,
    build_demo_database,
    demo_password,
    pipeline,
)
from recordsdesk.services.demo.summary import COUNTED_TABLES
from recordsdesk.services.demo.writer import BulkWriter, ConstraintsViolated
from tests import factories

TODAY = date(2026, 11, 25)
REFUSAL = "will not touch a database that is not a demo database"


def build(url: str, students: int = 300, seed: int = 7, rebuild: bool = False) -> DemoSummary:
    lines: list[str] = []
    summary = build_demo_database(
        url, students=students, seed=seed, rebuild=rebuild, progress=lines.append, today=TODAY
    )
    assert lines, "the build reports progress"
    return summary


@pytest.fixture
def demo_engine(database_url: str) -> Iterator[Engine]:
    build(database_url, students=400)
    engine = open_database(database_url)
    yield engine
    engine.dispose()


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def column(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)).scalars())


def table_contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in id order, minus what is salted or stamped at build time: password
    hashes, the build's audit event and the `system` account seeded when the file was made."""
    engine = open_database(url)
    contents: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as connection:
            for name, table in SQLModel.metadata.tables.items():
                if name == "audit_event":
                    continue
                columns = [c for c in table.columns if c.name != "password_hash"]
                query = select(*columns)
                if name == "staff_user":
                    query = query.where(table.c.username != "system")
                rows = connection.execute(query.order_by(*table.primary_key.columns)).all()
                contents[name] = [tuple(row) for row in rows]
    finally:
        engine.dispose()
    return contents


def test_counts_match_the_database_and_one_audit_event(database_url: str) -> None:
    summary = build(database_url)
    engine = open_database(database_url)
    try:
        for name, table in COUNTED_TABLES.items():
            assert summary.counts[name] == scalar(engine, f'SELECT COUNT(*) FROM "{table}"'), name
        assert summary.counts["students"] == 300
        assert summary.counts["enrollments"] > 300 * 5
        assert scalar(engine, "SELECT COUNT(*) FROM institution WHERE demo") == 1
        events = column(engine, "SELECT action FROM audit_event")
        assert events == ["demo_build"]
    finally:
        engine.dispose()
    described = summary.describe()
    assert "clerk" in described and demo_password("registrar") in described


def test_same_seed_same_rows_other_seed_other_rows(
    database_url: str, empty_database_url: str
) -> None:
    build(database_url, students=200, seed=11)
    build(empty_database_url, students=200, seed=11)
    first = table_contents(database_url)
    assert first == table_contents(empty_database_url)
    build(empty_database_url, students=200, seed=12, rebuild=True)
    second = table_contents(empty_database_url)
    assert first["student"] != second["student"]
    assert first["enrollment"] != second["enrollment"]
    assert first["course"] == second["course"], "the catalog does not depend on the seed"


def test_writer_process_loads_the_same_rows(
    database_url: str, empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big SQLite builds load from a separate writer process; the rows are the same."""
    build(database_url, students=150, seed=5)
    monkeypatch.setattr(pipeline, "PROCESS_MIN_STUDENTS", 0)
    build(empty_database_url, students=150, seed=5)
    assert table_contents(database_url) == table_contents(empty_database_url)


def test_a_failed_build_leaves_no_file_the_desk_would_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite demo is built in a staging file (loaded without a journal by the writer
    process) and renamed into place only once complete, so a build that fails leaves nothing at
    the target; the next build removes the leftover and ends in WAL mode like any desk file."""
    from recordsdesk.services.demo import build as builder
    from recordsdesk.services.demo.history import HistoryGenerator

    target = tmp_path / "demo.db"
    url = f"sqlite:///{target}"
    staging = Path(f"{target}{builder.STAGING_SUFFIX}")
    monkeypatch.setattr(pipeline, "PROCESS_MIN_STUDENTS", 0)
    monkeypatch.setattr(builder, "CHUNK_STUDENTS", 50)
    generate = HistoryGenerator.generate

    def fail_on_the_second_chunk(self: HistoryGenerator, first: int, count: int) -> Any:
        if first > 1:
            raise RuntimeError("generator failed")
        return generate(self, first, count)

    with monkeypatch.context() as patched:
        patched.setattr(HistoryGenerator, "generate", fail_on_the_second_chunk)
        with pytest.raises(RuntimeError, match="generator failed"):
            build(url, students=150, seed=5)
    assert not target.exists(), "nothing was left at the target"
    assert staging.exists()
    summary = build(url, students=150, seed=5)
    assert summary.counts["students"] == 150
    assert not staging.exists()
    assert scalar_journal_mode(url) == "wal"


def scalar_journal_mode(url: str) -> str:
    engine = open_database(url)
    try:
        assert scalar(engine, "SELECT COUNT(*) FROM audit_event WHERE action = 'demo_build'") == 1
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        return str(mode)
    finally:
        engine.dispose()


def test_every_status_and_history_kind_is_present(demo_engine: Engine) -> None:
    statuses = set(column(demo_engine, "SELECT DISTINCT status FROM student"))
    assert statuses == {s.value for s in StudentStatus}
    marks = set(column(demo_engine, "SELECT DISTINCT mark FROM enrollment WHERE mark IS NOT NULL"))
    assert {"A", "B", "F", "P", "NP", "W", "I", "AU", "IP", "4", "1"} <= marks
    states = set(column(demo_engine, "SELECT DISTINCT status FROM enrollment"))
    assert {"completed", "registered", "waitlisted", "withdrawn", "dropped"} <= states
    repeats = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM enrollment f JOIN section fs ON fs.id = f.section_id "
        "JOIN enrollment r ON r.student_id = f.student_id AND r.id > f.id "
        "JOIN section rs ON rs.id = r.section_id AND rs.course_id = fs.course_id "
        "WHERE f.mark IN ('F', 'NP')",
    )
    assert repeats > 0, "failed courses are taken again"
    assert scalar(demo_engine, "SELECT COUNT(*) FROM transfer_credit WHERE mark = 'TR'") > 0
    assert scalar(demo_engine, "SELECT COUNT(*) FROM hold WHERE released_at IS NULL") > 0
    assert scalar(demo_engine, "SELECT COUNT(*) FROM hold WHERE released_at IS NOT NULL") > 0
    assert scalar(demo_engine, "SELECT COUNT(*) FROM student WHERE confidential") > 0
    assert scalar(demo_engine, "SELECT COUNT(*) FROM contact_note") > 0
    assert scalar(demo_engine, "SELECT COUNT(*) FROM transcript_request") > 0
    assert scalar(demo_engine, "SELECT COUNT(*) FROM screening_item") > 0
    assert (
        scalar(
            demo_engine,
            "SELECT COUNT(*) FROM enrollment WHERE mark = 'I' AND incomplete_expires IS NULL",
        )
        == 0
    )
    graduated_without_degree = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM student WHERE status = 'graduated' "
        "AND (degree_conferred = '' OR conferral_date IS NULL OR departure_date IS NULL)",
    )
    assert graduated_without_degree == 0
    scales = set(
        column(
            demo_engine,
            "SELECT DISTINCT g.code FROM enrollment e JOIN section s ON s.id = e.section_id "
            "JOIN course c ON c.id = s.course_id JOIN grading_scale g ON g.id = c.grading_scale_id",
        )
    )
    assert scales == {
        "US-PM",
        "US-PM-67",
        "US-LETTER",
        "PASS-FAIL",
        "NON-GRADE",
        "PCT-SEC",
        "SBG-4",
    }
    assert scalar(demo_engine, "SELECT COUNT(*) FROM course WHERE weight > 0") > 0
    terms = column(demo_engine, "SELECT status FROM term ORDER BY start_date")
    assert len(terms) >= 8
    assert {"closed", "in_progress", "registration_open", "planned"} <= set(terms)


def test_marks_belong_to_the_course_scale_and_sections_hold_their_capacity(
    demo_engine: Engine,
) -> None:
    foreign_marks = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM enrollment e JOIN section s ON s.id = e.section_id "
        "JOIN course c ON c.id = s.course_id "
        "WHERE e.mark IS NOT NULL AND e.mark NOT IN ('W', 'I', 'AU', 'IP') "
        "AND e.grading_basis = 'graded' AND NOT EXISTS "
        "(SELECT 1 FROM grade_mark m WHERE m.scale_id = c.grading_scale_id AND m.mark = e.mark)",
    )
    assert foreign_marks == 0
    over_capacity = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM section s WHERE s.capacity < (SELECT COUNT(*) FROM enrollment e "
        "WHERE e.section_id = s.id AND e.status IN ('registered', 'completed'))",
    )
    assert over_capacity == 0
    unposted_closed = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM enrollment e JOIN section s ON s.id = e.section_id "
        "JOIN term t ON t.id = s.term_id WHERE t.status = 'closed' AND e.status = 'registered'",
    )
    assert unposted_closed == 0
    current_marked = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM enrollment e JOIN section s ON s.id = e.section_id "
        "JOIN term t ON t.id = s.term_id "
        "WHERE t.status IN ('in_progress', 'registration_open') AND e.status = 'registered' "
        "AND e.mark IS NOT NULL",
    )
    assert current_marked == 0
    waitlisted_unplaced = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM enrollment WHERE status = 'waitlisted' AND waitlist_position IS NULL",
    )
    assert waitlisted_unplaced == 0


def test_names_from_many_cultures_and_unique_numbers(demo_engine: Engine) -> None:
    names = column(
        demo_engine,
        "SELECT legal_first_name || ' ' || legal_last_name || ' ' || preferred_name FROM student",
    )
    joined = " ".join(names)
    assert re.search(r"[\u0370-\u03ff\u0400-\u04ff\u4e00-\u9fff\u0900-\u097f\uac00-\ud7af]", joined)
    assert re.search(r"[áéíóúñçøåöüãõăđ]", joined.lower())
    assert "'" in joined and "-" in joined
    assert scalar(demo_engine, "SELECT COUNT(*) FROM student WHERE preferred_name <> ''") > 0
    numbers = column(demo_engine, "SELECT student_number FROM student")
    assert len(set(numbers)) == len(numbers)
    seq = scalar(demo_engine, "SELECT student_number_seq FROM institution")
    assert seq >= len(numbers)
    minors_without_guardian = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM student s JOIN program p ON p.id = s.program_id "
        "WHERE p.level IN ('elementary', 'secondary') AND s.status = 'active' "
        "AND s.birth_date > '2009-01-01' AND s.guardian_name = ''",
    )
    assert minors_without_guardian == 0
    emails = column(demo_engine, "SELECT email FROM student")
    assert len(set(emails)) == len(emails)


def test_foreign_keys_hold_after_the_bulk_load(demo_engine: Engine) -> None:
    """SQLite loads with foreign-key lookups off; the result must still be consistent."""
    with demo_engine.connect() as connection:
        if is_sqlite(demo_engine):
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        orphans = connection.execute(
            text(
                "SELECT COUNT(*) FROM enrollment e LEFT JOIN student s ON s.id = e.student_id "
                "LEFT JOIN section x ON x.id = e.section_id WHERE s.id IS NULL OR x.id IS NULL"
            )
        ).scalar_one()
        assert orphans == 0


def test_the_schema_after_a_build_is_the_migrated_schema(
    database_url: str, empty_database_url: str
) -> None:
    """The SQLite load drops secondary indexes for speed; every one must come back as it was."""
    build(database_url, students=60)
    open_database(empty_database_url).dispose()

    def schema(url: str) -> list[tuple[Any, ...]]:
        engine = open_database(url)
        try:
            with engine.connect() as connection:
                if is_sqlite(url):
                    query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
                else:
                    query = (
                        "SELECT tablename, indexname, indexdef FROM pg_indexes "
                        "WHERE schemaname = 'public' ORDER BY indexname"
                    )
                return [tuple(row) for row in connection.exec_driver_sql(query)]
        finally:
            engine.dispose()

    assert schema(database_url) == schema(empty_database_url)


def test_demo_accounts_sign_in_with_the_printed_passwords(demo_engine: Engine) -> None:
    with demo_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT username, role, password_hash FROM staff_user WHERE username <> 'system'")
        ).all()
    by_name = {username: (role, stored) for username, role, stored in rows}
    for username in ("clerk", "registrar", "admin"):
        role, stored = by_name[username]
        assert role == username
        assert verify_password(demo_password(username), stored)
        assert not verify_password("wrong", stored)


def test_password_hashes_are_salted_and_self_describing() -> None:
    first, second = hash_password("s3cret pass"), hash_password("s3cret pass")
    assert first != second
    assert first.startswith(f"scrypt${current_cost().n}$8$1$")  # the cost is stored with it
    assert verify_password("s3cret pass", first) and verify_password("s3cret pass", second)
    assert not verify_password("s3cret pasS", first)
    assert not verify_password("s3cret pass", "")
    assert not verify_password("s3cret pass", "scrypt$x$8$1$AAAA$AAAA")
    assert not verify_password("s3cret pass", first.replace("scrypt", "md5"))
    with pytest.raises(ValueError):
        hash_password("")


def test_refuses_a_database_with_real_records(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with session_scope(engine) as session:
            factories.make_staff(session, username="real-clerk")
        with pytest.raises(NotADemoDatabase, match=REFUSAL):
            build(database_url, students=50, rebuild=True)
        assert scalar(engine, "SELECT COUNT(*) FROM student") == 0
        assert scalar(engine, "SELECT COUNT(*) FROM course") == 0
        assert scalar(engine, "SELECT demo FROM institution") in (False, 0)
    finally:
        engine.dispose()


def test_refuses_the_default_database() -> None:
    url = default_database_url()
    with pytest.raises(NotADemoDatabase, match=REFUSAL):
        build(url, students=10)
    assert not Path(url.removeprefix("sqlite:///")).exists()


@pytest.mark.db
def test_reuses_an_existing_demo_and_rebuilds_on_request(empty_database_url: str) -> None:
    first = build(empty_database_url, students=120, seed=1)
    messages: list[str] = []
    reused = build_demo_database(
        empty_database_url, students=999, seed=2, rebuild=False, progress=messages.append
    )
    assert reused.reused and reused.counts == first.counts
    assert any("reusing" in line for line in messages)
    rebuilt = build(empty_database_url, students=80, seed=2, rebuild=True)
    assert not rebuilt.reused and rebuilt.counts["students"] == 80
    engine = open_database(empty_database_url)
    try:
        assert column(engine, "SELECT action FROM audit_event") == ["demo_build"]
    finally:
        engine.dispose()


@pytest.mark.db
def test_cli_prints_the_counts_that_are_in_the_database(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--no-open", "--students", "300", "--database", empty_database_url])
    out = capsys.readouterr().out
    assert code == 0
    printed = {
        name: int(value.replace(",", ""))
        for name, value in re.findall(r"^\s+([a-z_]+)\s+([\d,]+)$", out, flags=re.MULTILINE)
    }
    assert printed["students"] == 300
    engine = open_database(empty_database_url)
    try:
        for name, table in COUNTED_TABLES.items():
            assert printed[name] == scalar(engine, f'SELECT COUNT(*) FROM "{table}"'), name
    finally:
        engine.dispose()
    assert "password: demo-clerk" in out


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (
            "term",
            (1, "BAD", "Backwards", "2026-05-01", "2026-01-01", None, None, None, "closed", None),
        ),
        ("prerequisite", (1, 998, 999, "C")),
    ],
)
def test_a_sqlite_load_that_breaks_a_constraint_fails(
    database_url: str, table: str, row: tuple[Any, ...]
) -> None:
    """The SQLite load skips per-row CHECK and foreign-key work, so the pass after it must
    catch a generator bug."""
    if not is_sqlite(database_url):
        pytest.skip("PostgreSQL checks every row during COPY")
    engine = open_database(database_url)
    writer = BulkWriter(engine)
    try:
        writer.write(table, [row])
        writer.commit()
        with pytest.raises(ConstraintsViolated, match=table):
            writer.validate([table])
    finally:
        writer.close()
        engine.dispose()


def test_posted_terms_have_the_standing_posting_decides_and_some_marks_are_pass_no_pass(
    demo_engine: Engine,
) -> None:
    """Every closed term a student has a posted mark in has a standing, and deciding them again
    through the service (what posting runs) changes none; a few electives are taken pass/no
    pass and audited, each on a course that allows that basis."""
    from sqlmodel import Session

    from recordsdesk.services.access.actor import system_actor
    from recordsdesk.services.transcripts.standing import decide_terms

    undecided = scalar(
        demo_engine,
        "SELECT COUNT(*) FROM (SELECT DISTINCT e.student_id, s.term_id FROM enrollment e "
        "JOIN section s ON s.id = e.section_id JOIN term t ON t.id = s.term_id "
        "WHERE t.status = 'closed' AND e.grade_status = 'posted' AND e.mark IS NOT NULL) p "
        "WHERE NOT EXISTS (SELECT 1 FROM academic_standing a "
        "WHERE a.student_id = p.student_id AND a.term_id = p.term_id)",
    )
    assert undecided == 0
    kinds = set(column(demo_engine, "SELECT DISTINCT standing FROM academic_standing"))
    assert {"good", "probation"} <= kinds
    for basis in ("pass_no_pass", "audit"):
        taken = scalar(
            demo_engine, f"SELECT COUNT(*) FROM enrollment WHERE grading_basis = '{basis}'"
        )
        refused = scalar(
            demo_engine,
            "SELECT COUNT(*) FROM enrollment e JOIN section s ON s.id = e.section_id "
            "JOIN course c ON c.id = s.course_id "
            f"WHERE e.grading_basis = '{basis}' AND c.grading_bases NOT LIKE '%{basis}%'",
        )
        assert taken > 0 and refused == 0, basis
    assert set(
        column(
            demo_engine, "SELECT DISTINCT mark FROM enrollment WHERE grading_basis = 'pass_no_pass'"
        )
    ) == {"P", "NP"}
    students = column(
        demo_engine, "SELECT DISTINCT student_id FROM academic_standing ORDER BY student_id"
    )
    with Session(demo_engine) as session:
        actor = system_actor(session)
        for student_id in students:
            terms = column(
                demo_engine,
                f"SELECT term_id FROM academic_standing WHERE student_id = {student_id}",
            )
            decisions = decide_terms(session, actor=actor, student_id=student_id, term_ids=terms)
            assert not [d for d in decisions if d.changed], student_id
        session.rollback()


@pytest.mark.parametrize(
    ("table", "row"),
    [
        # A screening item of an application that was never written (a foreign key).
        ("screening_item", (1, 999, "Transcript", 1, None, None, "")),
        # A term ending before it starts (a CHECK constraint).
        (
            "term",
            (1, "BAD", "Backwards", "2026-05-01", "2026-01-01", None, None, None, "closed", None),
        ),
    ],
)
def test_a_chunk_that_breaks_a_constraint_fails_as_it_lands(
    database_url: str, table: str, row: tuple[Any, ...]
) -> None:
    """The writer checks each chunk's rows as they land (`validate_rows`), so a generator bug
    in a chunk fails the build there, naming the table."""
    if not is_sqlite(database_url):
        pytest.skip("PostgreSQL checks every row during COPY")
    engine = open_database(database_url)
    writer = BulkWriter(engine)
    try:
        writer.write(table, [row])
        with pytest.raises(ConstraintsViolated, match=table):
            writer.validate_rows(table, 1)
        writer.validate_rows("student", 1)  # nothing written there: nothing to find
    finally:
        writer.close()
        engine.dispose()

"""Another desk holding the write lock: a desk that waited its limit says so plainly ("Another
desk is writing; try again in a moment."), leaves the action undone and changes nothing. The
wait limits are shortened here so the tests take a fraction of a second."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from textual.widgets import DataTable

from recordsdesk import db
from recordsdesk.db import DESK_BUSY, is_lock_timeout, is_sqlite, make_engine, session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.trail import AUDIT_CHAIN_LOCK
from recordsdesk.services.grades.marks import save_mark
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.ui.app import make_app
from recordsdesk.ui.errors import describe_error
from tests.factories import make_staff
from tests.grading_data import GradedSection, make_graded_section
from tests.test_faults import history_csv
from tests.test_ui_grade_entry import SIZE, marks, open_roster, plain, type_mark, wait_saved


@pytest.fixture
def impatient(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A desk that gives up on another desk's lock after 0.2 s instead of 10."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(db, "POSTGRES_LOCK_TIMEOUT_MS", 200)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@contextmanager
def other_desk_writing(engine: Engine) -> Iterator[None]:
    """Another desk in the middle of a long write: SQLite's write lock, or on PostgreSQL the
    audit chain's lock that every change takes."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_CHAIN_LOCK})
        try:
            yield
        finally:
            connection.rollback()


@pytest.fixture
def graded(engine: Engine) -> GradedSection:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return make_graded_section(session, scale="PCT-SEC", course_code="MATH7")


def test_a_mark_save_behind_another_desk_says_try_again(
    engine: Engine, impatient: Engine, graded: GradedSection, system: Actor
) -> None:
    bob = graded.enrollment_ids["[b]Bob"]
    before = marks(engine)
    with other_desk_writing(engine), pytest.raises(Exception) as waited:  # noqa: PT011
        with session_scope(impatient) as session:
            save_mark(session, actor=system, enrollment_id=bob, expected_version=1, mark="B")
    assert is_lock_timeout(waited.value)
    assert describe_error(waited.value) == DESK_BUSY
    assert marks(engine) == before


def test_other_errors_are_not_taken_for_a_busy_desk() -> None:
    assert not is_lock_timeout(ValueError("database is locked"))
    assert describe_error(ValueError("x")).startswith("Something went wrong")


async def test_grade_entry_shows_a_busy_desk_plainly(
    engine: Engine, impatient: Engine, graded: GradedSection
) -> None:
    app = make_app(impatient, username="reg")
    bob = graded.enrollment_ids["[b]Bob"]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        with other_desk_writing(engine):
            await type_mark(pilot, "B")
            await wait_saved(pilot, screen)
        table = screen.query_one("#roster-table", DataTable)
        assert plain(table, 0, 6) == "not saved"
        messages = [n.message for n in app._notifications]
        assert any(DESK_BUSY in m for m in messages), messages
        assert not any("Something went wrong" in m for m in messages)
        assert marks(engine)[bob][0] is None  # nothing half-saved
        await pilot.press("up")
        await type_mark(pilot, "B")  # the same keys again once the other desk is done
        await wait_saved(pilot, screen)
        assert marks(engine)[bob][0] == "B"


def test_other_desks_write_while_an_import_checks_its_file(
    engine: Engine, database_url: str, system: Actor, tmp_path: Path
) -> None:
    """The import decides every row with reads only: half-way through deciding the file,
    another desk can still write at once (no wait at all). Before, the import held the write
    lock from its first row on."""
    if not is_sqlite(database_url):
        pytest.skip("PostgreSQL has no database-wide write lock")
    rows = 3000
    csv = history_csv(tmp_path / "history.csv", rows)
    probes: list[tuple[str, int, bool]] = []
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)

    def progress(stage: str, done: int, total: int) -> None:
        if 0 < done < total and stage not in ("checking", "committing"):
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                probes.append((stage, done, True))
            except sqlite3.OperationalError:
                probes.append((stage, done, False))

    try:
        run_import(engine, actor=system, kind="history", path=csv, progress=progress)
    finally:
        other.close()
    assert any(ok and done >= rows // 2 for _stage, done, ok in probes), probes

"""A restore loses no acknowledged save and replaces the database only with one of ours.

A desk in the middle of a save when the restore starts: its save must be in the copy set aside
(it committed before the restore took hold) or in the restored database, never in neither.
A file that is a database but not a recordsdesk one (only a version row; a table with columns
we never made) is refused before anything is touched.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from recordsdesk.db import (
    head_revision,
    is_sqlite,
    make_engine,
    open_database,
    session_scope,
    upgrade,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.upkeep import backup, restore
from tests.conftest import drop_postgres_database, new_postgres_database
from tests.factories import make_student
from tests.test_backup import add_student, surnames


@pytest.fixture(autouse=True)
def needs_pg_dump(database_url: str) -> None:
    if not is_sqlite(database_url) and backup.shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (Debian: postgresql-client-15)")


def aside_surnames(aside: Path, database_url: str, tmp_path: Path) -> list[str]:
    """The students in the copy set aside (a pg dump is restored into a scratch database)."""
    if is_sqlite(database_url):
        with sqlite3.connect(aside) as connection:
            return [r[0] for r in connection.execute("SELECT legal_last_name FROM student")]
    name, url = new_postgres_database(None)
    try:
        restore.restore_database(url, aside)
        return surnames(url)
    finally:
        drop_postgres_database(name)


def test_a_save_in_flight_during_a_restore_is_kept_aside(
    database_url: str, tmp_path: Path, system: Actor
) -> None:
    """The desk holds the write lock (SQLite) / the chain lock (PostgreSQL) with its save not
    yet committed when the restore starts; the restore must wait for it and set it aside."""
    file = backup.backup_database(database_url, tmp_path / "office.backup")
    desk = make_engine(database_url)
    outcome: list[object] = []
    with session_scope(desk) as session:
        student = make_student(session, legal_last_name="Saved-In-Flight")
        audit.record(session, system, action="create", entity="student", entity_id=student.id)

        def run_restore() -> None:
            try:
                outcome.append(restore.restore_database(database_url, file))
            except Exception as exc:  # reported by the assertion below
                outcome.append(exc)

        worker = threading.Thread(target=run_restore)
        worker.start()
        time.sleep(0.5)  # the restore is now waiting for the desk (or, before, raced past it)
    # The desk's save is committed and acknowledged here.
    worker.join(timeout=120)
    desk.dispose()
    assert len(outcome) == 1 and isinstance(outcome[0], restore.RestoreResult), outcome
    kept = aside_surnames(outcome[0].kept_aside, database_url, tmp_path)
    assert "Saved-In-Flight" in kept + surnames(database_url)
    assert "Saved-In-Flight" in kept  # it committed before the restore held the desks out


def only_a_version_row(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('0003')")
    return path


def test_a_file_with_only_a_version_row_is_refused(
    database_url: str, tmp_path: Path, system: Actor
) -> None:
    add_student(database_url, "Still-Here")
    if is_sqlite(database_url):
        file = only_a_version_row(tmp_path / "stranger.db")
    else:
        name, url = new_postgres_database(None)
        try:
            stranger = create_engine(url)
            with stranger.begin() as connection:
                connection.execute(text("CREATE TABLE alembic_version (version_num text)"))
                connection.execute(text("INSERT INTO alembic_version VALUES ('0003')"))
            stranger.dispose()
            file = backup.backup_database(url, tmp_path / "stranger.dump")
        finally:
            drop_postgres_database(name)
    with pytest.raises(backup.BackupFailed, match="not a recordsdesk database at schema 0003"):
        restore.restore_database(database_url, file)
    assert "Still-Here" in surnames(database_url)  # untouched and still working
    assert not list(backup.backups_dir().glob("before-restore-*"))


def test_a_file_with_a_column_we_never_made_is_refused(database_url: str, tmp_path: Path) -> None:
    add_student(database_url, "Still-Here")
    alter = create_engine(database_url)
    with alter.begin() as connection:
        connection.execute(text("ALTER TABLE hold ADD COLUMN secret_note TEXT"))
    file = backup.backup_database(database_url, tmp_path / "altered.backup")
    with alter.begin() as connection:
        connection.execute(text("ALTER TABLE hold DROP COLUMN secret_note"))
    alter.dispose()
    with pytest.raises(backup.BackupFailed, match="table hold has unknown column secret_note"):
        restore.restore_database(database_url, file)
    assert "Still-Here" in surnames(database_url)


def test_an_older_backup_is_brought_to_the_current_schema(tmp_path: Path) -> None:
    old = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(old)
    upgrade(engine, "0002")
    engine.dispose()
    live = f"sqlite:///{tmp_path / 'live.db'}"
    open_database(live).dispose()
    add_student(live, "Before")
    result = restore.restore_database(live, tmp_path / "old.db")
    assert result.revision == "0002"
    engine = make_engine(live)
    with engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = {
            row[0]
            for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        }
    engine.dispose()
    assert revision == head_revision()
    assert "student" in tables and surnames(live) == []
    with sqlite3.connect(result.kept_aside) as aside:
        kept = [r[0] for r in aside.execute("SELECT legal_last_name FROM student")]
    assert kept == ["Before"]

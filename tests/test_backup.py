"""Backup and restore round trips on the backend under test, the checks made before a restore
replaces anything, owner-only files, and the automatic rotating backups."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from recordsdesk.cli import main
from recordsdesk.db import is_sqlite, open_database, session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.upkeep import backup, restore
from tests.factories import make_student

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def needs_pg_dump(database_url: str) -> None:
    if not is_sqlite(database_url) and backup.shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (Debian: postgresql-client-15)")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def surnames(database_url: str) -> list[str]:
    engine = open_database(database_url, migrate=False)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT legal_last_name FROM student ORDER BY id"))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def add_student(database_url: str, surname: str) -> None:
    engine = open_database(database_url, migrate=False)
    with session_scope(engine) as session:
        make_student(session, legal_last_name=surname)
    engine.dispose()


def test_backup_and_restore_round_trip(
    database_url: str, cli_admin: Actor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_student(database_url, "Ångström")
    file = tmp_path / "copies" / "office.backup"
    assert main(["backup", str(file), "--database", database_url]) == 0
    assert file.exists() and mode(file) == 0o600
    if is_sqlite(database_url):
        assert mode(Path(database_url.removeprefix("sqlite:///"))) == 0o600

    add_student(database_url, "After-the-backup")
    assert surnames(database_url) == ["Ångström", "After-the-backup"]
    assert main(["restore", str(file), "--database", database_url]) == 0
    assert surnames(database_url) == ["Ångström"]

    out = capsys.readouterr().out
    aside = Path(out.split("kept at ")[1].strip())
    assert aside.exists() and mode(aside) == 0o600
    assert mode(aside.parent) == 0o700
    # The database as it was before the restore is itself a restorable backup.
    assert main(["restore", str(aside), "--database", database_url]) == 0
    assert surnames(database_url) == ["Ångström", "After-the-backup"]


def test_damaged_backup_is_refused_and_nothing_replaced(
    database_url: str, cli_admin: Actor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_student(database_url, "Kept")
    file = tmp_path / "good.backup"
    backup.backup_database(database_url, file)
    damaged = tmp_path / "damaged.backup"
    data = file.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    assert main(["restore", str(damaged), "--database", database_url]) == 2
    assert "recordsdesk:" in capsys.readouterr().err
    junk = tmp_path / "junk.backup"
    junk.write_text("not a backup")
    with pytest.raises(backup.BackupFailed, match="neither"):
        restore.restore_database(database_url, junk)
    assert surnames(database_url) == ["Kept"]
    assert not list((backup.backups_dir()).glob("before-restore-*"))


def test_backup_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    open_database(url).dispose()
    file = backup.backup_database(url, tmp_path / "newer.db")
    with sqlite3.connect(file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(backup.BackupFailed, match="9999_future"):
        restore.restore_database(url, file)


def test_backup_of_the_other_kind_is_refused(database_url: str, tmp_path: Path) -> None:
    if is_sqlite(database_url):
        pytest.skip("needs a PostgreSQL database to restore a SQLite backup into")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    open_database(other).dispose()
    file = backup.backup_database(other, tmp_path / "other-copy.db")
    with pytest.raises(backup.BackupFailed, match="sqlite backup; the database is postgresql"):
        restore.restore_database(database_url, file)


def test_automatic_backups_once_a_day_keep_the_newest(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "auto"
    made = []
    for day in range(5):
        now = T0 + timedelta(days=day)
        made.append(backup.auto_backup(engine, now=now, keep=3, folder=folder))
        # A second desk start the same day takes no second backup.
        assert (
            backup.auto_backup(engine, now=now + timedelta(hours=2), keep=3, folder=folder) is None
        )
    assert all(path is not None for path in made)
    kept = sorted(path.name for path in folder.iterdir())
    assert kept == sorted(path.name for path in made[-3:] if path is not None)
    assert all(mode(folder / name) == 0o600 for name in kept)
    assert backup.auto_backup(engine, now=T0 + timedelta(days=9), keep=0, folder=folder) is None


def test_automatic_backups_skip_demo_databases(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE institution SET demo = true"))
    assert backup.auto_backup(engine, now=T0, keep=3, folder=tmp_path / "auto") is None

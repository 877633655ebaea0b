"""Backups and restores of the whole database, and the desk's automatic rotating backups.

SQLite is copied with its online backup API (a consistent copy while desks keep working);
PostgreSQL with `pg_dump --format=custom`, restored with `pg_restore --single-transaction`.
Before a restore (`services.upkeep.restore`) the file is checked here: SQLite `integrity_check` or a
full `pg_restore` read of a dump, its schema version (a revision these migrations know, never a
newer one), and its tables and columns against that revision's (`upkeep.schema_check`). Every file
written here is readable by its owner only (0600), in a 0700 folder.

These are maintenance operations run from the command line as the `system` account, like the
migrations; they work on files and URLs, not sessions, because they replace the database itself.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from recordsdesk.config import data_dir
from recordsdesk.db import MIGRATIONS_DIR, is_sqlite
from recordsdesk.services.audit.anchor import write_anchor
from recordsdesk.services.shared.errors import RecordsError
from recordsdesk.services.upkeep.schema_check import (
    NotOurDatabase,
    Schema,
    check_schema,
    pg_schema,
    sqlite_schema,
)

KEEP_ENV = "RECORDSDESK_BACKUP_KEEP"
INTERVAL_ENV = "RECORDSDESK_BACKUP_HOURS"
DEFAULT_KEEP = 7
DEFAULT_INTERVAL_HOURS = 24
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
#: The application name the PostgreSQL tools run under, so a restore knows its own sessions.
TOOL_APPLICATION_NAME = "recordsdesk-maintenance"
_AUTO = re.compile(r"-auto-(\d{8}T\d{6}Z)\.(db|dump)$")


class BackupFailed(RecordsError):
    """A backup or restore could not be made; nothing was replaced."""


@dataclass(frozen=True)
class BackupCheck:
    """What a backup file holds: its kind (`sqlite` or `postgresql`) and schema revision."""

    kind: str
    revision: str


# --- files --------------------------------------------------------------------------------------


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def private_file(path: Path) -> None:
    """Create (or truncate) `path` as an owner-only file before anything is written into it."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def backups_dir() -> Path:
    return private_dir(data_dir() / "backups")


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupFailed("An in-memory database has nothing to back up.")
    return Path(url.database)


def _url(database_url: str) -> URL:
    return make_url(database_url)


# --- PostgreSQL tools ---------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of pg_dump / pg_restore, or BackupFailed saying which package provides it."""
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} is not installed; install the PostgreSQL client tools "
            f"(Debian: postgresql-client-15) to back up or restore PostgreSQL."
        )
    return found


def pg_env(url: URL) -> dict[str, str]:
    """Connection settings for the PostgreSQL tools through the environment, so the password
    never appears on a command line (visible to every user in `ps`)."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    env["PGAPPNAME"] = TOOL_APPLICATION_NAME
    return env


def _run(arguments: list[str], url: URL, what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(arguments, env=pg_env(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BackupFailed(f"{what} failed: {detail}")
    return result


# --- backup -------------------------------------------------------------------------------------


def backup_database(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the database at `database_url` to `target` (0600)."""
    url = _url(database_url)
    target = target.expanduser().resolve()
    private_dir(target.parent)
    partial = target.with_name(f".{target.name}.partial")
    private_file(partial)
    try:
        if is_sqlite(database_url):
            source_path = sqlite_path(url)
            if not source_path.exists():
                raise BackupFailed(f"There is no database file at {source_path}.")
            with (
                closing(sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)) as source,
                closing(sqlite3.connect(partial)) as copy,
            ):
                source.backup(copy)
        else:
            _run(
                [pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"],
                url,
                "pg_dump",
            )
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupFailed(f"The SQLite backup failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return target


# --- checks -------------------------------------------------------------------------------------


def known_revisions() -> set[str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {revision.revision for revision in script.walk_revisions()}


def check_backup(source: Path) -> BackupCheck:
    """Read the whole backup and its schema revision; BackupFailed says what is wrong with it."""
    if not source.is_file():
        raise BackupFailed(f"There is no backup file at {source}.")
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        check = BackupCheck("sqlite", _sqlite_revision(source))
    elif head.startswith(PGDUMP_MAGIC):
        check = BackupCheck("postgresql", _pgdump_revision(source))
    else:
        raise BackupFailed(f"{source} is neither a recordsdesk SQLite backup nor a pg_dump file.")
    if check.revision not in known_revisions():
        raise BackupFailed(
            f"{source} has schema version {check.revision}, which this recordsdesk does not know "
            f"(made by a newer version?); upgrade recordsdesk before restoring it."
        )
    found = sqlite_schema(source) if check.kind == "sqlite" else _pgdump_schema(source)
    try:
        check_schema(found, check.revision, source)
    except NotOurDatabase as exc:
        raise BackupFailed(str(exc)) from exc
    return check


def _pgdump_schema(source: Path) -> Schema:
    script = _run(
        [pg_tool("pg_restore"), "--schema-only", "--file", "-", str(source)],
        make_url("postgresql://"),
        "Reading the dump's tables",
    ).stdout
    return pg_schema(script)


def _sqlite_revision(source: Path) -> str:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup:
            problems = [row[0] for row in backup.execute("PRAGMA integrity_check").fetchall()]
            if problems != ["ok"]:
                raise BackupFailed(f"{source} is damaged: {problems[0]}")
            try:
                row = backup.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.OperationalError:
                row = None
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"{source} cannot be read as a database: {exc}") from exc
    if row is None:
        raise BackupFailed(f"{source} is not a recordsdesk database (no schema version).")
    return str(row[0])


def _pgdump_revision(source: Path) -> str:
    tool = pg_tool("pg_restore")
    empty = make_url("postgresql://")
    _run([tool, "--file", os.devnull, str(source)], empty, "Reading the dump")
    data = _run(
        [tool, "--data-only", "--table=alembic_version", "--file", "-", str(source)],
        empty,
        "Reading the dump's schema version",
    ).stdout
    lines = data.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and index + 1 < len(lines):
            revision = lines[index + 1].strip()
            if revision and revision != "\\.":
                return revision
    raise BackupFailed(f"{source} is not a recordsdesk database dump (no schema version).")


# --- automatic backups --------------------------------------------------------------------------


def _int_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return max(0, int(raw)) if raw else default
    except ValueError:
        return default


def _auto_stem(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return sqlite_path(url).stem
    return f"pg-{url.host or 'local'}-{url.database}"


def auto_backups(stem: str, folder: Path) -> list[Path]:
    """This database's automatic backups, oldest first."""
    found = [
        path
        for path in folder.glob(f"{stem}-auto-*")
        if path.name.startswith(f"{stem}-auto-") and _AUTO.search(path.name[len(stem) :])
    ]
    return sorted(found, key=lambda path: path.name)


def _taken_at(path: Path) -> datetime:
    match = _AUTO.search(path.name)
    assert match is not None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def auto_backup(
    engine: Engine,
    *,
    now: datetime | None = None,
    keep: int | None = None,
    interval_hours: int | None = None,
    folder: Path | None = None,
) -> Path | None:
    """At desk start: back the database up when the newest automatic backup is older than the
    interval (default a day), keeping the newest `keep` (default 7; `RECORDSDESK_BACKUP_KEEP=0`
    turns this off). Demo databases are skipped. Returns the new file, or None.

    The audit chain's head is anchored outside the database first, at every desk start."""
    write_anchor(engine, "desk opened", now=now)
    keep = _int_setting(KEEP_ENV, DEFAULT_KEEP) if keep is None else keep
    hours = (
        _int_setting(INTERVAL_ENV, DEFAULT_INTERVAL_HOURS)
        if interval_hours is None
        else interval_hours
    )
    if keep <= 0 or _is_demo(engine):
        return None
    database_url = engine.url.render_as_string(hide_password=False)
    url = engine.url
    if url.get_backend_name() != "sqlite" and shutil.which("pg_dump") is None:
        return None
    moment = now or datetime.now(UTC)
    folder = private_dir(folder or backups_dir())
    stem = _auto_stem(url)
    existing = auto_backups(stem, folder)
    if existing and moment - _taken_at(existing[-1]) < timedelta(hours=hours):
        return None
    suffix = "db" if url.get_backend_name() == "sqlite" else "dump"
    written = backup_database(database_url, folder / f"{stem}-auto-{stamp(moment)}.{suffix}")
    write_anchor(engine, f"backup {written.name}", now=now)
    for old in auto_backups(stem, folder)[:-keep]:
        old.unlink(missing_ok=True)
    return written


def _is_demo(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT demo FROM institution LIMIT 1")).scalar())

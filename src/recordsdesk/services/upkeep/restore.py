"""Restoring the whole database from a backup, with every other desk held out meanwhile.

A restore sets the current database aside and replaces it. Both steps happen while no other
desk can commit, so a save acknowledged to anyone is either in the copy set aside (it committed
before the restore took hold) or in the restored database (it committed after): none falls
between the two. SQLite: the backup API writes the candidate into the live file, and the copy
aside is taken once that write already holds the database's write lock (readers still see the
old database until it commits). PostgreSQL: the restore takes the audit chain's lock for the
session, the lock every change to a record takes before it commits, so desks wait (and after
their lock timeout are told "another desk is writing") while the old database is dumped aside
and the new one replayed in one transaction.

Nothing is touched until the candidate has passed `backup.check_backup` (intact, a known schema
revision, our tables and columns). An older SQLite backup is brought to the newest schema in a
scratch copy before it goes live; a PostgreSQL dump is upgraded right after its replay. Every
message after the copy aside was made names it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from recordsdesk.db import DatabaseUnavailable, is_sqlite, make_engine, open_database
from recordsdesk.services.audit.anchor import RESTORE, write_anchor
from recordsdesk.services.audit.trail import AUDIT_CHAIN_LOCK
from recordsdesk.services.upkeep.backup import (
    TOOL_APPLICATION_NAME,
    BackupFailed,
    backup_database,
    backups_dir,
    check_backup,
    pg_env,
    pg_tool,
    private_file,
    sqlite_path,
    stamp,
)

#: How long a restore waits for another desk's write to finish before giving up (seconds).
RESTORE_LOCK_WAIT = 60.0
#: Pages copied per step of the SQLite backup API into the live file.
_PAGES_PER_STEP = 1024
#: How often a PostgreSQL restore turns away desks that queue behind it (seconds).
_CANCEL_EVERY = 0.1


@dataclass(frozen=True)
class RestoreResult:
    revision: str
    kept_aside: Path


def _unused(folder: Path, stem: str, suffix: str) -> Path:
    """A name in `folder` that no file has yet: never overwrite a kept-aside database (it may
    be the very file being restored)."""
    candidate = folder / f"{stem}.{suffix}"
    number = 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{stem}-{number}.{suffix}"
    return candidate


def restore_database(
    database_url: str, source: Path, *, now: datetime | None = None
) -> RestoreResult:
    """Replace the database at `database_url` with the backup at `source`.

    Raises BackupFailed (nothing replaced unless the message says otherwise, and then it names
    the copy set aside). The copy aside is `before-restore-…` in the backups folder.
    """
    source = source.expanduser().resolve()
    check = check_backup(source)
    kind = "sqlite" if is_sqlite(database_url) else "postgresql"
    if check.kind != kind:
        raise BackupFailed(f"{source} is a {check.kind} backup; the database is {kind}.")
    moment = now or datetime.now(UTC)
    suffix = "db" if kind == "sqlite" else "dump"
    aside = _unused(backups_dir(), f"before-restore-{stamp(moment)}", suffix)
    if kind == "sqlite":
        _restore_sqlite(database_url, source, aside)
    else:
        _restore_postgresql(database_url, source, aside)
    engine = make_engine(database_url)
    try:  # the anchors so far describe the database set aside; the restored head starts anew
        write_anchor(engine, RESTORE)
    finally:
        engine.dispose()
    return RestoreResult(revision=check.revision, kept_aside=aside)


# --- SQLite -------------------------------------------------------------------------------------


def _restore_sqlite(database_url: str, source: Path, aside: Path) -> None:
    target = sqlite_path(make_url(database_url))
    if not target.exists():  # nothing to set aside: an empty file marks that
        target.parent.mkdir(parents=True, exist_ok=True)
        private_file(target)
        private_file(aside)
    with tempfile.TemporaryDirectory(dir=backups_dir(), prefix=".restoring-") as scratch:
        staged = Path(scratch) / "staged.db"
        _stage(source, staged)
        _replace_live(database_url, target, staged, aside)
    os.chmod(target, 0o600)


def _stage(source: Path, staged: Path) -> None:
    """A copy of the backup at the newest schema, so the live file goes from the old database
    straight to the restored one at the current schema, or is not touched at all."""
    private_file(staged)
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup,
            closing(sqlite3.connect(staged)) as copy,
        ):
            backup.backup(copy)
        open_database(f"sqlite:///{staged}").dispose()
    except (sqlite3.Error, DatabaseUnavailable) as exc:
        raise BackupFailed(
            f"{source} could not be brought to the current schema ({exc}); nothing was replaced."
        ) from exc


def _replace_live(database_url: str, target: Path, staged: Path, aside: Path) -> None:
    """Copy `staged` into the live file; set the live database aside once the copy holds its
    write lock (after its first step), when no desk can commit any more."""
    with closing(sqlite3.connect(f"file:{staged}?mode=ro", uri=True)) as stage:
        pages = stage.execute("PRAGMA page_count").fetchone()[0]
    # The first step must not finish the copy (it would commit before the copy aside).
    per_step = max(1, min(_PAGES_PER_STEP, pages - 1))
    started = time.monotonic()
    aside_made: list[Path] = []

    def hold_then_set_aside(status: int, remaining: int, _total: int) -> None:
        if aside_made:
            return
        if status != sqlite3.SQLITE_OK or remaining == 0:
            if time.monotonic() - started > RESTORE_LOCK_WAIT:
                raise BackupFailed(
                    f"Other desks kept writing for {RESTORE_LOCK_WAIT:.0f} s; nothing was "
                    "replaced. Ask them to stop saving for a moment and restore again."
                )
            return
        if target.stat().st_size:  # an existing database: set it aside as it stands now
            backup_database(database_url, aside)
        aside_made.append(aside)

    try:
        with (
            closing(sqlite3.connect(f"file:{staged}?mode=ro", uri=True)) as stage,
            closing(sqlite3.connect(target, timeout=0.2)) as live,
        ):
            stage.backup(live, pages=per_step, progress=hold_then_set_aside, sleep=0.05)
    except sqlite3.Error as exc:
        kept = f"; the previous database is at {aside}" if aside_made else "; nothing was replaced"
        raise BackupFailed(f"Restoring into {target} failed ({exc}){kept}.") from exc


# --- PostgreSQL ---------------------------------------------------------------------------------


def _restore_postgresql(database_url: str, source: Path, aside: Path) -> None:
    url = make_url(database_url)
    engine = make_engine(database_url)
    stop = threading.Event()
    try:
        with engine.connect() as hold:
            hold.exec_driver_sql("SET lock_timeout = 0")  # the restore waits for desks
            hold.execute(text("SELECT pg_advisory_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})
            hold.commit()
            canceller = threading.Thread(target=_turn_desks_away, args=(engine, stop))
            canceller.start()
            try:
                backup_database(database_url, aside)
                _pg_restore(url, source, aside)
            finally:
                stop.set()
                canceller.join()
                hold.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": AUDIT_CHAIN_LOCK})
                hold.commit()
    finally:
        engine.dispose()
    try:
        open_database(database_url).dispose()  # an older dump to the newest schema
    except DatabaseUnavailable as exc:
        raise BackupFailed(
            f"The backup was restored but could not be brought to the current schema ({exc}); "
            f"the database as it was before the restore is kept at {aside}."
        ) from exc


_WAITING_DESKS = text(
    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND application_name <> :tool"
)


def _turn_desks_away(engine: Engine, stop: threading.Event) -> None:
    """While the restore runs, cancel the statement of any desk waiting for a lock: a desk
    that wrote before reaching the chain's lock would otherwise hold the replay up until its
    lock timeout, or deadlock with it. The desk is told another desk is writing; its save was
    not made and it tries again after the restore."""
    with engine.connect() as connection:
        while not stop.wait(_CANCEL_EVERY):
            connection.execute(_WAITING_DESKS, {"tool": TOOL_APPLICATION_NAME})
            connection.commit()


_EMPTY_SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', '', false);"
_OWN_SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', 'public', false);"


def _pg_restore(url: URL, source: Path, aside: Path) -> None:
    """Replay the dump through psql in one transaction (all or nothing).

    pg_restore's script empties `search_path` for safety, but the desk's index functions call
    each other unqualified (rd_name_search -> rd_fold), so their indexes could not be rebuilt;
    the script is streamed through with the database's own schema on the path instead.
    """
    # stderr goes to files: a pipe nobody reads while the script streams could fill and stall.
    script_log, replay_log = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    script = subprocess.Popen(
        [
            pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--file",
            "-",
            str(source),
        ],
        env=pg_env(url),
        stdout=subprocess.PIPE,
        stderr=script_log,
        text=True,
    )
    replay = subprocess.Popen(
        [
            pg_tool("psql"),
            "--quiet",
            "--no-psqlrc",
            "--single-transaction",
            "--set",
            "ON_ERROR_STOP=1",
            "--output",
            os.devnull,
        ],
        env=pg_env(url),
        stdin=subprocess.PIPE,
        stderr=replay_log,
        text=True,
    )
    assert script.stdout is not None and replay.stdin is not None
    try:
        for line in script.stdout:
            if line.strip() == _EMPTY_SEARCH_PATH:
                line = _OWN_SEARCH_PATH + "\n"
            replay.stdin.write(line)
    except BrokenPipeError:
        pass  # psql stopped at an error; its message is read below
    finally:
        try:
            replay.stdin.close()
        except BrokenPipeError:
            pass
    failed = replay.wait() != 0 or script.wait() != 0
    replay_log.seek(0)
    script_log.seek(0)
    replay_err, script_err = replay_log.read().decode(), script_log.read().decode()
    if failed:
        lines = (replay_err or script_err).strip().splitlines() or ["(no message)"]
        detail = next((line for line in lines if "ERROR" in line or "error" in line), lines[-1])
        raise BackupFailed(
            f"The restore failed and was rolled back ({detail}); "
            f"the database is unchanged, and also kept at {aside}."
        )

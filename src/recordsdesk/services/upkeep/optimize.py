"""Keeping a big database quick: `recordsdesk db optimize`, and the cheap part the desk runs
by itself.

What slows a live database down over the months: the lookup's name index splits into segments
(on SQLite each save of a name adds one through the triggers, and every name search reads every
segment), the query planner's statistics go stale as the tables grow, and space freed by
deletions stays in the file. The full run fixes all three; the cheap run does only what costs
little and never holds the write lock for long, so a desk can run it while clerks work: on
SQLite the index merged a few hundred pages per transaction, and `PRAGMA optimize` where the
database has statistics (SQLite has none unless asked: see `optimize_database`); on PostgreSQL the
trigram index's pending list cleaned and `ANALYZE` (which takes no lock that blocks reads or
writes).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session

from recordsdesk.config import data_dir
from recordsdesk.services.lookup.index import (
    NAME_SEARCH_INDEX,
    SQLITE_FTS_TABLE,
    merge_sqlite_index,
    sqlite_index_segments,
)
from recordsdesk.services.shared.private_files import write_private
from recordsdesk.services.transcripts import totals

#: Free pages above this share of the file are worth a VACUUM (it rewrites the whole file).
VACUUM_FREE_SHARE = 0.10
#: Pages of the full-text index one cheap merge step may write; a step holds the write lock for
#: a few milliseconds, so another desk's save waits no longer than that.
MERGE_STEP_PAGES = 200
MAX_MERGE_STEPS = 10_000
#: The desk runs the cheap part when it opens, at most this often per database.
AUTO_INTERVAL = timedelta(hours=24)


@dataclass(frozen=True)
class OptimizeStep:
    """One thing optimize did or chose not to do, with why, and its time."""

    name: str
    detail: str
    seconds: float


@dataclass(frozen=True)
class OptimizeReport:
    steps: tuple[OptimizeStep, ...]

    def lines(self) -> list[str]:
        return [f"{s.name}: {s.detail} ({s.seconds:.2f} s)" for s in self.steps]


class _Steps:
    def __init__(self) -> None:
        self.steps: list[OptimizeStep] = []

    def run(self, name: str, work: Callable[[], str]) -> None:
        start = time.perf_counter()
        detail = work()
        self.steps.append(OptimizeStep(name, detail, time.perf_counter() - start))


def optimize_database(
    engine: Engine, *, cheap: bool = False, vacuum: bool = False, analyze: bool = False
) -> OptimizeReport:
    """Merge the lookup's name index and refresh the planner's statistics (`cheap`: only the
    part that never holds a lock for long); on SQLite also VACUUM when more than a tenth of the
    file is free pages, or always with `vacuum`. Changes no record.

    On SQLite statistics are refreshed only where the database has them already, or made with
    `analyze` (never by the cheap part): with them SQLite plans several reports' queries worse.

    Both also bring the stored term totals up to date (transcripts.totals), a few thousand
    students per transaction; a rebuild of every row (after a change of repeat policy or scale)
    only in the full run: the cheap run leaves it to the next report or full run.

    Raises SQLAlchemy's errors as they come (a lock held too long by another desk, a PostgreSQL
    role that does not own the tables); every finished step stays done.
    """
    steps = _Steps()
    steps.run("term totals", lambda: _term_totals(engine, cheap=cheap))
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            connection = raw.driver_connection
            assert isinstance(connection, sqlite3.Connection)
            _sqlite(connection, steps, cheap=cheap, vacuum=vacuum, analyze=analyze and not cheap)
        finally:
            raw.close()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            _postgres(connection, steps, cheap=cheap)
    return OptimizeReport(tuple(steps.steps))


def _sqlite(
    connection: sqlite3.Connection, steps: _Steps, *, cheap: bool, vacuum: bool, analyze: bool
) -> None:
    connection.commit()  # no transaction of the pool's left open: each step is its own

    def merge_index() -> str:
        before = sqlite_index_segments(connection)
        if before <= 1:
            return "already one segment"
        if cheap:
            merged = _merge_in_steps(connection)
            return f"{before} segments -> {sqlite_index_segments(connection)} in {merged} steps"
        merge_sqlite_index(connection)
        connection.commit()
        return f"{before} segments -> {sqlite_index_segments(connection)}"

    def statistics() -> str:
        if not _has_statistics(connection) and not analyze:
            # The desk's queries are planned well without statistics, and some much worse with
            # them (docs/benchmarks.md, issue 19): none are made unless asked for.
            return "skipped: this database has none (--analyze makes them)"
        if cheap:
            # Only tables whose statistics went stale (SQLite 3.46 and later look at every
            # table; older versions at none on a new connection, which is harmless).
            connection.execute("PRAGMA optimize=0x10002")
            return "PRAGMA optimize (stale tables only)"
        connection.execute("ANALYZE")
        connection.commit()
        return "ANALYZE (every table and index)"

    def free_space() -> str:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
        share = free / pages if pages else 0.0
        if not vacuum and share <= VACUUM_FREE_SHARE:
            return f"skipped: {share:.0%} of the file is free pages"
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return f"{free:,} free pages of {pages:,} given back"

    steps.run("name index", merge_index)
    steps.run("statistics", statistics)
    if not cheap:
        steps.run("free space", free_space)


_TOTALS_STEP = 2000  # students per transaction


def _term_totals(engine: Engine, *, cheap: bool) -> str:
    """The stored term totals of every student a write noted, recomputed in short steps."""
    with Session(engine) as session:
        if totals.needs_rebuild(session):
            if cheap:
                return "skipped: every row is due a rebuild (the full run does it)"
            totals.refresh(session)
            session.commit()
            return "every row rebuilt (policy or scales changed)"
        done = 0
        while (count := totals.refresh(session, limit=_TOTALS_STEP)) > 0:
            session.commit()
            done += count
        session.commit()
    return f"{done:,} students recomputed" if done else "already current"


def _has_statistics(connection: sqlite3.Connection) -> bool:
    found = connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
    return found.fetchone() is not None


def _merge_in_steps(connection: sqlite3.Connection) -> int:
    """FTS5's incremental merge, a few hundred pages per transaction, until it has nothing left
    to do (a step that changed fewer than two rows: FTS5's own signal)."""
    sql = f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rank) VALUES ('merge', ?)"
    pages = -MERGE_STEP_PAGES  # negative: merge even below the automerge threshold (FTS5 docs)
    for step in range(1, MAX_MERGE_STEPS + 1):
        before = connection.total_changes
        connection.execute(sql, (pages,))
        connection.commit()
        if connection.total_changes - before < 2:
            return step
        pages = MERGE_STEP_PAGES
    return MAX_MERGE_STEPS


def _postgres(connection: Any, steps: _Steps, *, cheap: bool) -> None:
    def index_size() -> int:
        return int(
            connection.execute(
                text("SELECT pg_relation_size(to_regclass(:name))"), {"name": NAME_SEARCH_INDEX}
            ).scalar_one()
        )

    def merge_index() -> str:
        if cheap and not owned():
            return "skipped: this role does not own the index (autovacuum cleans it)"
        if cheap:
            moved = connection.execute(
                text("SELECT gin_clean_pending_list(to_regclass(:name))"),
                {"name": NAME_SEARCH_INDEX},
            ).scalar_one()
            return f"pending list cleaned ({moved} pages moved into the index)"
        before = index_size()
        # CONCURRENTLY: desks keep reading and writing students while the copy is built.
        connection.execute(text(f"REINDEX INDEX CONCURRENTLY {NAME_SEARCH_INDEX}"))
        return f"trigram index rebuilt: {before / 2**20:.1f} MiB -> {index_size() / 2**20:.1f} MiB"

    def owned() -> bool:
        return bool(
            connection.execute(
                text(
                    "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
                    "WHERE oid = to_regclass(:name)"
                ),
                {"name": NAME_SEARCH_INDEX},
            ).scalar()
        )

    def statistics() -> str:
        # A desk's own role skips (with a notice) the tables it does not own: no error.
        connection.execute(text("ANALYZE"))
        return "ANALYZE (every table)"

    steps.run("name index", merge_index)
    steps.run("statistics", statistics)


def stamp_file(engine: Engine) -> Path:
    """Where this desk notes when it last optimized this database (one file per database,
    named by a hash of its address, so no address or password is written out)."""
    address = engine.url.render_as_string(hide_password=True)
    name = hashlib.sha256(address.encode()).hexdigest()[:16]
    return data_dir() / "upkeep" / f"optimized-{name}"


def auto_optimize(engine: Engine, *, now: datetime | None = None) -> OptimizeReport | None:
    """At desk start, in the background: the cheap optimize when this desk has not run it on
    this database for a day (None when it was not due). The time is noted first, so desks
    opened together, or one that fails, do not try again before the day is out."""
    moment = now or datetime.now(UTC)
    stamp = stamp_file(engine)
    try:
        last = datetime.fromisoformat(stamp.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        last = None
    if last is not None and moment - last < AUTO_INTERVAL:
        return None
    write_private(stamp, moment.isoformat().encode("ascii"), overwrite=True, field="data folder")
    return optimize_database(engine, cheap=True)

"""Build (or reuse) the demo institution in a database that is empty or already a demo.

Safety first: the builder refuses the default real database and any database holding records
that were not made by the demo; it replaces only a database flagged `institution.demo`.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, MetaData, func, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from recordsdesk.config import default_database_url, normalise_url
from recordsdesk.db import (
    is_sqlite,
    make_engine,
    migration_config,
    open_database,
    safe_url,
    session_scope,
)
from recordsdesk.models import GradeMark, GradingScale, StaffUser
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.access.passwords import hash_password
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.demo.catalog import SCALE_CODES, Catalog, build_catalog
from recordsdesk.services.demo.history import TABLES, HistoryGenerator
from recordsdesk.services.demo.people import stamp
from recordsdesk.services.demo.pipeline import open_sink
from recordsdesk.services.demo.standing import StandingPolicy
from recordsdesk.services.demo.summary import DemoAccount, DemoSummary, count_rows
from recordsdesk.services.demo.writer import BulkWriter
from recordsdesk.services.shared.errors import RecordsError
from recordsdesk.services.transcripts.totals import adopt as adopt_term_totals

CHUNK_STUDENTS = 10_000
AUDIT_ACTION = "demo_build"
# A SQLite demo is built in a sibling file with this suffix and renamed over the target only
# once it is complete and audited.
STAGING_SUFFIX = ".building"
# Tables holding records an office would have typed in: any row there means "not ours".
_RECORD_TABLES = ("student", "program", "course", "term", "enrollment", "hold", "contact_note")


class NotADemoDatabase(RecordsError):
    """The target holds real records (or is the desk's default database); nothing was changed."""


def demo_password(username: str) -> str:
    """The printed, deterministic password of a demo account (demo data only)."""
    return f"demo-{username}"


def _accounts(catalog_spec: dict[str, object]) -> tuple[DemoAccount, ...]:
    staff = catalog_spec["staff"]
    assert isinstance(staff, list)
    return tuple(DemoAccount(u, role, demo_password(u)) for u, role, _name in staff)


def _same_database(url: str, other: str) -> bool:
    try:
        a, b = make_url(normalise_url(url)), make_url(normalise_url(other))
    except Exception:  # noqa: BLE001 - an unparsable URL is simply not the same database
        return False
    if a.get_backend_name() == "sqlite" and b.get_backend_name() == "sqlite":
        if not a.database or not b.database:
            return False
        return Path(a.database).expanduser().resolve() == Path(b.database).expanduser().resolve()
    return a.render_as_string(hide_password=True) == b.render_as_string(hide_password=True)


def _target_state(engine: Engine) -> str:
    """'empty', 'demo', 'demo-incomplete' or 'blank' (migrated, nothing typed in yet); raises
    NotADemoDatabase for anything else."""
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        if not tables:
            return "empty"
        if "institution" not in tables or "student" not in tables:
            raise NotADemoDatabase(
                "This database holds tables that recordsdesk did not make; the demo builder "
                "will not touch a database that is not a demo database."
            )
        flags = connection.execute(text("SELECT demo FROM institution")).scalars().all()
        if flags and all(bool(flag) for flag in flags):
            built = connection.execute(
                text("SELECT COUNT(*) FROM audit_event WHERE action = :a"), {"a": AUDIT_ACTION}
            ).scalar_one()
            return "demo" if built else "demo-incomplete"
        staff = connection.execute(
            text("SELECT COUNT(*) FROM staff_user WHERE username <> 'system'")
        ).scalar_one()
        records = sum(
            connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
            for table in _RECORD_TABLES
        )
    if staff or records:
        raise NotADemoDatabase(
            "This database holds records that are not demo data; the demo builder will not "
            "touch a database that is not a demo database. Give another --database."
        )
    return "blank"


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL naming a plain path (None: PostgreSQL, memory, a URI)."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _remove_sqlite_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _wipe(engine: Engine, url: str) -> None:
    """Remove an old demo: delete the SQLite file, or drop every table on PostgreSQL."""
    if is_sqlite(url):
        path = _sqlite_file(url)
        engine.dispose()
        if path is not None:
            _remove_sqlite_file(path)
        return
    # The revisions' own downgrades remove what they made beyond tables (functions,
    # triggers, extensions' indexes); whatever is left, alembic_version included, goes after.
    from alembic import command  # only to wipe: signing in imports this module too

    command.downgrade(migration_config(engine), "base")
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


def _reference(engine: Engine) -> tuple[dict[str, int], dict[str, dict[str, float]], int]:
    with session_scope(engine) as session:
        scales = {s.code: s.id for s in session.exec(select(GradingScale)).all() if s.id}
        points: dict[str, dict[str, float]] = {}
        codes = {scale_id: code for code, scale_id in scales.items()}
        for mark in session.exec(select(GradeMark)).all():
            value = float(mark.points) if mark.points is not None else 0.0
            points.setdefault(codes[mark.scale_id], {})[mark.mark] = value
        max_staff = session.exec(select(func.max(StaffUser.id))).one()
    return scales, points, int(max_staff or 0)


def _hash_passwords() -> dict[str, Future[str]]:
    """Start hashing the demo accounts' passwords on two threads (scrypt releases the GIL), so
    the seconds they take overlap the migrations instead of delaying the first student."""
    from recordsdesk.resources import load_json
    from recordsdesk.services.demo.catalog import CATALOG_FILE

    usernames = [str(entry[0]) for entry in load_json(CATALOG_FILE)["staff"]]
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-passwords")
    try:
        return {u: pool.submit(hash_password, demo_password(u)) for u in usernames}
    finally:
        pool.shutdown(wait=False)


def _write_fixed_part(
    writer: BulkWriter, catalog: Catalog, first_staff_id: int, hashes: dict[str, Future[str]]
) -> None:
    founded = catalog.terms[0].start.replace(month=1, day=4)
    staff_rows = []
    for offset, (username, role, full_name) in enumerate(catalog.spec["staff"]):
        staff_id = first_staff_id + offset
        catalog.staff[username] = staff_id
        catalog.passwords[username] = demo_password(username)
        staff_rows.append(
            (staff_id, username, full_name, role, hashes[username].result(), 1,
             stamp(founded, 540 + offset), None, 0, None)
        )  # fmt: skip
    writer.write("staff_user", staff_rows)
    for table in ("program", "course", "prerequisite", "program_requirement", "term"):
        writer.write(table, catalog.rows[table])


def _set_institution(writer: BulkWriter, catalog: Catalog, students: int, width: int) -> None:
    spec = catalog.spec["institution"]
    writer.execute(
        "UPDATE institution SET name = ?, short_name = ?, level = 'tertiary', address = ?, "
        "phone = ?, email = ?, website = ?, registrar_name = ?, default_grading_scale_id = ?, "
        "student_number_pattern = ?, student_number_seq = ?, demo = ?, "
        "deans_list_min_gpa = ?, probation_below_gpa = ?",
        (spec["name"], spec["short_name"], spec["address"], spec["phone"], spec["email"],
         spec["website"], spec["registrar_name"], catalog.scale_ids["US-PM"],
         f"{{year}}{{seq:0{width}d}}", students, True, str(Decimal("3.50")),
         str(Decimal("2.00"))),
    )  # fmt: skip


def _load(
    url: str,
    engine: Engine,
    *,
    students: int,
    seed: int,
    today: date,
    progress: Callable[[str], None],
    hashes: dict[str, Future[str]],
    scratch: bool,
) -> None:
    scale_ids, points, max_staff = _reference(engine)
    catalog = build_catalog({c: scale_ids[c] for c in SCALE_CODES if c in scale_ids}, points, today)
    width = max(5, len(str(students)))
    writer = BulkWriter(engine)
    try:
        _set_institution(writer, catalog, students, width)
        _write_fixed_part(writer, catalog, max_staff + 1, hashes)
        writer.commit()
        with session_scope(engine) as session:  # the rules posting decides standing by
            standing = StandingPolicy.read(session)
        first_ids = dict.fromkeys(TABLES, 1)
        generator = HistoryGenerator(
            catalog,
            seed=seed,
            # History ends the day before the build: nothing reads as changed later than
            # the clock on the wall whenever the demo is opened on the day it was built.
            today=today - timedelta(days=1),
            first_ids=first_ids,
            number_width=width,
            students=students,
            standing=standing,
        )
        started = time.perf_counter()
        step = max(students // 20, 1)
        next_report = [step]

        def report(written: int, rows: int) -> None:
            # Called once a chunk is committed (on the writer thread for PostgreSQL).
            if written >= next_report[0] or written == students:
                elapsed = time.perf_counter() - started
                progress(
                    f"  {100 * written // students:3d}%  {written:>9,} students  "
                    f"{rows:>11,} rows  {elapsed:6.1f} s"
                )
                while next_report[0] <= written:
                    next_report[0] += step

        sink = open_sink(
            url, writer, students, report, progress, generator.standing_stage(), scratch
        )
        done = 0
        # The generator's catalog, pools and caches live for the whole build: frozen, the
        # collector stops rescanning them (a few per cent of generating time).
        gc.freeze()
        try:
            while done < students:
                count = min(CHUNK_STUDENTS, students - done)
                sink.put(generator.generate(done + 1, count))
                done += count
        except BaseException:
            sink.abort()
            raise
        finally:
            gc.unfreeze()
        sink.close()
    finally:
        writer.close()


def build_demo_database(
    url: str,
    *,
    students: int,
    seed: int,
    rebuild: bool,
    progress: Callable[[str], None],
    today: date | None = None,
) -> DemoSummary:
    """Build the demo institution into `url` (or reuse the demo already there).

    Deterministic for (`seed`, `today`): two builds hold the same rows, except the salted
    password hashes and the timestamps of the build's own audit event. Raises NotADemoDatabase,
    changing nothing, when `url` is the default database or holds non-demo records.
    """
    if students < 0:
        raise RecordsError("students: must be 0 or more")
    if _same_database(url, default_database_url()):
        raise NotADemoDatabase(
            "That is the desk's own database; the demo builder will not touch a database that "
            "is not a demo database. Leave out --database to use the demo file."
        )
    today = today or date.today()
    location = safe_url(url)
    target = _sqlite_file(url)
    existed = target is not None and target.exists()
    probe = make_engine(url)
    try:
        state = _target_state(probe)
        if state == "demo" and not rebuild:
            engine = open_database(url)
            try:
                with engine.connect() as connection:
                    counts = count_rows(connection)
            finally:
                engine.dispose()
            progress(f"A demo database already exists at {location}; reusing it "
                     "(--rebuild builds a new one).")  # fmt: skip
            return DemoSummary(location, counts, _default_accounts(), None, True, 0.0)
        if state in ("demo", "demo-incomplete"):
            progress(f"Removing the old demo database at {location}.")
            _wipe(probe, url)
    finally:
        probe.dispose()
        if target is not None and not existed:
            _remove_sqlite_file(target)  # the probe's empty file: the build is not there yet
    started = time.perf_counter()
    people = f"{students:,} student{'' if students == 1 else 's'}"
    progress(f"Building a demo institution with {people} at {location} (seed {seed}).")
    hashes = _hash_passwords()
    # A SQLite demo is built in a staging file and renamed into place once complete and
    # audited, so a failed or killed build never leaves a file at `url` (the desk would open
    # it as a good demo); its leftover staging file is removed here by the next build.
    staging = None if target is None else Path(f"{target}{STAGING_SUFFIX}")
    build_url = url
    if staging is not None:
        _remove_sqlite_file(staging)
        build_url = make_url(url).set(database=str(staging)).render_as_string(hide_password=False)
    engine = open_database(build_url)
    try:
        _load(build_url, engine, students=students, seed=seed, today=today, progress=progress,
              hashes=hashes, scratch=staging is not None)  # fmt: skip
        with session_scope(engine) as session:
            adopt_term_totals(session)  # the generator wrote every student's rows
            counts = count_rows(session.connection())
            audit.record(
                session,
                system_actor(session),
                action=AUDIT_ACTION,
                entity="database",
                after=dict(counts),
                reason=f"recordsdesk demo: {students} students, seed {seed}, today {today}",
            )
        with engine.connect() as connection:
            counts = count_rows(connection)
            if staging is not None:  # all in the main file: it is renamed without its WAL
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    if staging is not None and target is not None:
        for suffix in ("-wal", "-shm"):
            Path(f"{staging}{suffix}").unlink(missing_ok=True)
        _remove_sqlite_file(target)
        os.replace(staging, target)
    seconds = time.perf_counter() - started
    return DemoSummary(location, counts, _default_accounts(), seed, False, seconds)


def _default_accounts() -> tuple[DemoAccount, ...]:
    from recordsdesk.resources import load_json
    from recordsdesk.services.demo.catalog import CATALOG_FILE

    return _accounts(load_json(CATALOG_FILE))

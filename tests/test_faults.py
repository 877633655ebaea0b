"""Faults at full force, reduced so CI runs each in a few seconds: a desk killed with SIGKILL
mid-save and an import killed mid-write (every acknowledged save present; an import all or
nothing), eight desks saving at once, and a restore while a desk saves (every acknowledged save
in the copy set aside or in the restored database). `RECORDSDESK_FAULT_FULL=1` runs them at
full strength (more saves, more desks' work, a 200,000-row import): see
docs/guide/development.md."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import select

from recordsdesk.db import is_lock_timeout, is_sqlite, open_database, session_scope
from recordsdesk.models import Enrollment
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.grades.marks import save_mark
from recordsdesk.services.people.student import StudentCreate, create_student
from recordsdesk.services.upkeep import backup, restore
from tests.factories import make_enrollment, make_section, make_student
from tests.fault_worker import MARKS

FULL = os.environ.get("RECORDSDESK_FAULT_FULL") == "1"
ROOT = Path(__file__).resolve().parents[1]


def scaled(reduced: int, full: int) -> int:
    return full if FULL else reduced


@pytest.fixture
def section_ids(engine: Engine) -> list[int]:
    """Eight students in a section whose marks are being keyed."""
    with session_scope(engine) as session:
        section = make_section(session)
        ids = [make_enrollment(session, make_student(session), section).id for _ in range(8)]
    return [i for i in ids if i is not None]


def chain_intact(engine: Engine, actor: Actor) -> None:
    with session_scope(engine) as session:
        report = verify_chain(session, actor=actor)
    assert report.intact, report.describe()


@pytest.fixture
def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fault_worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lines_until(process: subprocess.Popen[str], count: int) -> Iterator[str]:
    assert process.stdout is not None
    for n, line in enumerate(process.stdout, start=1):
        yield line.strip()
        if n >= count:
            return
    raise AssertionError(
        f"the worker stopped early: {process.stderr.read() if process.stderr else ''}"
    )


def test_kill_9_during_saves_loses_no_acknowledged_save(
    database_url: str,
    engine: Engine,
    section_ids: list[int],
    system: Actor,
    worker_env: dict[str, str],
) -> None:
    desk = start(worker_env, "saves", database_url, *map(str, section_ids))
    acknowledged: dict[int, str] = {}
    try:
        for line in lines_until(desk, scaled(40, 2000)):
            _, eid, mark = line.split()
            acknowledged[int(eid)] = mark
    finally:
        desk.send_signal(signal.SIGKILL)
        desk.wait()
    with session_scope(engine) as session:
        stored = {e.id: e.mark for e in session.exec(select(Enrollment)) if e.id in acknowledged}
    for eid, mark in acknowledged.items():
        # The last acknowledged mark, or the one after it if that commit landed unacknowledged.
        following = MARKS[(MARKS.index(mark) + len(section_ids)) % len(MARKS)]
        assert stored[eid] in (mark, following), (eid, mark, stored[eid])
    chain_intact(engine, system)


def history_csv(path: Path, rows: int) -> Path:
    lines = [
        "student_number,last_name,first_name,birth_date,term,course_code,course_title,credits,mark"
    ]
    for n in range(rows):
        student, course = divmod(n, 40)
        term = f"{2000 + course // 4}{('WI', 'SP', 'SU', 'FA')[course % 4]}"
        lines.append(
            f"K{student:06d},Kill,Nine,2001-01-01,{term},KIL{course:03d},Course {course},3,B"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_kill_9_during_an_import_leaves_all_or_nothing(
    database_url: str,
    engine: Engine,
    system: Actor,
    tmp_path: Path,
    worker_env: dict[str, str],
) -> None:
    rows = scaled(4000, 200_000)
    csv = history_csv(tmp_path / "history.csv", rows)
    with session_scope(engine) as session:
        before = session.exec(select(func.count()).select_from(Enrollment)).one()
    importer = start(worker_env, "import", database_url, str(csv))
    try:
        next(lines_until(importer, 1))  # started: reading and checking, or already writing
        time.sleep(scaled(1, 20) * 0.5)
    finally:
        importer.send_signal(signal.SIGKILL)
        importer.wait()
    with session_scope(engine) as session:
        after = session.exec(select(func.count()).select_from(Enrollment)).one()
    assert after - before in (0, rows)
    chain_intact(engine, system)


def test_eight_desks_saving_at_once(
    database_url: str, engine: Engine, section_ids: list[int], system: Actor
) -> None:
    rounds = scaled(6, 100)
    desks = [open_database(database_url, migrate=False) for _ in range(8)]
    failures: list[BaseException] = []
    acknowledged: dict[int, str] = {}
    barrier = threading.Barrier(8)

    def desk(n: int, desk_engine: Engine) -> None:
        eid = section_ids[n]
        try:
            barrier.wait(timeout=30)
            for r in range(rounds):
                mark = MARKS[(n + r) % len(MARKS)]
                with session_scope(desk_engine) as session:
                    version = session.get_one(Enrollment, eid).version
                    save_mark(
                        session,
                        actor=system,
                        enrollment_id=eid,
                        expected_version=version,
                        mark=mark,
                    )
                acknowledged[eid] = mark
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=desk, args=(n, e)) for n, e in enumerate(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for desk_engine in desks:
        desk_engine.dispose()
    assert not failures, failures
    with session_scope(engine) as session:
        stored = {eid: session.get_one(Enrollment, eid).mark for eid in section_ids}
    assert stored == acknowledged
    chain_intact(engine, system)


def test_restore_while_a_desk_saves_loses_nothing(
    database_url: str, engine: Engine, system: Actor, tmp_path: Path
) -> None:
    if not is_sqlite(database_url) and backup.shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    file = backup.backup_database(database_url, tmp_path / "office.backup")
    desk = open_database(database_url, migrate=False)
    acknowledged: list[str] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def keep_saving() -> None:
        n = 0
        while not stop.is_set():
            name = f"Saved{n:05d}"
            try:
                with session_scope(desk) as session:
                    create_student(
                        session,
                        actor=system,
                        data=StudentCreate(legal_first_name="Ada", legal_last_name=name),
                    )
            except Exception as exc:  # a save refused while the restore held the desks out
                if not is_lock_timeout(exc):
                    failures.append(exc)
                    return  # anything else is a fault: stop, and the test reports it
                continue
            acknowledged.append(name)
            n += 1

    saver = threading.Thread(target=keep_saving)
    saver.start()
    try:
        while len(acknowledged) < scaled(5, 200) and saver.is_alive():
            time.sleep(0.01)
        result = restore.restore_database(database_url, file)
        while len(acknowledged) < scaled(5, 200) * 2 and saver.is_alive():
            time.sleep(0.01)
    finally:
        stop.set()
        saver.join(timeout=120)
        desk.dispose()
    assert not failures, failures
    live = names(database_url)
    aside = aside_names(result.kept_aside, database_url)
    lost = [name for name in acknowledged if name not in live and name not in aside]
    assert not lost, f"{len(lost)} acknowledged saves in neither copy: {lost[:5]}"


def names(url: str) -> set[str]:
    engine = open_database(url, migrate=False)
    try:
        with engine.connect() as connection:
            return {r[0] for r in connection.execute(text("SELECT legal_last_name FROM student"))}
    finally:
        engine.dispose()


def aside_names(aside: Path, database_url: str) -> set[str]:
    if is_sqlite(database_url):
        return names(f"sqlite:///{aside}")
    from tests.conftest import drop_postgres_database, new_postgres_database

    name, url = new_postgres_database(None)
    try:
        restore.restore_database(url, aside)
        return names(url)
    finally:
        drop_postgres_database(name)

"""`recordsdesk db optimize`: the lookup's name index merged, the planner's statistics
refreshed, free space given back on SQLite when worth it; the cheap part alone; on both
engines, and the lookup finds the same people afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from recordsdesk.cli import main
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.lookup.index import NAME_SEARCH_INDEX, sqlite_index_segments
from recordsdesk.services.lookup.search import search
from recordsdesk.services.upkeep.optimize import optimize_database
from tests.factories import make_student

NAMES = ("Aroha Ngata", "José García", "Mei Chen", "Ann O'Neil", "Liam Berg", "Zoë Müller")


def add_students_one_save_at_a_time(engine: Engine, count: int = 12) -> None:
    """One transaction per student, as desks save them: on SQLite each adds an index segment."""
    for n in range(count):
        first, last = NAMES[n % len(NAMES)].split(" ")
        with Session(engine) as session:
            make_student(session, legal_first_name=first, legal_last_name=last)
            session.commit()


def segments(engine: Engine) -> int:
    with closing(sqlite3.connect(make_url(str(engine.url)).database or "")) as connection:
        return sqlite_index_segments(connection)


def found(engine: Engine, actor: Actor, query: str) -> list[str]:
    with Session(engine) as session:
        result = search(session, actor=actor, query=query, limit=50)
    return sorted(row.student_number for row in result.rows)


@pytest.mark.db
def test_optimize_merges_the_index_and_refreshes_statistics(engine: Engine, system: Actor) -> None:
    add_students_one_save_at_a_time(engine)
    before = {q: found(engine, system, q) for q in ("garcia", "o'neil", "mei chen", "berg")}
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        assert segments(engine) > 1

    report = optimize_database(engine, analyze=True)

    assert [s.name for s in report.steps][:3] == ["term totals", "name index", "statistics"]
    assert {q: found(engine, system, q) for q in before} == before
    assert all(before.values())
    with engine.connect() as connection:
        if sqlite:
            assert segments(engine) == 1
            assert connection.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar_one() > 0
            assert report.steps[3].detail.startswith("skipped")  # a new file has no free pages
        else:
            valid = connection.execute(
                text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:n)"),
                {"n": NAME_SEARCH_INDEX},
            ).scalar_one()
            assert valid is True
            analyzed = connection.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = 'student'")
            ).scalar_one()
            assert analyzed >= 0  # -1 until the table is first analyzed
            assert "rebuilt" in report.steps[1].detail


def test_sqlite_statistics_are_made_only_when_asked_for(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps statistics anyway (autovacuum analyzes)")

    def has_statistics() -> bool:
        with engine.connect() as connection:
            found = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            return bool(connection.execute(text(found)).scalar_one())

    for cheap in (True, False):  # neither the desk's run nor the command makes them unasked
        report = optimize_database(engine, cheap=cheap)
        assert report.steps[2].detail.startswith("skipped: this database has none")
        assert not has_statistics()
    assert optimize_database(engine, cheap=True, analyze=True).steps[2].detail.startswith("skipped")
    assert "ANALYZE" in optimize_database(engine, analyze=True).steps[2].detail
    assert has_statistics()
    # Once the office has them, both runs keep them fresh.
    assert "ANALYZE" in optimize_database(engine).steps[2].detail
    assert "PRAGMA optimize" in optimize_database(engine, cheap=True).steps[2].detail


@pytest.mark.db
def test_the_cheap_part_merges_in_short_steps_and_skips_vacuum(
    engine: Engine, system: Actor
) -> None:
    add_students_one_save_at_a_time(engine)
    before = found(engine, system, "ngata")

    report = optimize_database(engine, cheap=True)

    assert [s.name for s in report.steps] == ["term totals", "name index", "statistics"]
    assert found(engine, system, "ngata") == before and before
    if engine.dialect.name == "sqlite":
        assert segments(engine) == 1
        assert "steps" in report.steps[1].detail
    else:
        assert "pending list" in report.steps[1].detail


def test_vacuum_gives_free_space_back_only_when_worth_it(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("VACUUM is SQLite's: PostgreSQL's autovacuum keeps its tables")
    path = make_url(str(engine.url)).database or ""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE scratch (b BLOB)")
        connection.executemany(
            "INSERT INTO scratch VALUES (?)", [(bytes(4000),) for _ in range(2000)]
        )
        connection.commit()
        connection.execute("DROP TABLE scratch")
        connection.commit()
        assert connection.execute("PRAGMA freelist_count").fetchone()[0] > 1000

    report = optimize_database(engine)

    assert "given back" in report.steps[-1].detail
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert optimize_database(engine).steps[-1].detail.startswith("skipped")
    assert "given back" in optimize_database(engine, vacuum=True).steps[-1].detail


@pytest.mark.db
def test_the_command_prints_each_step_and_needs_the_backup_role(
    database_url: str,
    cli_login: Callable[..., Actor],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_login("clerk-opt", role="clerk")
    assert main(["db", "optimize", "--database", database_url]) == 2
    assert "optimized" not in capsys.readouterr().out

    cli_login()
    assert main(["db", "optimize", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert "optimized" in out and "name index:" in out and "statistics:" in out
    assert main(["db", "optimize", "--cheap", "--database", database_url]) == 0
    assert "free space" not in capsys.readouterr().out


@pytest.mark.db
def test_the_desk_runs_the_cheap_part_at_most_daily(engine: Engine) -> None:
    from datetime import UTC, datetime, timedelta

    from recordsdesk.services.upkeep.optimize import auto_optimize, stamp_file

    add_students_one_save_at_a_time(engine, 6)
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    first = auto_optimize(engine, now=monday)
    assert first is not None and [s.name for s in first.steps] == [
        "term totals",
        "name index",
        "statistics",
    ]
    assert auto_optimize(engine, now=monday + timedelta(hours=23)) is None
    assert auto_optimize(engine, now=monday + timedelta(hours=25)) is not None
    stamp = stamp_file(engine)
    assert stamp.stat().st_mode & 0o777 == 0o600
    assert stamp.parent.stat().st_mode & 0o777 == 0o700
    assert str(engine.url.database) not in stamp.read_text()  # the address is not written out
    if engine.dialect.name == "sqlite":
        assert segments(engine) == 1


@pytest.mark.db
def test_opening_the_desk_optimizes_in_the_background(engine: Engine) -> None:
    from recordsdesk.cli import start_auto_backup
    from recordsdesk.services.upkeep.optimize import stamp_file

    assert not stamp_file(engine).exists()
    start_auto_backup(engine).join(timeout=60)
    assert stamp_file(engine).exists()

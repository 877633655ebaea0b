"""The demo builder loads students with the lookup index's triggers suspended and rebuilds the
index in one pass (services.lookup.index): the result must be what the triggers would have
written row by row, found by the lookup, with the triggers back in place afterwards."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection, Engine, text

from recordsdesk.db import open_database, session_scope
from recordsdesk.models import StaffRole
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.demo import build_demo_database, pipeline
from recordsdesk.services.lookup.index import (
    NAME_COLUMNS,
    POSTGRES_TRIGGERS,
    SQLITE_FTS_TABLE,
    SQLITE_TRIGGERS,
)
from recordsdesk.services.lookup.search import forget_vocabularies, search

READER = Actor(id=1, username="reader", role=StaffRole.CLERK)


def _build(url: str, students: int) -> Engine:
    build_demo_database(
        url, students=students, seed=31, rebuild=False, progress=lambda _: None,
        today=date(2026, 11, 25),
    )  # fmt: skip
    return open_database(url)


def _student_triggers(connection: Connection) -> set[str]:
    """The lookup index's triggers on student (the term totals' own are another matter)."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'student'"
    else:
        query = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'student'::regclass "
            "AND NOT tgisinternal AND tgenabled <> 'D'"
        )
    found = {row[0] for row in connection.execute(text(query))}
    return {name for name in found if not name.startswith("term_totals_")}


def _terms(connection: Connection) -> set[str]:
    return set(connection.execute(text("SELECT value FROM name_term")).scalars())


def _fts_instances(connection: Connection) -> list[tuple[object, ...]]:
    """Every (term, student, column, offset) the full-text index holds."""
    connection.execute(
        text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_instances "
            f"USING fts5vocab(main, {SQLITE_FTS_TABLE}, 'instance')"
        )
    )
    rows = connection.execute(text("SELECT * FROM temp.fts_instances ORDER BY 1, 2, 3, 4")).all()
    return [tuple(row) for row in rows]


def test_the_constants_name_what_the_migration_makes(engine: Engine) -> None:
    """services.lookup.index must name every trigger migration 0002 puts on `student`, or the
    demo builder would load with one still firing per row."""
    expected = SQLITE_TRIGGERS if engine.dialect.name == "sqlite" else POSTGRES_TRIGGERS
    with engine.connect() as connection:
        assert _student_triggers(connection) == set(expected)


@pytest.mark.parametrize("writer", ["default", "process"])
def test_demo_build_indexes_as_the_triggers_would(
    writer: str, empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if writer == "process":
        if not empty_database_url.startswith("sqlite"):
            pytest.skip("the writer process is SQLite's")
        monkeypatch.setattr(pipeline, "PROCESS_MIN_STUDENTS", 1)
    forget_vocabularies()
    engine = _build(empty_database_url, students=250)
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.begin() as connection:
            assert _student_triggers(connection) == set(
                SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS
            ), "the triggers are back after the load"
            students = connection.execute(text("SELECT COUNT(*) FROM student")).scalar_one()
            assert students == 250
            terms = _terms(connection)
            expected_terms = {
                value
                for name in NAME_COLUMNS
                for value in connection.execute(text(f"SELECT {name} FROM student")).scalars()
                if value
            }
            assert terms == expected_terms
            if sqlite:
                # The index matches its content table, row for row (rank 1: check the content).
                connection.execute(
                    text(
                        f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rank) "
                        "VALUES ('integrity-check', 1)"
                    )
                )
                rebuilt = _fts_instances(connection)
                assert len({row[1] for row in rebuilt}) == 250
            # Now write every row again through the triggers, from an empty dictionary: they
            # must produce exactly what the one-pass rebuild did.
            connection.execute(text("DELETE FROM name_term"))
            connection.execute(text("UPDATE student SET legal_first_name = legal_first_name"))
            assert _terms(connection) == terms
            if sqlite:
                assert _fts_instances(connection) == rebuilt
            # A sample student, found by a name search through the lookup service.
            number, first, last = connection.execute(
                text(
                    "SELECT student_number, legal_first_name, legal_last_name FROM student "
                    "ORDER BY id LIMIT 1 OFFSET 123"
                )
            ).one()
        with session_scope(engine) as session:
            found = search(session, actor=READER, query=f"{first} {last}").rows
        assert number in [row.student_number for row in found]
    finally:
        engine.dispose()
        forget_vocabularies()


def test_suspend_turns_the_triggers_off_until_the_rebuild(engine: Engine) -> None:
    from recordsdesk.services.lookup.index import rebuild_index, suspend_index

    proxy = engine.raw_connection()
    try:
        suspended = suspend_index(proxy.driver_connection)
        proxy.commit()
        with engine.connect() as connection:
            assert _student_triggers(connection) == set()
        rebuild_index(proxy.driver_connection, suspended)
        proxy.commit()
    finally:
        proxy.close()
    expected = SQLITE_TRIGGERS if engine.dialect.name == "sqlite" else POSTGRES_TRIGGERS
    with engine.connect() as connection:
        assert _student_triggers(connection) == set(expected)


def test_postgres_name_index_rebuilds_with_an_empty_search_path(engine: Engine) -> None:
    """pg_restore rebuilds indexes with search_path emptied: rd_name_search must reach rd_fold
    by its qualified name (migration 0002)."""
    if engine.dialect.name == "sqlite":
        pytest.skip("PostgreSQL's expression index")
    with engine.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text("SET LOCAL search_path = ''"))
        connection.execute(text(f'REINDEX INDEX "{schema}".ix_student_name_search'))
        folded = connection.execute(
            text(f"SELECT \"{schema}\".rd_name_search('Zoë', '', 'Ñúñez', '', '')")
        ).scalar_one()
    assert folded.startswith(" zoe nunez ")

"""The lookup index of migration 0002: filled when an old database upgrades, kept by triggers
(so raw SQL writers such as the demo builder and imports are indexed too), removed on downgrade."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, text

from recordsdesk.db import make_engine, migration_config, open_database, session_scope, upgrade
from recordsdesk.models import StaffRole
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.lookup.search import forget_vocabularies, search

pytestmark = pytest.mark.db
READER = Actor(id=1, username="reader", role=StaffRole.CLERK)


@pytest.fixture
def old_engine(empty_database_url: str) -> Iterator[Engine]:
    """A database at revision 0001 holding two students, written with plain SQL."""
    engine = make_engine(empty_database_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        for number, first, last in (("1", "Zoë", "O'Brien-Nakamura"), ("2", "John", "Smith")):
            connection.execute(
                text(
                    "INSERT INTO student (student_number, legal_first_name, legal_middle_name, "
                    "legal_last_name, preferred_name, former_names, email, phone, address_line1, "
                    "address_line2, city, region, postal_code, country, guardian_name, "
                    "guardian_relationship, guardian_phone, guardian_email, grade_level, status, "
                    "departure_reason, degree_conferred, honours, confidential, created_at, "
                    "updated_at, version) VALUES (:n, :f, '', :l, '', '', '', '', '', '', '', '', "
                    "'', '', '', '', '', '', '', 'active', '', '', '', false, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                ),
                {"n": number, "f": first, "l": last},
            )
    yield engine
    engine.dispose()


def _numbers(engine: Engine, query: str) -> list[str]:
    with session_scope(engine) as session:
        return [r.student_number for r in search(session, actor=READER, query=query).rows]


def test_upgrade_indexes_the_students_already_there(old_engine: Engine) -> None:
    forget_vocabularies()
    url = old_engine.url.render_as_string(hide_password=False)
    engine = open_database(url)
    try:
        assert _numbers(engine, "zoe nakam") == ["1"]
        assert _numbers(engine, "obrien") == ["1"]  # the apostrophe folds (0004)
        assert _numbers(engine, "brien") == ["1"]
        assert _numbers(engine, "smyth") == ["2"]  # the dictionary was filled too
        # Raw SQL writes after the upgrade are indexed by the triggers.
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE student SET legal_last_name = 'Ñúñez' WHERE student_number = '2'")
            )
        assert _numbers(engine, "nunez") == ["2"]
        assert _numbers(engine, "smith") == []
    finally:
        engine.dispose()
        forget_vocabularies()


def test_downgrade_removes_the_index(old_engine: Engine) -> None:
    upgrade(old_engine)
    command.downgrade(migration_config(old_engine), "0001")
    with old_engine.connect() as connection:
        if old_engine.dialect.name == "sqlite":
            leftovers = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE name LIKE 'student_name_fts%' "
                    "OR name = 'name_term' OR name = 'ix_student_email_folded'"
                )
            ).all()
        else:
            leftovers = connection.execute(
                text("SELECT proname FROM pg_proc WHERE proname LIKE 'rd\\_%'")
            ).all()
        assert leftovers == []
    upgrade(old_engine)
    assert _numbers(old_engine, "zoe") == ["1"]


def test_triggers_exist_at_head(engine: Engine) -> None:
    """A later batch migration that rebuilds the student table on SQLite drops its triggers;
    this fails until it recreates them."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'student'"
            expected = {"student_name_fts_ai", "student_name_fts_ad", "student_name_fts_au"}
        else:
            query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'student'::regclass"
            expected = {"student_name_term"}
        assert expected <= {row[0] for row in connection.execute(text(query))}


def test_a_rebuilt_sqlite_index_is_one_segment(engine: Engine) -> None:
    """Written by triggers one transaction at a time the index has a segment per transaction;
    the bulk rebuild leaves one (each search term read once), and still finds everyone."""
    if engine.dialect.name != "sqlite":
        pytest.skip("FTS5 segments are SQLite's")
    from recordsdesk.services.lookup.index import (
        rebuild_index,
        sqlite_index_segments,
        suspend_index,
    )
    from tests.factories import make_student

    for n in range(3):
        with session_scope(engine) as session:
            make_student(session, student_number=f"90{n}", legal_last_name=f"Segmentson{n}")

    def segments() -> int:
        proxy = engine.raw_connection()
        try:
            return sqlite_index_segments(proxy.driver_connection)
        finally:
            proxy.close()

    assert segments() == 3
    proxy = engine.raw_connection()
    try:
        rebuild_index(proxy.driver_connection, suspend_index(proxy.driver_connection))
        proxy.commit()
    finally:
        proxy.close()
    assert segments() == 1
    assert sorted(_numbers(engine, "segmentson")) == ["900", "901", "902"]

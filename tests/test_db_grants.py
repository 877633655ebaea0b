"""`recordsdesk db grants`: a desk's PostgreSQL role can work the desk but not rewrite history
or the schema (run for real on PostgreSQL; SQLite has no roles and says so)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from recordsdesk.cli import main
from recordsdesk.db import is_sqlite, open_database, session_scope
from recordsdesk.services.access import accounts as auth
from recordsdesk.services.access.passwords import hash_password
from tests.factories import make_staff, make_student

ROLE = f"rd_desk_{os.getpid()}"


def test_sqlite_has_no_roles_and_says_what_protects_it(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "grants", "--database", "sqlite:///office.db"]) == 2
    err = capsys.readouterr().err
    assert "0600" in err and "docs/security.md" in err and err.count("\n") == 1


@pytest.fixture
def desk_url(database_url: str, capsys: pytest.CaptureFixture[str]) -> Iterator[str]:
    """The test database with a desk role holding exactly the printed grants."""
    if is_sqlite(database_url):
        pytest.skip("PostgreSQL roles (RECORDSDESK_TEST_BACKEND=postgresql)")
    assert main(["db", "grants", "--role", ROLE, "--database", database_url]) == 0
    script = capsys.readouterr().out
    owner = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.exec_driver_sql(f"DROP ROLE IF EXISTS {ROLE}")
        connection.exec_driver_sql(f"CREATE ROLE {ROLE} LOGIN PASSWORD 'desk-secret'")
        connection.exec_driver_sql(script)
    url = make_url(database_url).set(username=ROLE, password="desk-secret")
    yield url.render_as_string(hide_password=False)
    with owner.connect() as connection:
        connection.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
        connection.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
        connection.exec_driver_sql(f"DROP OWNED BY {ROLE}")
    owner.dispose()
    # The role itself is dropped after the test database is (it holds a CONNECT grant).


@pytest.fixture(scope="module", autouse=True)
def drop_role() -> Iterator[None]:
    yield
    url = os.environ.get("RECORDSDESK_TEST_POSTGRES_URL", "")
    if url and os.environ.get("RECORDSDESK_TEST_BACKEND") == "postgresql":
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {ROLE}")
        admin.dispose()


def test_the_desk_role_works_the_desk_but_cannot_rewrite_history(
    database_url: str, desk_url: str
) -> None:
    owner = open_database(database_url, migrate=False)
    with session_scope(owner) as session:
        make_staff(session, username="clerk", password_hash=hash_password("clerk passphrase"))
    owner.dispose()
    desk = open_database(desk_url)  # an up-to-date schema opens without the owner's rights
    try:
        actor = auth.sign_in(desk, "clerk", "clerk passphrase")  # writes staff_user and audit
        with session_scope(desk) as session:
            make_student(session, legal_last_name="Granted")
        assert actor.username == "clerk"
        forbidden = [
            "DELETE FROM audit_event",
            "UPDATE audit_event SET actor_username = 'someone else'",
            "DELETE FROM disclosure",
            "UPDATE disclosure SET recipient = 'nobody'",
            "TRUNCATE student CASCADE",
            "DROP TABLE audit_event",
            "UPDATE alembic_version SET version_num = 'x'",
            "CREATE TABLE mine (id int)",
        ]
        for statement in forbidden:
            with desk.connect() as connection, pytest.raises(ProgrammingError):
                connection.execute(text(statement))
    finally:
        desk.dispose()


@pytest.mark.parametrize("temporary", [True, False], ids=["granted", "revoked"])
def test_the_desk_role_imports_history(database_url: str, desk_url: str, temporary: bool) -> None:
    """A large import stages its rows in temporary tables, which the grants allow; a role
    without the right imports all the same (by COPY once it holds the lock)."""
    from recordsdesk.services.access.actor import system_actor
    from recordsdesk.services.interchange.imports.runner import run_import
    from tests.import_helpers import DATA

    if not temporary:
        owner = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with owner.connect() as connection:
            name = connection.exec_driver_sql("SELECT current_database()").scalar()
            connection.exec_driver_sql(f'REVOKE TEMPORARY ON DATABASE "{name}" FROM {ROLE}')
        owner.dispose()
    desk = open_database(desk_url)
    try:
        with session_scope(desk) as session:
            actor = system_actor(session)
            can = session.execute(
                text("SELECT has_database_privilege(current_database(), 'TEMPORARY')")
            ).scalar()
        assert can is temporary
        report = run_import(desk, actor=actor, kind="history", path=DATA / "history_good.csv")
        assert report.count("enrollment").new == 4
    finally:
        desk.dispose()

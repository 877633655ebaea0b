"""Shared fixtures: an isolated data directory for every test and a fresh database per test.

Database tests ask for `database_url` or `engine`. They run on SQLite by default; with
`RECORDSDESK_TEST_BACKEND=postgresql` and `RECORDSDESK_TEST_POSTGRES_URL` set (as `.ci/run` does)
the same tests run on PostgreSQL, each in a database cloned from a migrated template.
Tests using these fixtures are marked `db` automatically, so `pytest -m db` selects them.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from recordsdesk.commands.signin import TOKEN_ENV
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import StaffRole, StaffUser
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.access.passwords import ScryptCost, hash_password, set_cost
from recordsdesk.services.access.tokens import create_token

BACKEND = os.environ.get("RECORDSDESK_TEST_BACKEND", "sqlite")
POSTGRES_URL = os.environ.get("RECORDSDESK_TEST_POSTGRES_URL", "")
TEMPLATE_DB = f"recordsdesk_template_{os.getpid()}"  # concurrent runs must not share it
_database_numbers = itertools.count(1)


DATABASE_FIXTURES = {"database_url", "empty_database_url", "engine"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


TEST_SCRYPT_COST = ScryptCost(n=2**10, r=8, p=1)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Hash at a cheap scrypt cost: the suite creates hundreds of accounts and the production
    cost (~0.2 s and 128 MiB a hash) would dominate it. tests/test_passwords.py checks the
    production cost and the re-hash of weaker hashes."""
    previous = set_cost(TEST_SCRYPT_COST)
    yield
    set_cost(previous)


@pytest.fixture(scope="session", autouse=True)
def suite_audit_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One audit key for the whole run, as one office has one (never the user's): databases
    shared between tests (a module's demo, say) are keyed by whichever test wrote first.
    Session-wide, so it is in place before any module's fixtures write."""
    key = tmp_path_factory.mktemp("audit-key") / "audit.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECORDSDESK_AUDIT_KEY_FILE", str(key))
        yield key


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the real user data directory or an inherited database setting."""
    data = tmp_path / "recordsdesk-data"
    monkeypatch.setenv("RECORDSDESK_DATA_DIR", str(data))
    monkeypatch.delenv("RECORDSDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    return data


def _admin_engine() -> Engine:
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated, seeded database that each test's database is cloned from (fast)."""
    if not POSTGRES_URL:
        pytest.fail("RECORDSDESK_TEST_BACKEND=postgresql needs RECORDSDESK_TEST_POSTGRES_URL")
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}"))
        connection.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    template_url = make_url(POSTGRES_URL).set(database=TEMPLATE_DB)
    open_database(template_url.render_as_string(hide_password=False)).dispose()
    yield TEMPLATE_DB
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}"))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file that each test's database is copied from.

    Migrating and seeding a new file costs ~0.7 s; a copy costs a millisecond, and over the
    suite's few hundred database tests that is most of the SQLite run. The copy is the same
    database `open_database` leaves behind (it is made by it), so tests see what a new desk sees.
    """
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECORDSDESK_DATA_DIR", str(folder / "data"))
        patch.delenv("RECORDSDESK_DATABASE_URL", raising=False)
        open_database(f"sqlite:///{path}").dispose()
    # One self-contained file: fold any write-ahead log in before it is copied.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return path


def new_postgres_database(template: str | None) -> tuple[str, str]:
    """Create an empty (or template-cloned) PostgreSQL database; return (name, url)."""
    name = f"rd_test_{os.getpid()}_{next(_database_numbers)}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        clause = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f"CREATE DATABASE {name}{clause}"))
    admin.dispose()
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    return name, url


def demo_engine_for(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    folder: str,
    students: int,
    seed: int,
    today: date,
) -> Iterator[Engine]:
    """A small demo on the backend under test, for a module fixture to `yield from`: built
    once, disposed (and its PostgreSQL database dropped) when the module is done."""
    from recordsdesk.services.demo import build_demo_database

    place = tmp_path_factory.mktemp(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECORDSDESK_DATA_DIR", str(place / "data"))
        name = ""
        if BACKEND == "postgresql":
            name, url = new_postgres_database(request.getfixturevalue("postgres_template"))
        else:
            url = f"sqlite:///{place / 'demo.db'}"
        build_demo_database(
            url, students=students, seed=seed, rebuild=False, progress=lambda _: None, today=today
        )
        engine = open_database(url)
        yield engine
        engine.dispose()
        if name:
            drop_postgres_database(name)


def drop_postgres_database(name: str) -> None:
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it yet (not migrated), on the backend under test."""
    if BACKEND == "postgresql":
        name, url = new_postgres_database(None)
        yield url
        drop_postgres_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database on the backend under test."""
    if BACKEND == "postgresql":
        template = request.getfixturevalue("postgres_template")
        name, url = new_postgres_database(template)
        yield url
        drop_postgres_database(name)
    else:
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "records.db"
        shutil.copy(template, target)  # keeps the 0600 mode the desk gives its files
        yield f"sqlite:///{target}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    # database_url is a copy (SQLite) or clone (PostgreSQL) of a migrated, seeded template:
    # checking the migrations again would cost ~0.1 s a test for nothing.
    engine = open_database(database_url, migrate=False)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as session:
        yield session


@pytest.fixture
def system(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        return system_actor(session)


CLI_ADMIN = "cli.admin"
CLI_PASSWORD = "command line passphrase"


@pytest.fixture
def cli_login(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Actor]:
    """Sign the command line in as `username` for the rest of the test: the account is made
    (with `role`) when missing, and a fresh API token for it goes into $RECORDSDESK_TOKEN, as
    an unattended job would do. Call it again to act as someone else."""

    def login(username: str = CLI_ADMIN, role: str = "admin") -> Actor:
        engine = open_database(database_url, migrate=False)
        try:
            with session_scope(engine) as session:
                user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
                if user is None:
                    user = StaffUser(username=username, full_name="Command Line", role=role)
                if not user.password_hash:  # an account that can sign in, as in an office
                    user.password_hash = hash_password(CLI_PASSWORD)
                session.add(user)
                session.flush()
                assert user.id is not None
                actor = Actor(user.id, user.username, StaffRole(user.role), user.full_name)
                _info, secret = create_token(session, actor=actor, name="tests")
        finally:
            engine.dispose()
        monkeypatch.setenv(TOKEN_ENV, secret)
        return actor

    return login


@pytest.fixture
def cli_admin(cli_login: Callable[..., Actor]) -> Actor:
    """The command line signed in as an administrator (see `cli_login`)."""
    return cli_login()

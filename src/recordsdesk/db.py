"""Engine and session factory, SQLite durability pragmas, migrations at start.

One engine per process, made by `open_database` and handed to whoever needs it (never created at
import time). Every database the desk opens is brought to the newest schema first, so an old
database upgrades in place and is never dropped.

Importing this module costs nothing: SQLAlchemy, SQLModel and Alembic are imported where they
are used, so a command that only prints its help never loads them, and Alembic loads only when
the schema is behind (a current one is recognised by reading `alembic_version` against
HEAD_REVISION; tests/test_migrations.py checks the constant names the newest migration).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine
    from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: How long a desk waits for another desk's write before giving up (SQLite's busy timeout,
#: PostgreSQL's lock_timeout): long enough for any single save or an import's short write phase.
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_LOCK_TIMEOUT_MS = 10_000
#: What the person at the desk reads when that wait ran out; the action was not done.
DESK_BUSY = "Another desk is writing; try again in a moment."
#: PostgreSQL SQLSTATEs of a wait for another session cut short: lock_timeout, a deadlock
#: victim, a statement cancelled (a restore turns waiting desks away so).
_PG_WAIT_CUT_SHORT = frozenset({"55P03", "40P01", "57014"})
#: The newest migration's revision: a database stamped with it needs no upgrade.
HEAD_REVISION = "0020"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class DatabaseUnavailable(Exception):
    """The database cannot be opened; the message is written for the person at the desk."""


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Durability first: a saved grade must survive a power cut (synchronous=FULL, WAL)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    # 32 MiB of page cache (SQLite's default is 2 MiB): on a million-student file a 300-row
    # roster alone touches hundreds of pages, and the default cache thrashed.
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


def _prepare_sqlite_file(url: str) -> None:
    """Create the folder and an owner-only (0600) file before SQLite creates it world-readable."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def make_engine(url: str) -> Engine:
    """An engine for `url` with the desk's connection settings; does not connect yet. Only
    SQLite and PostgreSQL are supported: any other URL is refused before a driver is loaded."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from recordsdesk.services.shared import clean_flush

    clean_flush.install()
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUnavailable(
            f"The database address {safe_url(url)!r} is not valid: {exc}"
        ) from exc
    if backend not in SUPPORTED_BACKENDS:
        raise DatabaseUnavailable(
            f"The database address {safe_url(url)!r} is a {backend} database; recordsdesk "
            "works with SQLite (sqlite:///path.db) and PostgreSQL (postgresql://user@host/db)."
        )
    try:
        if is_sqlite(url):
            _prepare_sqlite_file(url)
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=5,
                # Without a limit a desk waits forever behind another desk's long write.
                connect_args={"options": f"-c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}"},
            )
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise DatabaseUnavailable(
            f"The database address {safe_url(url)!r} is not valid: {exc}"
        ) from exc
    except OSError as exc:
        raise DatabaseUnavailable(f"Cannot create the database file for {url}: {exc}") from exc
    return engine


def is_lock_timeout(error: BaseException) -> bool:
    """Whether `error` (or what it wraps) is a wait for another desk's write lock that ran out
    or was cut short: SQLite's "database is locked" after the busy timeout; on PostgreSQL a
    lock timeout, a deadlock victim or a cancelled statement. Each time the transaction was
    rolled back whole, so trying again is safe."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) in _PG_WAIT_CUT_SHORT:
            return True
        if type(current).__name__ == "OperationalError":
            message = str(current).lower()
            if "database is locked" in message or "database table is locked" in message:
                return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def migration_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The head as Alembic reads it from the migrations folder (HEAD_REVISION is its copy)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_bare_config()).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def _bare_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; a database with tables but no Alembic stamp is refused
    rather than guessed at."""
    from alembic import command
    from sqlalchemy import inspect

    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    if tables and "alembic_version" not in tables:
        raise DatabaseUnavailable(
            "This database has tables but no recordsdesk schema version; it was not made by "
            "recordsdesk and will not be changed."
        )
    from alembic.util import CommandError

    try:
        command.upgrade(migration_config(engine), revision)
    except CommandError as exc:
        # Typically a database stamped by a newer recordsdesk: nothing was changed.
        found = current_revision(engine)
        raise DatabaseUnavailable(
            f"This database is at schema version {found!r}, which this recordsdesk does not "
            f"know (its newest is {HEAD_REVISION!r}): it was probably made by a newer "
            "recordsdesk. Nothing was changed; use that version, or restore a backup."
        ) from exc


def open_database(url: str, *, migrate: bool = True) -> Engine:
    """Open `url`, check it answers, upgrade it to the newest schema and seed reference data.

    Raises DatabaseUnavailable with a plain message for anything the user can act on.
    """
    from sqlalchemy.exc import DatabaseError as SADatabaseError
    from sqlalchemy.exc import OperationalError

    engine = make_engine(url)
    try:
        current = _stamped_with_head(engine)
        if migrate and not current:
            upgrade(engine)
        if migrate:
            from recordsdesk.services.institution.reference import ensure_reference_data

            with session_scope(engine) as session:
                ensure_reference_data(session)
    except DatabaseUnavailable:
        engine.dispose()
        raise
    except (OperationalError, SADatabaseError) as exc:
        engine.dispose()
        reason = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
        raise DatabaseUnavailable(
            f"Cannot open the database at {safe_url(url)}: {reason.strip().splitlines()[0]}"
        ) from exc
    return engine


def _stamped_with_head(engine: Engine) -> bool:
    """Whether the database answers and is stamped with HEAD_REVISION: one cheap read in place
    of Alembic's machinery (a database without the stamp table is simply not current). A
    database that does not answer raises SQLAlchemy's error, as connecting would."""
    from sqlalchemy.exc import DBAPIError

    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        try:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except DBAPIError:
            connection.rollback()
            return False
    return [row[0] for row in rows] == [HEAD_REVISION]


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # unparsable, but may still carry a password
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A short session that commits on success and rolls back on any error."""
    from sqlmodel import Session

    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

"""The counter lookup for one thread that searches on every keystroke: one long-lived read
connection instead of a session per query.

A session per keystroke costs a pool checkout, a BEGIN and a COMMIT around statements that take
a fraction of a millisecond on SQLite; the lookup screen's database thread keeps one reader for
the screen's life instead. Each search still ends its read transaction (PostgreSQL would
otherwise hold one snapshot open between keystrokes), so every search sees what was committed
before it started. Results are exactly those of `lookup.search` (the same code runs).

A reader belongs to the thread that uses it: the connection is not shared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.lookup.search import (
    COUNT_CAP,
    DEFAULT_LIMIT,
    Db,
    LookupResult,
    count_matches,
    find,
    stoppable,
)

T = TypeVar("T")


class LookupReader:
    """`search` and `count` on a connection kept open between calls (see the module doc)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None
        self._db: Db | None = None

    def _open(self) -> Db:
        if self._db is None:
            dialect = self.engine.dialect
            # A pooled connection, checked out for the reader's life: the engine's connect
            # settings (SQLite pragmas) apply, and close() hands it back. A failure to connect
            # leaves as SQLAlchemy's error, as it would from a session.
            try:
                self._connection = self.engine.raw_connection()
            except dialect.loaded_dbapi.Error as error:
                raise DBAPIError.instance(
                    None, None, error, dialect.loaded_dbapi.Error, dialect=dialect
                ) from error
            self._db = Db(
                self._connection.driver_connection,
                dialect.name,
                self.engine.url.render_as_string(hide_password=True),
                dialect.loaded_dbapi.Error,
            )
        return self._db

    def search(
        self,
        *,
        actor: Actor,
        query: str,
        limit: int = DEFAULT_LIMIT,
        should_stop: Callable[[], bool] | None = None,
        count_cap: int = COUNT_CAP,
    ) -> LookupResult:
        """As `lookup.search`: the same rows, total and flags for the same database."""
        authorize(actor, Action.STUDENT_READ)
        return self._run(lambda db: find(db, query, limit, count_cap), should_stop)

    def count(
        self,
        *,
        actor: Actor,
        query: str,
        rank: int,
        cap: int = COUNT_CAP,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Finish a capped count: how many students `query` matches at `rank` (the result's
        count_rank), up to `cap`."""
        authorize(actor, Action.STUDENT_READ)
        return self._run(lambda db: count_matches(db, query, rank, cap), should_stop)

    def _run(self, work: Callable[[Db], T], should_stop: Callable[[], bool] | None) -> T:
        db = self._open()
        try:
            with stoppable(db, should_stop):
                return work(db)
        except DBAPIError:
            self.close()  # a broken connection is not reused: the next search reopens
            raise
        finally:
            if self._db is not None:
                self._db.driver.rollback()  # end the read transaction (a no-op on SQLite)

    def close(self) -> None:
        connection, self._connection, self._db = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - the connection is already unusable; drop it
                connection.invalidate()

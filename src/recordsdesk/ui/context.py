"""What every screen needs to reach the records: the engine, the acting staff member and the
institution's names, resolved once when the desk opens.

The sign-in screen is drawn before the database layer is loaded, so this module imports
SQLAlchemy, SQLModel and the services that read the records where they are used.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from recordsdesk.db import DatabaseUnavailable, safe_url, session_scope
from recordsdesk.services.access.acting import Actor
from recordsdesk.services.shared.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from recordsdesk.services.catalog.view import InstitutionSummary

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class DeskContext:
    engine: Engine
    actor: Actor
    institution: InstitutionSummary

    def call(self, service: Callable[..., ResultT], **arguments: Any) -> ResultT:
        """Run one service call as the acting staff member in its own short session.

        Called from thread workers only: it blocks on the database.
        """
        with session_scope(self.engine) as session:
            return service(session, actor=self.actor, **arguments)


class DeskHost(Protocol):
    """The app as screens see it (a protocol, so screens need not import the app module)."""

    desk: DeskContext


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers and services
        return None


def resolve_actor(session: Session, username: str | None) -> Actor:
    """The named staff account; without a name, the OS login name's account if there is one,
    else the built-in `system` account. An unknown explicit name raises NotFound."""
    from recordsdesk.services.access.actor import actor_for, system_actor

    if username is not None:
        return actor_for(session, username)
    login = _login_name()
    if login:
        try:
            return actor_for(session, login)
        except NotFound:
            pass
    return system_actor(session)


def open_desk_context(engine: Engine, username: str | None) -> DeskContext:
    """Resolve who is acting and the institution's names before the first screen shows.

    Raises NotFound / PermissionDenied (plain messages) for a bad username and
    DatabaseUnavailable when the database does not answer.
    """
    from sqlalchemy.exc import DBAPIError

    from recordsdesk.services.catalog.view import institution_summary

    try:
        with session_scope(engine) as session:
            actor = resolve_actor(session, username)
            institution = institution_summary(session)
    except DBAPIError as exc:
        raise DatabaseUnavailable(
            f"Cannot read the database at {safe_url(str(engine.url))}: {first_line(exc)}"
        ) from exc
    return DeskContext(engine=engine, actor=actor, institution=institution)


def first_line(exc: BaseException) -> str:
    """The driver's own words for a database error, without SQLAlchemy's SQL and links."""
    reason = getattr(exc, "orig", None) or exc
    lines = str(reason).strip().splitlines()
    return lines[0] if lines else type(exc).__name__

"""Turn any exception a worker raised into one plain sentence for the person at the desk."""

from __future__ import annotations

from recordsdesk.db import DESK_BUSY, DatabaseUnavailable, is_lock_timeout
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.errors import RecordsError
from recordsdesk.ui.context import first_line


def describe_error(error: BaseException) -> str:
    """A message without a traceback: the service's own words for refusals, a plain account
    of what happened for anything else (a wait for another desk's write that ran out is not
    a fault: the action was simply not done). Messages may quote stored values: any control
    character in them is shown, never sent to the terminal."""
    if is_lock_timeout(error):
        return DESK_BUSY
    return printable(_describe(error))


def _describe(error: BaseException) -> str:
    if isinstance(error, RecordsError | DatabaseUnavailable):
        return str(error)
    # Here, not at the top: the sign-in screen imports this before SQLAlchemy is loaded.
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

    if isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        return (
            "The database cannot be reached right now "
            f"({first_line(error)}). Nothing was changed; try again when it is back."
        )
    if isinstance(error, SQLAlchemyError):
        return f"The database refused the request: {first_line(error)}"
    detail = str(error).strip().splitlines()
    suffix = f": {detail[0]}" if detail else ""
    return f"Something went wrong ({type(error).__name__}{suffix})."

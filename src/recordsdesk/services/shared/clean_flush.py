"""The last gate against control characters: a before-flush hook on every ORM session.

Kept apart from `clean_text` (pure text rules, imported by light modules such as the command
line's) because it needs SQLAlchemy; `db.make_engine` installs it before any session exists.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from recordsdesk.services.shared.clean_text import MULTI_LINE_FIELDS, refuse_control_characters

#: The audit log's JSON documents of values before and after a change: correcting a bad value
#: an old version stored must be able to record that value as it was.
RECORDED_AS_IS = frozenset({"before", "after"})


def refuse_on_flush(session: Session, _context: object, _instances: object) -> None:
    """The last gate before the database: every text attribute of a new row, and every
    changed one of an updated row, is checked with `refuse_control_characters`. SQLite would
    store a NUL silently and PostgreSQL refuses it with a driver error; both now give the
    same ValidationFailed naming the field. Values already stored and not changed are left
    alone, so an old record can still be edited."""
    # `session.new` builds a fresh set on every access: taken once, or a flush of n new rows
    # costs n squared.
    new = session.new
    for obj in (*new, *session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            name = attr.key
            value = getattr(obj, name, None)
            if not isinstance(value, str) or name in RECORDED_AS_IS:
                continue
            if obj not in new and not state.attrs[name].history.has_changes():
                continue
            refuse_control_characters(name, value, multiline=name in MULTI_LINE_FIELDS)


def install() -> None:
    """Put the hook on every session (once per process)."""
    if not event.contains(Session, "before_flush", refuse_on_flush):
        event.listen(Session, "before_flush", refuse_on_flush)

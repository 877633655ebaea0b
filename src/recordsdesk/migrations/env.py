"""Alembic environment: runs against the engine handed over by recordsdesk.db.

Batch mode on SQLite lets later revisions alter tables (SQLite cannot ALTER most things).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine
from sqlmodel import SQLModel

import recordsdesk.models  # noqa: F401  (registers every table on the metadata)
from recordsdesk.services.lookup.index import is_unmodelled

config = context.config
target_metadata = SQLModel.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run migrations through `recordsdesk db upgrade`")
    return create_engine(url)


def _modelled_or_new(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate leaves alone what revisions keep outside the models (the lookup index)."""
    if reflected and compare_to is None and name is not None:
        return not is_unmodelled(name, type_)
    return True


def run_migrations_online() -> None:
    engine = _engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=_modelled_or_new,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()

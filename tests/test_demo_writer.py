"""The demo writer's list of indexes kept during the load names indexes the schema has."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from recordsdesk.db import open_database, safe_url
from recordsdesk.services.demo.writer import APPEND_ORDER_INDEXES


# The lookup index's expression index cannot be reflected; it is not one of these.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_indexes_kept_during_the_load_exist_and_lead_with_ascending_keys(database_url: str) -> None:
    """A migration that renames or replaces one of them would otherwise quietly turn a cheap
    append during the load into a sort after it (the build's critical path)."""
    engine = open_database(database_url, migrate=False)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            found = {
                index["name"]: index["column_names"][0]
                for table in inspector.get_table_names()
                for index in inspector.get_indexes(table)
            }
    finally:
        engine.dispose()
    missing = sorted(APPEND_ORDER_INDEXES - set(found))
    assert not missing, f"not in the schema of {safe_url(database_url)}: {missing}"
    leading = {name: found[name] for name in APPEND_ORDER_INDEXES}
    assert set(leading.values()) <= {"student_id", "application_id"}, leading

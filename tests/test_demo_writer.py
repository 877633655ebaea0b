"""The demo writer's list of indexes kept during the load names indexes the schema has; the
key ledger that checks a big build's foreign keys finds a row referring to a missing one."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

import recordsdesk.models  # noqa: F401 - registers every table on SQLModel.metadata
from recordsdesk.db import open_database, safe_url
from recordsdesk.services.demo.history import TABLES
from recordsdesk.services.demo.writer import (
    APPEND_ORDER_INDEXES,
    COLUMNS,
    ConstraintsViolated,
    KeyLedger,
)


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


def _row(table: str, **values: Any) -> tuple[Any, ...]:
    return tuple(values.get(column) for column in COLUMNS[table])


def _chunk(**tables: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    return {table: tables.get(table, []) for table in TABLES}


def test_the_key_ledger_finds_a_row_referring_to_a_missing_one() -> None:
    """A big SQLite build checks its chunks' foreign keys in the deriver process with a
    KeyLedger instead of in SQLite; it must catch what `PRAGMA foreign_key_check` would."""
    assert KeyLedger.fixed_tables(TABLES) == ["course", "program", "staff_user", "term"]
    ledger = KeyLedger(TABLES, {"staff_user": [1, 2], "term": [4], "course": [7], "program": [3]})
    students = [_row("student", id=i, program_id=3, entry_term_id=4) for i in (1, 2)]
    section = _row("section", id=1, course_id=7, term_id=4)
    first = _row("enrollment", id=1, student_id=2, section_id=1, posted_by_id=2)
    ledger.check(_chunk(student=students, section=[section], enrollment=[first]))
    # Ids outside a run from 1 are remembered one by one.
    ledger.check(_chunk(student=[_row("student", id=10, program_id=3, entry_term_id=4)]))
    good = _row("enrollment", id=2, student_id=10, section_id=1, mark_entered_by_id=None)
    ledger.check(_chunk(enrollment=[good]))
    dangling = _row("enrollment", id=3, student_id=5, section_id=1)
    with pytest.raises(ConstraintsViolated, match=r"enrollment .* missing student row \(id 5\)"):
        ledger.check(_chunk(enrollment=[good, dangling]))
    unknown_staff = _row("enrollment", id=4, student_id=1, section_id=1, posted_by_id=9)
    with pytest.raises(ConstraintsViolated, match="missing staff_user row"):
        ledger.check(_chunk(enrollment=[unknown_staff]))
    later_term = _row("academic_standing", id=1, student_id=1, term_id=5, decided_by_id=1)
    with pytest.raises(ConstraintsViolated, match="academic_standing .* missing term row"):
        ledger.check(_chunk(academic_standing=[later_term]))

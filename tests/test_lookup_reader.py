"""The lookup reader (one long-lived connection for the screen's database thread) on both
engines: the same answers as `search` in a session, the rows first and the count after, a count
that stops at its cap, misspellings searched only when the page is not full, and a connection
that is given up after an error and reopened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.lookup.reader import LookupReader
from recordsdesk.services.lookup.search import (
    OTHER_NAME,
    SIMILAR,
    SIMILAR_OTHER,
    LookupResult,
    search,
)
from tests.factories import make_student

QUERIES = ("kim", "nguyen", "nguy kim", "kim nguyen3", "ngyuen", "2030", "xyz", "status:active")


@pytest.fixture
def crowd(engine: Engine) -> Engine:
    """Twelve Kim Nguyens (more than a small page) and a Kim Nyugen (a misspelling away)."""
    with session_scope(engine) as session:
        for n in range(12):
            make_student(
                session,
                student_number=f"2030{n:04d}",
                legal_first_name="Kim",
                legal_last_name=f"Nguyen{n}" if n else "Nguyen",
            )
        make_student(session, student_number="20400001", legal_last_name="Nyugen")
    return engine


@pytest.fixture
def reader(crowd: Engine) -> Iterator[LookupReader]:
    reader = LookupReader(crowd)
    yield reader
    reader.close()


def _session_search(engine: Engine, actor: Actor, query: str, limit: int) -> LookupResult:
    with session_scope(engine) as session:
        return search(session, actor=actor, query=query, limit=limit)


def test_reader_answers_like_a_session(crowd: Engine, reader: LookupReader, system: Actor) -> None:
    for query in QUERIES:
        for limit in (5, 50):
            expected = _session_search(crowd, system, query, limit)
            assert reader.search(actor=system, query=query, limit=limit) == expected, query


def test_rows_first_then_the_count(reader: LookupReader, system: Actor) -> None:
    first = reader.search(actor=system, query="nguyen", limit=5, count_cap=0)
    assert (len(first.rows), first.total, first.capped) == (5, 5, True)  # "at least 5"
    assert first.count_rank == OTHER_NAME  # the page filled at the prefix rank
    assert reader.count(actor=system, query="nguyen", rank=first.count_rank) == 12
    assert reader.count(actor=system, query="nguyen", rank=first.count_rank, cap=7) == 7
    # A page that is not full needs no count: every match is in hand.
    few = reader.search(actor=system, query="2030001", limit=5, count_cap=0)
    assert (len(few.rows), few.total, few.capped) == (2, 2, False)  # 20300010 and 20300011


def test_misspellings_only_fill_a_page_that_exact_and_prefix_leave_short(
    reader: LookupReader, system: Actor
) -> None:
    full = reader.search(actor=system, query="nguyen", limit=5)
    assert all(row.rank < SIMILAR for row in full.rows)
    assert (full.total, full.count_rank) == (12, OTHER_NAME)  # Nyugen is not counted
    short = reader.search(actor=system, query="nguyen", limit=50)
    assert [row.legal_last_name for row in short.rows if row.rank == SIMILAR] == ["Nyugen"]
    assert (short.total, short.count_rank) == (13, SIMILAR_OTHER)


def test_a_failed_statement_drops_the_connection_and_the_next_search_reopens(
    reader: LookupReader, system: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recordsdesk.services.lookup import search as lookup

    assert reader.search(actor=system, query="kim", limit=3).rows
    first = reader._connection
    original = lookup.run

    def broken(db: lookup.Db, sql: str, params: dict[str, object]) -> list[object]:
        return original(db, "SELECT * FROM no_such_table", {})

    monkeypatch.setattr(lookup, "run", broken)
    with pytest.raises(DBAPIError):
        reader.search(actor=system, query="kim", limit=3)
    assert reader._connection is None
    monkeypatch.setattr(lookup, "run", original)
    assert len(reader.search(actor=system, query="kim", limit=3).rows) == 3
    assert reader._connection is not None and reader._connection is not first


def test_the_reader_sees_what_is_committed_after_it_opened(
    crowd: Engine, reader: LookupReader, system: Actor
) -> None:
    assert reader.search(actor=system, query="zebedee").rows == ()
    with session_scope(crowd) as session:
        make_student(session, legal_first_name="Zebedee", legal_last_name="Quist")
    assert [r.legal_first_name for r in reader.search(actor=system, query="zebedee").rows] == [
        "Zebedee"
    ]


def test_rows_are_whole_student_rows(reader: LookupReader, system: Actor) -> None:
    """The rows are made straight from the driver's values: each must be exactly the row
    the constructor would build, every field of its own type (dates as dates, flags as bools,
    no None where text is expected)."""
    from datetime import date

    from recordsdesk.services.lookup.search import StudentRow

    rows = reader.search(actor=system, query="kim").rows
    assert rows
    for row in rows:
        assert type(row) is StudentRow and len(row) == len(StudentRow._fields)
        assert StudentRow(**row._asdict()) == row
        assert isinstance(row.has_hold, bool) and isinstance(row.confidential, bool)
        assert row.birth_date is None or isinstance(row.birth_date, date)
        assert isinstance(row.program_code, str) and isinstance(row.program_name, str)

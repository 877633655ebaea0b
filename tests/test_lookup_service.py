"""The first lookup: name parts, accents folded on the query side, numbers, emails, birth dates,
counts beyond the limit, holds and confidentiality flags; on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from recordsdesk.db import session_scope
from recordsdesk.services.actor import Actor
from recordsdesk.services.lookup import LookupResult, fold, search
from tests.factories import make_hold, make_program, make_student


def _search(engine: Engine, actor: Actor, query: str, limit: int = 50) -> LookupResult:
    with session_scope(engine) as session:
        return search(session, actor=actor, query=query, limit=limit)


def _numbers(result: LookupResult) -> list[str]:
    return [row.student_number for row in result.rows]


@pytest.fixture
def counter(engine: Engine, system: Actor) -> Engine:
    """A handful of students a front desk would meet."""
    with session_scope(engine) as session:
        program = make_program(session, code="BSC-BIO", name="Biology")
        make_student(
            session,
            student_number="2026000101",
            legal_first_name="José",
            legal_last_name="García Márquez",
            email="jose.garcia@example.edu",
            birth_date=date(2004, 2, 29),
            program_id=program.id,
            class_year=2027,
        )
        make_student(
            session,
            student_number="2026000102",
            legal_first_name="Jose",
            legal_last_name="Garcia",
            email="jgarcia@example.edu",
            birth_date=date(2005, 7, 1),
        )
        held = make_student(
            session,
            student_number="2026000103",
            legal_first_name="Siobhán",
            legal_last_name="O'Connor-Smith",
            preferred_name="Shiv",
            email="shiv@example.edu",
            confidential=True,
        )
        make_hold(session, held, placed_by_id=system.id)
        released = make_student(
            session,
            student_number="2026000104",
            legal_first_name="Ana",
            legal_last_name="Lima",
            email="ana.lima@example.edu",
        )
        make_hold(
            session,
            released,
            placed_by_id=system.id,
            released_by_id=system.id,
            released_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
        make_student(
            session,
            student_number="2026000105",
            legal_first_name="[b]Bob",
            legal_last_name="100%_Tables",
            email="bob@example.edu",
        )
    return engine


def test_fold_strips_accents_and_case() -> None:
    assert fold("José GARCÍA") == "jose garcia"
    assert fold("Øyvind") == "øyvind"  # no decomposition: left as typed, lower-cased
    assert fold("王芳") == "王芳"


def test_empty_query_finds_nothing(counter: Engine, system: Actor) -> None:
    assert _search(counter, system, "   ") == LookupResult(rows=(), total=0)


def test_name_prefix_of_any_part(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "gar")) == ["2026000102", "2026000101"]
    assert _numbers(_search(counter, system, "MÁRQ")) == ["2026000101"]
    assert _numbers(_search(counter, system, "smith")) == ["2026000103"]  # after a hyphen
    assert _numbers(_search(counter, system, "connor")) == ["2026000103"]  # after an apostrophe
    assert _numbers(_search(counter, system, "shiv")) == ["2026000103"]  # preferred name
    assert _numbers(_search(counter, system, "arcia")) == []  # a part's start, not its middle


def test_every_word_must_match(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "josé már")) == ["2026000101"]
    assert _numbers(_search(counter, system, "jose garc")) == ["2026000102"]
    assert _numbers(_search(counter, system, "ana gar")) == []


def test_accents_fold_on_the_query_side(counter: Engine, system: Actor) -> None:
    # "José" as typed finds the accented record and, folded, the unaccented one.
    assert _numbers(_search(counter, system, "José")) == ["2026000102", "2026000101"]
    assert _numbers(_search(counter, system, "Siobhan")) == []  # stored accents: issue 3
    assert _numbers(_search(counter, system, "Siobhán")) == ["2026000103"]


def test_student_number_email_and_birth_date(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "2026000103")) == ["2026000103"]
    assert _search(counter, system, "20260001").total == 5
    assert _numbers(_search(counter, system, "JGARC")) == ["2026000102"]
    assert _numbers(_search(counter, system, "2004-02-29")) == ["2026000101"]
    assert _numbers(_search(counter, system, "2004-02-30")) == []


def test_like_wildcards_are_literal(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "100%_")) == ["2026000105"]
    assert _numbers(_search(counter, system, "%")) == []
    assert _numbers(_search(counter, system, "_")) == []
    assert _numbers(_search(counter, system, "[b]")) == ["2026000105"]


def test_rows_carry_program_flags_and_names(counter: Engine, system: Actor) -> None:
    (jose,) = _search(counter, system, "2026000101").rows
    assert (jose.program_code, jose.level, jose.birth_date) == (
        "BSC-BIO",
        "2027",
        date(2004, 2, 29),
    )
    assert jose.display_name == "García Márquez, José"
    assert not jose.has_hold and not jose.confidential
    (shiv,) = _search(counter, system, "shiv").rows
    assert shiv.has_hold and shiv.confidential
    assert shiv.display_name == "O'Connor-Smith, Siobhán (Shiv)"
    (ana,) = _search(counter, system, "lima").rows
    assert not ana.has_hold  # a released hold no longer blocks anything


def test_total_counts_beyond_the_limit(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        for n in range(7):
            make_student(session, legal_first_name="Kim", legal_last_name=f"Nguyen{n}")
    result = _search(engine, system, "nguyen", limit=3)
    assert (len(result.rows), result.total, result.truncated) == (3, 7, True)
    assert [r.legal_last_name for r in result.rows] == ["Nguyen0", "Nguyen1", "Nguyen2"]

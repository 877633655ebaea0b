"""The right person on top: the lookup ranks by how the query matches each person (legal or
preferred first and last names exactly, then as prefixes, then middle and former names, then
misspellings), orders a rank by last name, first name and number over all its matches, and folds
apostrophes and hyphens. On both engines; each test names the row expected on top."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.lookup.search import (
    EXACT,
    OTHER_NAME,
    PREFIX,
    SIMILAR,
    SIMILAR_OTHER,
    LookupResult,
    forget_vocabularies,
    search,
)
from tests.factories import make_student


def _search(engine: Engine, actor: Actor, query: str, limit: int = 50) -> LookupResult:
    forget_vocabularies()  # each test's database is new: no misspelling dictionary carried over
    with session_scope(engine) as session:
        return search(session, actor=actor, query=query, limit=limit)


def _students(engine: Engine, *people: dict[str, Any]) -> None:
    """Students in the order given: the later ones are the newer records."""
    with session_scope(engine) as session:
        for fields in people:
            make_student(session, **fields)


def _top(result: LookupResult) -> tuple[str, int]:
    return result.rows[0].student_number, result.rows[0].rank


def test_first_and_last_names_beat_a_middle_name(engine: Engine, system: Actor) -> None:
    _students(
        engine,
        {"student_number": "R1", "legal_first_name": "Rocío", "legal_last_name": "Ramírez"},
        {"student_number": "R2", "legal_first_name": "Rocío", "legal_last_name": "Ramírez Soto"},
        {
            "student_number": "R3",
            "legal_first_name": "Daniela",
            "legal_middle_name": "Rocío",
            "legal_last_name": "Ramírez",
        },
        {"student_number": "R4", "legal_first_name": "Rocíos", "legal_last_name": "Ramírezes"},
    )
    result = _search(engine, system, "rocio ramirez")
    assert _top(result) == ("R1", EXACT)
    # Exact (last name Ramírez before Ramírez Soto), prefix, then the middle name.
    assert [(r.student_number, r.rank) for r in result.rows] == [
        ("R1", EXACT),
        ("R2", EXACT),
        ("R4", PREFIX),
        ("R3", OTHER_NAME),
    ]


def test_a_preferred_name_counts_as_a_first_name(engine: Engine, system: Actor) -> None:
    _students(
        engine,
        {
            "student_number": "P1",
            "legal_first_name": "Robert",
            "preferred_name": "Bob",
            "legal_last_name": "Tan",
        },
        {
            "student_number": "P2",
            "legal_first_name": "Ann",
            "former_names": "Bob Tan",
            "legal_last_name": "Lee",
        },
    )
    assert _top(_search(engine, system, "bob tan")) == ("P1", EXACT)


def test_a_misspelt_first_name_beats_a_misspelt_middle_name(engine: Engine, system: Actor) -> None:
    _students(
        engine,
        {"student_number": "J1", "legal_first_name": "Isha", "legal_last_name": "Joshi"},
        {
            "student_number": "J2",
            "legal_first_name": "Aarti",
            "legal_middle_name": "Isha",
            "legal_last_name": "Joshi",
        },
    )
    result = _search(engine, system, "isha jozhi")
    assert _top(result) == ("J1", SIMILAR)
    assert [(r.student_number, r.rank) for r in result.rows] == [
        ("J1", SIMILAR),
        ("J2", SIMILAR_OTHER),
    ]


def test_a_misspelt_last_name_beats_a_misspelt_former_name(engine: Engine, system: Actor) -> None:
    _students(
        engine,
        {"student_number": "S1", "legal_first_name": "Priya", "legal_last_name": "Sharma"},
        {
            "student_number": "S2",
            "legal_first_name": "Anita",
            "legal_last_name": "Bose",
            "former_names": "Sharma",
        },
    )
    result = _search(engine, system, "shasma")
    assert _top(result) == ("S1", SIMILAR)
    assert [r.student_number for r in result.rows] == ["S1", "S2"]


def test_the_first_page_is_the_first_in_name_order_over_all_matches(
    engine: Engine, system: Actor
) -> None:
    """More people share the name than a page holds: the oldest records are not left out,
    the page is the first by last name, first name, then number."""
    people = [
        {"student_number": f"N{n:03d}", "legal_first_name": "Rocío", "legal_last_name": "Ramírez"}
        for n in range(8)
    ]
    people.append(
        {"student_number": "N900", "legal_first_name": "Rocío", "legal_last_name": "Abad"}
    )
    _students(engine, *people)
    result = _search(engine, system, "rocio", limit=5)
    assert [r.student_number for r in result.rows] == ["N900", "N000", "N001", "N002", "N003"]
    assert (result.total, result.capped) == (9, False)


def test_apostrophes_and_hyphens_fold(engine: Engine, system: Actor) -> None:
    _students(
        engine,
        {"student_number": "O1", "legal_first_name": "Sofía", "legal_last_name": "O'Connor"},
        {"student_number": "O2", "legal_first_name": "Sofía", "legal_last_name": "Ochoa"},
        {"student_number": "O3", "legal_first_name": "Mary", "legal_last_name": "Smith-Jones"},
        {"student_number": "O4", "legal_first_name": "Sofía", "legal_last_name": "O\u2019Brien"},
    )
    for query in ("sof o'c", "sof oc", "sof o c", "Sofia O'Connor", "oconnor"):
        assert _top(_search(engine, system, query)) == ("O1", EXACT if "onn" in query else PREFIX)
    # Ochoa starts with "oc" too; O'Brien does not.
    assert [r.student_number for r in _search(engine, system, "sof o'c").rows] == ["O1", "O2"]
    assert _top(_search(engine, system, "smith-j")) == ("O3", PREFIX)
    assert _top(_search(engine, system, "smithjones")) == ("O3", EXACT)
    assert _top(_search(engine, system, "mary jones")) == ("O3", EXACT)
    assert _top(_search(engine, system, "o'brien")) == ("O4", EXACT)

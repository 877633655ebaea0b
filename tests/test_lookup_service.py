"""The counter lookup service on both engines: name parts in any order with accents folded both
ways, exact before prefix before misspelt, numbers, emails, birth dates in ISO and written forms,
filters, counts beyond the limit, flags. The same assertions run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from recordsdesk.db import session_scope
from recordsdesk.models import StaffRole
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.lookup.search import (
    EXACT,
    PREFIX,
    SIMILAR,
    LookupResult,
    edit_distance,
    fold,
    search,
    words_of,
)
from recordsdesk.services.shared.errors import PermissionDenied
from tests.factories import (
    institution,
    make_course,
    make_enrollment,
    make_hold,
    make_program,
    make_section,
    make_student,
    make_term,
)


def _search(engine: Engine, actor: Actor, query: str, limit: int = 50) -> LookupResult:
    with session_scope(engine) as session:
        return search(session, actor=actor, query=query, limit=limit)


def _numbers(result: LookupResult) -> list[str]:
    return [row.student_number for row in result.rows]


def _found(result: LookupResult) -> list[str]:
    """Exact and prefix matches only (misspelling matches follow them)."""
    return [row.student_number for row in result.rows if row.rank < SIMILAR]


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
            status="on_leave",
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
            birth_date=date(2004, 5, 4),
        )
        make_hold(session, held, placed_by_id=system.id)
        released = make_student(
            session,
            student_number="2026000104",
            legal_first_name="Ana",
            legal_last_name="Lima",
            email="ana.lima@example.edu",
            birth_date=date(2004, 4, 5),
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
        make_student(
            session,
            student_number="2026000106",
            legal_first_name="John",
            legal_last_name="Smith",
            former_names="Smithers",
            email="john.smith@example.edu",
        )
        make_student(
            session,
            student_number="2026000107",
            legal_first_name="Catherine",
            legal_last_name="Jones",
            preferred_name="Cat",
            email="cjones@example.edu",
        )
        make_student(
            session,
            student_number="2026000108",
            legal_first_name="Ana",
            legal_last_name="Smithson",
            email="asmithson@example.edu",
        )
    return engine


def test_fold_and_words() -> None:
    assert fold("José GARCÍA") == "jose garcia"
    assert fold("王芳") == "王芳"
    assert words_of("O'Connor-Smith  Ñúñez") == ["o", "connor", "smith", "nunez"]
    assert edit_distance("smyth", "smith", 2) == 1
    assert edit_distance("jonh", "john", 2) == 1  # a transposition is one edit
    assert edit_distance("katherine", "catherine", 2) == 1
    assert edit_distance("abcdef", "uvwxyz", 2) == 3  # stops counting past the limit


def test_empty_query_finds_nothing(counter: Engine, system: Actor) -> None:
    assert _search(counter, system, "   ") == LookupResult(rows=(), total=0)
    assert _search(counter, system, "%").rows == ()
    assert _search(counter, system, "-'").rows == ()


def test_name_prefix_of_any_part_in_any_order(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "gar")) == ["2026000102", "2026000101"]
    assert _numbers(_search(counter, system, "MÁRQ")) == ["2026000101"]
    assert _numbers(_search(counter, system, "connor")) == ["2026000103"]  # after an apostrophe
    assert _numbers(_search(counter, system, "shiv")) == ["2026000103"]  # preferred name
    assert _numbers(_search(counter, system, "smithers")) == ["2026000106"]  # former name
    assert _numbers(_search(counter, system, "gar jos")) == ["2026000102", "2026000101"]
    assert _numbers(_search(counter, system, "jos mar")) == ["2026000101"]
    assert _numbers(_search(counter, system, "ana gar")) == []
    assert _numbers(_search(counter, system, "  jose    garcia  ")) == ["2026000102", "2026000101"]


def test_accents_fold_both_ways(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "Garci")) == ["2026000102", "2026000101"]
    result = _search(counter, system, "José")
    assert _found(result) == ["2026000102", "2026000101"]
    assert _numbers(result)[2:] == ["2026000107"]  # Jones: one letter away, listed last
    assert _numbers(_search(counter, system, "Siobhan")) == ["2026000103"]
    assert _numbers(_search(counter, system, "siobhán o'connor")) == ["2026000103"]


def test_exact_before_prefix(counter: Engine, system: Actor) -> None:
    result = _search(counter, system, "smith")
    # The word itself first (Smith, O'Connor-Smith), then longer words starting with it.
    assert _numbers(result) == ["2026000103", "2026000106", "2026000108"]
    assert [r.rank for r in result.rows] == [EXACT, EXACT, PREFIX]


def test_misspellings_match_after_exact_and_prefix(counter: Engine, system: Actor) -> None:
    result = _search(counter, system, "Jon Smyth")
    assert _numbers(result) == ["2026000106"]
    assert result.rows[0].rank == SIMILAR
    (catherine,) = _search(counter, system, "Katherine").rows
    assert (catherine.student_number, catherine.rank) == ("2026000107", SIMILAR)
    assert _numbers(_search(counter, system, "Katherin Jon")) == ["2026000107"]  # typing on
    assert _numbers(_search(counter, system, "Garsia")) == ["2026000102", "2026000101"]
    # An exact match outranks a similar one.
    result = _search(counter, system, "smit")
    assert [r.rank for r in result.rows] == [PREFIX, PREFIX, PREFIX]
    assert _search(counter, system, "zzyzx").rows == ()


def test_words_the_misspelling_dictionary_has_not_seen_are_still_found(
    counter: Engine, system: Actor
) -> None:
    """A two-word query with a word the dictionary does not know skips its exact and prefix
    statements only when the engine confirms no name starts with it."""
    assert _numbers(_search(counter, system, "Jon Smyth")) == ["2026000106"]  # dictionary loaded
    with session_scope(counter) as session:  # names the loaded dictionary has not seen
        make_student(
            session,
            student_number="2026000201",
            legal_first_name="Zanzibar",
            legal_last_name="Quixote",
        )
        make_student(
            session, student_number="2026000202", legal_first_name="Søren", legal_last_name="Ørsted"
        )
    assert _numbers(_search(counter, system, "søren ørst")) == ["2026000202"]
    found = _search(counter, system, "quix zanz")
    assert (_numbers(found), [r.rank for r in found.rows]) == (["2026000201"], [PREFIX])
    assert _numbers(_search(counter, system, "quixote zanzibar"))[:1] == ["2026000201"]
    assert _numbers(_search(counter, system, "quixotte zanzibar")) == ["2026000201"]  # misspelt


def test_student_number_email_and_birth_date(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "2026000103")) == ["2026000103"]
    assert _search(counter, system, "20260001").total == 8
    # The lowest numbers are the ones shown (then sorted by name).
    assert _numbers(_search(counter, system, "20260001", limit=2)) == ["2026000102", "2026000101"]
    assert _numbers(_search(counter, system, "jgarcia@")) == ["2026000102"]
    assert _numbers(_search(counter, system, "JOSE.GAR")) == ["2026000101"]
    assert _numbers(_search(counter, system, "jose.garcia@example.edu")) == ["2026000101"]
    assert _numbers(_search(counter, system, "2004-02-29")) == ["2026000101"]
    assert _numbers(_search(counter, system, "29/02/2004")) == ["2026000101"]
    assert _numbers(_search(counter, system, "02/29/2004")) == ["2026000101"]
    assert _numbers(_search(counter, system, "2004-02-30")) == []
    # Ambiguous written dates match both readings; the birth date column tells them apart.
    assert sorted(_numbers(_search(counter, system, "04/05/2004"))) == [
        "2026000103",
        "2026000104",
    ]
    assert _numbers(_search(counter, system, "4.5.2004")) == ["2026000104", "2026000103"]
    assert sorted(_numbers(_search(counter, system, "2004-05"))) == ["2026000103"]


def test_student_numbers_with_letters_follow_the_institutions_pattern(
    engine: Engine, system: Actor
) -> None:
    with session_scope(engine) as session:
        settings = institution(session)
        settings.student_number_pattern = "S{year}-{seq:03d}"
        session.add(settings)
        for number in ("S2024-001", "S2024-002", "S2024-010", "S2025-001"):
            make_student(session, student_number=number, legal_last_name="Okafor")
        make_student(session, student_number="2024001", legal_last_name="Digits")
    exact = _search(engine, system, "s2024-001")  # any letter case
    assert (_numbers(exact), [r.rank for r in exact.rows]) == (["S2024-001"], [EXACT])
    assert sorted(_numbers(_search(engine, system, "S2024-00"))) == ["S2024-001", "S2024-002"]
    assert _search(engine, system, "S2024").total == 3
    assert _search(engine, system, "s2").total == 4
    assert _search(engine, system, "s2024-001 status:active").total == 1
    # What the pattern cannot make is a number as typed, in capitals (none here); digits too.
    assert _search(engine, system, "S2024x").rows == ()
    assert _numbers(_search(engine, system, "2024")) == ["2024001"]


def test_numbers_the_pattern_does_not_make_are_found_as_typed(
    engine: Engine, system: Actor
) -> None:
    """Imports keep an older system's numbers (letters first) under a digits-only pattern."""
    with session_scope(engine) as session:
        institution(session).student_number_pattern = "{year}{seq:05d}"
        make_student(session, student_number="B00412345", legal_last_name="Legacy")
        make_student(session, student_number="B00412399", legal_last_name="Legacy")
        make_student(session, student_number="202600001", legal_last_name="Current")
    exact = _search(engine, system, "b00412345")
    assert (_numbers(exact), [r.rank for r in exact.rows]) == (["B00412345"], [EXACT])
    assert sorted(_numbers(_search(engine, system, "B004123"))) == ["B00412345", "B00412399"]
    assert _search(engine, system, "B9").rows == ()
    assert _numbers(_search(engine, system, "legacy")) != []  # names still search as names


def test_like_wildcards_and_markup_are_literal(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "tables")) == ["2026000105"]
    assert _numbers(_search(counter, system, "[b]")) == ["2026000105"]
    assert _numbers(_search(counter, system, "2026%")) == []
    assert _numbers(_search(counter, system, '"smith')) == [
        "2026000103",
        "2026000106",
        "2026000108",
    ]


def test_filters_in_the_same_field(counter: Engine, system: Actor) -> None:
    assert _numbers(_search(counter, system, "gar status:on_leave")) == ["2026000101"]
    assert _numbers(_search(counter, system, "status:on")) == ["2026000101"]
    assert _numbers(_search(counter, system, "gar status:active")) == ["2026000102"]
    assert _numbers(_search(counter, system, "program:BIO")) == ["2026000101"]
    assert _numbers(_search(counter, system, "program:bsc-bio gar")) == ["2026000101"]
    assert _numbers(_search(counter, system, "hold:yes")) == ["2026000103"]
    assert "2026000104" in _numbers(_search(counter, system, "hold:no"))
    assert "2026000103" not in _numbers(_search(counter, system, "hold:no"))
    unknown = _search(counter, system, "status:gone")
    assert unknown.rows == () and "No status starts with 'gone'" in unknown.notice
    assert "term" in _search(counter, system, "term:1999XX").notice
    assert _search(counter, system, "status:").rows == ()  # still typing: nothing to do


def test_term_filter(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        term = make_term(session, code="2026FA")
        other = make_term(session, code="2026SP")
        course = make_course(session)
        in_term = make_student(session, legal_last_name="Nakamura", student_number="1")
        elsewhere = make_student(session, legal_last_name="Nakamoto", student_number="2")
        dropped = make_student(session, legal_last_name="Nakano", student_number="3")
        make_enrollment(session, in_term, make_section(session, course, term))
        make_enrollment(session, elsewhere, make_section(session, course, other))
        make_enrollment(session, dropped, make_section(session, course, term), status="dropped")
    assert _numbers(_search(engine, system, "naka term:2026fa")) == ["1"]
    assert _numbers(_search(engine, system, "term:2026SP")) == ["2"]


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


def test_rows_in_name_order_within_a_rank(engine: Engine, system: Actor) -> None:
    """Last name, then first name, accents and case aside; a name before its longer ones."""
    with session_scope(engine) as session:
        for number, first, last in (
            ("1", "Ann", "Leeds"),
            ("2", "Zed", "lee"),
            ("3", "Bob", "Lée"),
            ("4", "Amy", "Lee Park"),
        ):
            make_student(
                session, student_number=number, legal_first_name=first, legal_last_name=last
            )
    assert _numbers(_search(engine, system, "le")) == ["3", "2", "4", "1"]


def test_total_counts_beyond_the_limit(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        for n in range(7):
            make_student(session, legal_first_name="Kim", legal_last_name=f"Nguyen{n}")
    result = _search(engine, system, "nguyen", limit=3)
    assert (len(result.rows), result.total, result.truncated, result.capped) == (3, 7, True, False)
    # The first in name order over all seven, however old.
    assert [r.legal_last_name for r in result.rows] == ["Nguyen0", "Nguyen1", "Nguyen2"]


def test_index_follows_inserts_updates_and_deletes(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        student = make_student(session, legal_first_name="Zoë", legal_last_name="Ørsted")
    assert len(_search(engine, system, "zoe").rows) == 1
    with session_scope(engine) as session:
        student.legal_last_name = "Quartermaine"
        session.add(student)
    assert _search(engine, system, "ørsted").rows == ()
    assert len(_search(engine, system, "quarter zoe").rows) == 1
    with session_scope(engine) as session:
        session.delete(session.merge(student))
    assert _search(engine, system, "quarter").rows == ()


def test_every_role_may_look_up(counter: Engine) -> None:
    clerk = Actor(id=1, username="clerk", role=StaffRole.CLERK)
    assert _numbers(_search(counter, clerk, "lima")) == ["2026000104"]


def test_lookup_is_refused_without_a_reading_role(
    counter: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recordsdesk.services.access import permissions

    monkeypatch.setitem(permissions.ALLOWED, StaffRole.CLERK, frozenset())
    clerk = Actor(id=1, username="clerk", role=StaffRole.CLERK)
    with pytest.raises(PermissionDenied):
        _search(counter, clerk, "lima")

"""Forms keyed as a terminal delivers a fast typist's keys: the whole burst reaches the app
before it handles any. A burst gives exactly what slow typing gives (issue: every key lands where
it was meant)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.widgets import Input

from recordsdesk.db import session_scope
from recordsdesk.models import Program, Student
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.intake import IntakeScreen
from tests.factories import make_program, make_staff, make_term
from tests.form_keys import burst

SIZE = (80, 24)


@pytest.fixture
def app(engine: Engine) -> RecordsDeskApp:
    """The desk as a clerk, with two programs and an entry term to choose from."""
    with session_scope(engine) as session:
        make_program(session, code="BA-HIS", name="History")
        make_program(session, code="BSC-BIO", name="Biology")
        make_term(session, code="2027FA", add_drop_deadline=None, withdraw_deadline=None)
        make_staff(session, username="clerk1", role="clerk")
    return make_app(engine, username="clerk1")


# One value per intake field, in form order; "" leaves the field empty (Enter passes it).
INTAKE = (
    ("legal_first_name", "Peter"),
    ("legal_middle_name", ""),
    ("legal_last_name", "Lyon"),
    ("preferred_name", "Pete"),
    ("birth_date", "1990-04-02"),
    ("email", "peter@example.org"),
    ("phone", "555-0100"),
    ("address_line1", ""),
    ("city", "Lyon"),
    ("region", ""),
    ("postal_code", ""),
    ("country", ""),
    ("guardian_name", ""),
    ("guardian_relationship", ""),
    ("guardian_phone", ""),
    ("guardian_email", "g@example.org"),
    ("program", "bsc"),  # completed to BSC-BIO by Enter: its only match
    ("entry_term", "2027FA"),
    ("level", "FR"),
)


def intake_keys() -> list[str]:
    keys = ["<ctrl+n>"]
    for _, value in INTAKE:
        keys += [value, "<enter>"] if value else ["<enter>"]
    return keys


async def test_an_intake_keyed_in_one_burst_creates_exactly_the_student_typed(
    app: RecordsDeskApp, engine: Engine
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, *intake_keys())  # Ctrl+N, every field, Enter on the last saves
    with session_scope(engine) as session:
        students = session.exec(select(Student)).all()
        assert len(students) == 1
        s = students[0]
        program = session.get(Program, s.program_id)
        assert program is not None
        got = {
            "legal_first_name": s.legal_first_name,
            "legal_middle_name": s.legal_middle_name,
            "legal_last_name": s.legal_last_name,
            "preferred_name": s.preferred_name,
            "birth_date": s.birth_date.isoformat() if s.birth_date else "",
            "email": s.email,
            "phone": s.phone,
            "city": s.city,
            "guardian_email": s.guardian_email,
            "guardian_name": s.guardian_name,
            "program": program.code,
            "level": s.grade_level,
        }
    assert got == {
        "legal_first_name": "Peter",
        "legal_middle_name": "",
        "legal_last_name": "Lyon",
        "preferred_name": "Pete",
        "birth_date": "1990-04-02",
        "email": "peter@example.org",
        "phone": "555-0100",
        "city": "Lyon",
        "guardian_email": "g@example.org",
        "guardian_name": "",
        "program": "BSC-BIO",
        "level": "FR",
    }


async def test_keys_typed_while_the_form_opens_land_in_its_first_field(
    app: RecordsDeskApp, engine: Engine
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "<ctrl+n>", "Peter", "<enter>", "Lyon")
        screen = pilot.app.screen
        assert isinstance(screen, IntakeScreen)
        typed = {i.id: i.value for i in screen.query(Input) if i.value}
        assert typed == {"f-legal_first_name": "Peter", "f-legal_middle_name": "Lyon"}
    with session_scope(engine) as session:
        assert session.exec(select(Student)).all() == []

"""Forms keyed as a terminal delivers a fast typist's keys: the whole burst reaches the app
before it handles any. A burst gives exactly what slow typing gives (issue: every key lands where
it was meant)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.widgets import Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import Program, Student
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.people.departure import DepartureScreen
from recordsdesk.ui.screens.people.intake import IntakeScreen
from recordsdesk.ui.screens.people.intake_form import DecisionModal
from recordsdesk.ui.screens.people.profile_edit import ProfileEditScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import make_program, make_staff, make_student, make_term
from tests.form_keys import burst, settle

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


@pytest.fixture
def registrar_desk(engine: Engine) -> tuple[RecordsDeskApp, int]:
    """The desk as a registrar, and an active student in a program with no requirements."""
    with session_scope(engine) as session:
        make_staff(session, username="reg1", role="registrar")
        program = make_program(session, code="BA-HIS", name="History", required_credits=0)
        row = make_student(
            session, legal_first_name="Peter", legal_last_name="Lyon", program_id=program.id
        )
        assert row.id is not None
        student_id = row.id
    return make_app(engine, username="reg1"), student_id


def stored_student(engine: Engine, student_id: int) -> tuple[str, str]:
    with session_scope(engine) as session:
        row = session.get(Student, student_id)
        assert row is not None
        return row.status, row.departure_reason


async def test_departure_typing_past_the_last_field_never_switches_kind_or_saves_unasked(
    engine: Engine, registrar_desk: tuple[RecordsDeskApp, int]
) -> None:
    app, student_id = registrar_desk
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(StudentScreen(student_id))
        await settle(pilot)
        # d opens the form, w withdraws; Enter past the date, the reason, Enter on the last
        # field, then more text (with a t in it) and Ctrl+S, all as one burst.
        await burst(pilot, "dw", "<enter>", "Moving", "<enter>", " to Lyon", "<ctrl+s>")
        form = pilot.app.screen_stack[-2]
        assert isinstance(form, DepartureScreen)
        assert form.kind == "withdraw"  # the t of " to Lyon" did not make it a transfer
        dialog = pilot.app.screen
        assert isinstance(dialog, DecisionModal)
        question = str(dialog.query_one("#decision-question", Static).render())
        assert question.startswith("Withdraw Peter Lyon (")
        assert "Status: active → withdrawn." in question
        assert stored_student(engine, student_id) == ("active", "")  # nothing until confirmed
        await burst(pilot, "<enter>")
        assert isinstance(pilot.app.screen, StudentScreen)
    assert stored_student(engine, student_id) == ("withdrawn", "Moving")


async def test_a_transfer_needs_its_destination_and_esc_asks_before_discarding(
    engine: Engine, registrar_desk: tuple[RecordsDeskApp, int]
) -> None:
    app, student_id = registrar_desk
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(StudentScreen(student_id))
        await settle(pilot)
        await burst(pilot, "dt", "<enter>", "Moving", "<ctrl+s>")
        form = pilot.app.screen
        assert isinstance(form, DepartureScreen)  # refused beside the field, no dialog
        error = str(form.query_one("#e-destination", Static).render())
        assert error == "name the institution the student transfers to."
        await burst(pilot, "<escape>")
        assert isinstance(pilot.app.screen, DecisionModal)  # typed input: asked first
        await burst(pilot, "<escape>")  # go back to the form, still filled
        assert pilot.app.screen is form
        assert form.query_one("#f-reason", Input).value == "Moving"
        await burst(pilot, "<ctrl+t>", "<enter>")  # another kind: asked, then the choice
        assert form.kind == ""
        await burst(pilot, "g")  # the letters choose again
        assert form.kind == "graduate"
    assert stored_student(engine, student_id) == ("active", "")


async def test_the_profile_edit_refuses_an_empty_legal_first_name_and_esc_asks_first(
    engine: Engine, registrar_desk: tuple[RecordsDeskApp, int]
) -> None:
    app, student_id = registrar_desk
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(StudentScreen(student_id))
        await settle(pilot)
        # e opens the editor on the legal first name; Ctrl+U clears it; Enter; Ctrl+S saves.
        await burst(pilot, "e", "<ctrl+u>", "<enter>", "<ctrl+s>")
        editor = pilot.app.screen
        assert isinstance(editor, ProfileEditScreen)
        error = str(editor.query_one("#e-legal_first_name", Static).render())
        assert error == "the legal first name is required (for a single name, type '-' here)."
        await burst(pilot, "<escape>")
        assert isinstance(pilot.app.screen, DecisionModal)  # a change was typed: asked first
        await burst(pilot, "<enter>")  # discard
        assert isinstance(pilot.app.screen, StudentScreen)
    with session_scope(engine) as session:
        row = session.get(Student, student_id)
        assert row is not None
        assert (row.legal_first_name, row.version) == ("Peter", 1)

"""The registration screen through the Pilot: opened with r from the record, a course added by
typing its code, a refusal in plain words for each check, the waitlist offered for a full
section, a registrar's override with a reason, drop vs withdraw, and an offered seat accepted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import Session, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from recordsdesk.db import session_scope
from recordsdesk.models import Course, Enrollment, Section, Student, Term, utcnow
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.registration.dialogs import (
    BasisModal,
    ConfirmModal,
    OverrideModal,
    WaitlistModal,
)
from recordsdesk.ui.screens.registration.sheet import RegistrationScreen
from tests.factories import make_enrollment, make_hold, make_section
from tests.keys import burst
from tests.registration_office import Office, seed_office

SIZE = (120, 40)


@pytest.fixture
def office(engine: Engine) -> Office:
    with session_scope(engine) as session:
        return seed_office(session, today=date.today())


async def settle(pilot: Pilot[int]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def plain(widget: Static) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def rows(screen: RegistrationScreen, table_id: str) -> list[list[str]]:
    table = screen.query_one(table_id, DataTable)
    return [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_registration(pilot: Pilot[int], number: str) -> RegistrationScreen:
    await pilot.press(*number)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StudentScreen)
    await pilot.press("r")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RegistrationScreen)
    return screen


async def add_course(pilot: Pilot[int], screen: RegistrationScreen, code: str) -> str:
    """Type the code, Enter on the first section listed; the result line shown."""
    course_box = screen.query_one("#reg-course")
    course_box.value = ""  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press(*code)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    return plain(screen.query_one("#reg-result", Static))


def mine(session: Session, office: Office, section_id: int, **kw: object) -> None:
    student = session.get_one(Student, office.student_id)
    make_enrollment(session, student, session.get_one(Section, section_id), **kw)


def on_leave(session: Session, office: Office) -> None:
    session.get_one(Student, office.student_id).status = "on_leave"


def past_add_deadline(session: Session, office: Office) -> None:
    session.get_one(Term, office.open_term_id).add_drop_deadline = date.today() - timedelta(1)


def hold(session: Session, office: Office) -> None:
    student = session.get_one(Student, office.student_id)
    make_hold(session, student, placed_by_id=office.registrar.id, reason="Unpaid [fees]")


def calc2_taken(session: Session, office: Office) -> None:
    mine(session, office, office.calc2_open)


def calc1_twice_before(session: Session, office: Office) -> None:
    past = session.get_one(Term, office.past_term_id)
    again = make_section(session, session.get_one(Course, office.calc1_id), past)
    mine(session, office, again.id or 0, status="withdrawn", mark="W", grade_status="posted")


def seven_credits(session: Session, office: Office) -> None:
    mine(session, office, office.calc2_open)
    mine(session, office, office.art_open)


async def refused(pilot: Pilot[int], screen: RegistrationScreen, typed: str, expected: str) -> None:
    """Adding `typed` is refused with `expected` among the reasons, and a clerk gets no dialog."""
    result = await add_course(pilot, screen, typed)
    assert result.startswith("Cannot register in "), result
    assert expected in result, result
    assert pilot.app.screen is screen


async def test_refusals_about_the_student_and_the_term(engine: Engine, office: Office) -> None:
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        for setup, expected in (
            (on_leave, "✗ Status: Zoë Ångström is on leave: return the student from leave"),
            (past_add_deadline, "✗ Window: The add deadline for OPEN was"),
            (hold, "✗ Hold: A hold blocks registration: financial hold (Unpaid [fees])"),
        ):
            with session_scope(engine) as session:
                setup(session, office)
            await refused(pilot, screen, "ART", expected)
            with session_scope(engine) as session:  # put the record back for the next check
                session.get_one(Student, office.student_id).status = "active"
                term = session.get_one(Term, office.open_term_id)
                term.add_drop_deadline = date.today() + timedelta(days=20)
        assert "Only a registrar can override." in plain(screen.query_one("#reg-result", Static))
    with session_scope(engine) as session:
        assert (
            session.exec(select(Enrollment).where(Enrollment.section_id == office.art_open)).all()
            == []
        )


async def test_refusals_about_the_course(engine: Engine, office: Office) -> None:
    with session_scope(engine) as session:
        calc1_twice_before(session, office)
        for e in session.exec(select(Enrollment).where(Enrollment.student_id == office.student_id)):
            if e.mark is None:  # CALC 102 in progress in PAST: PHYS 201's prerequisite now unmet
                session.delete(e)
        calc2_taken(session, office)
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        await refused(pilot, screen, "PHYS", "✗ Prerequisite: PHYS 201 requires CALC 102 with C")
        await refused(pilot, screen, "calc102", "✗ Duplicate: Already registered in CALC 102")
        await refused(pilot, screen, "CALC 101", "✗ Repeat limit: CALC 101 may be repeated 1")
        await refused(
            pilot, screen, "HIST", "✗ Time conflict: HIST 110 meets MWF 09:30-10:20, clashing"
        )
        assert (await add_course(pilot, screen, "ART")) == "Registered in ART 120 01."
        await refused(
            pilot, screen, "LAB", "✗ Credit load: 12 more credits would make 19 this term"
        )
        assert [r[0] for r in rows(screen, "#reg-lines")] == ["ART 120", "CALC 102"]


async def test_register_from_the_record_then_waitlist_a_full_section(
    engine: Engine, office: Office
) -> None:
    with session_scope(engine) as session:  # just admitted: the first registration activates
        session.get_one(Student, office.student_id).status = "admitted"
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        band = plain(screen.query_one("#reg-band", Static))
        assert band.startswith("Zoë Ångström  ·  ")
        assert "  ·  admitted\n" in band
        assert "0.0 of 18.0 credits" in band
        await pilot.press(*"calc")
        await settle(pilot)
        assert [r[0] for r in rows(screen, "#reg-sections")] == ["CALC 101", "CALC 102"]
        await pilot.press("down", "enter")  # the second: CALC 102
        await settle(pilot)
        assert plain(screen.query_one("#reg-result", Static)) == (
            "Registered in CALC 102 01. The student is now active."
        )
        assert [r[0] for r in rows(screen, "#reg-lines")] == ["CALC 102"]
        band = plain(screen.query_one("#reg-band", Static))
        assert "  ·  active\n" in band and "4.0 of 18.0 credits" in band

        await add_course(pilot, screen, "BIO")
        assert isinstance(app.screen, WaitlistModal)  # full: the waitlist is offered
        await pilot.press("y")
        await settle(pilot)
        lines = rows(screen, "#reg-lines")
        assert [(r[0], r[4]) for r in lines] == [
            ("CALC 102", "registered"),
            ("BIO 150", "waitlisted #1"),
        ]

        await add_course(pilot, screen, "PHYS")
        lines = rows(screen, "#reg-lines")
        assert "⚑ provisional: CALC 102 in progress in PAST" in lines[1][6]
        await pilot.press("escape")
        await settle(pilot)
        record = app.screen
        assert isinstance(record, StudentScreen)
        registration = record.query_one("#registration-table", DataTable)
        assert registration.row_count == 4  # PAST's CALC 102 and the three new ones


async def test_registrar_overrides_with_a_reason(engine: Engine, office: Office) -> None:
    with session_scope(engine) as session:
        seven_credits(session, office)
    app = make_app(engine, username="registrar1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        await add_course(pilot, screen, "LAB")
        assert isinstance(app.screen, OverrideModal)
        await pilot.press("enter")  # no reason yet: refused in the dialog
        await pilot.pause()
        assert "needs a reason" in plain(app.screen.query_one("#override-message", Static))
        await pilot.press(*"Honours [student]", "enter")
        await settle(pilot)
        assert app.screen is screen
        lab = [r for r in rows(screen, "#reg-lines") if r[0] == "LAB 400"]
        assert lab and lab[0][6] == "override: Honours [student]"
        assert "19.0 of 18.0 credits" in plain(screen.query_one("#reg-band", Static))


async def test_drop_leaves_nothing_and_withdraw_leaves_w(engine: Engine, office: Office) -> None:
    with session_scope(engine) as session:
        mine(session, office, office.art_open)
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        screen.query_one("#reg-lines").focus()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        question = plain(app.screen.query_one("#confirm-question", Static))
        assert "nothing will show on the transcript" in question
        await pilot.press("y")
        await settle(pilot)
        assert rows(screen, "#reg-lines") == []
        assert "Dropped ART 120 01" in plain(screen.query_one("#reg-result", Static))

        with session_scope(engine) as session:  # the add/drop deadline passes
            mine(session, office, office.calc2_open)
            past_add_deadline(session, office)
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen.query_one("#reg-lines").focus()
        await pilot.press("d")
        await pilot.pause()
        question = plain(app.screen.query_one("#confirm-question", Static))
        assert "this leaves W on the transcript" in question
        await pilot.press("y")
        await settle(pilot)
        assert rows(screen, "#reg-lines") == []
    with session_scope(engine) as session:
        marks = session.exec(
            select(Enrollment.status, Enrollment.mark).where(
                Enrollment.student_id == office.student_id,
                Enrollment.section_id.in_([office.art_open, office.calc2_open]),  # type: ignore[union-attr]
            )
        ).all()
        assert sorted(marks, key=str) == sorted([("dropped", None), ("withdrawn", "W")], key=str)


async def test_an_offered_seat_shows_on_the_record_and_is_accepted(
    engine: Engine, office: Office
) -> None:
    with session_scope(engine) as session:
        for section_id in (office.full_open, office.art_open):
            mine(session, office, section_id, status="waitlisted", waitlist_position=1,
                 seat_offered_at=utcnow())  # fmt: skip
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Angstrom")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        record = app.screen
        assert isinstance(record, StudentScreen)
        table = record.query_one("#registration-table", DataTable)
        statuses = [table.get_row_at(i)[5].plain for i in range(table.row_count)]
        assert "waitlisted #1, seat offered" in statuses
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RegistrationScreen)
        assert rows(screen, "#reg-lines")[0][4] == "seat offered"
        screen.query_one("#reg-lines").focus()
        await pilot.press("a")
        await settle(pilot)
        lines = rows(screen, "#reg-lines")
        assert [(r[0], r[4]) for r in lines] == [
            ("ART 120", "registered"),
            ("BIO 150", "seat offered"),
        ]
        assert "Seat accepted" in plain(screen.query_one("#reg-result", Static))
        await pilot.press("down", "x")  # decline the other offer: asked first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert [r[0] for r in rows(screen, "#reg-lines")] == ["ART 120"]
        assert "Seat in BIO 150 01 declined." in plain(screen.query_one("#reg-result", Static))


async def test_b_changes_the_grading_basis_and_a_late_change_needs_a_registrar(
    engine: Engine, office: Office
) -> None:
    with session_scope(engine) as session:
        section = session.get_one(Section, office.art_open)
        art = session.get_one(Course, section.course_id)
        art.grading_bases = "graded,pass_no_pass,audit"
        session.add(art)
        mine(session, office, office.art_open)
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        screen.query_one("#reg-lines").focus()
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BasisModal)
        await pilot.press("enter")  # the first other basis is highlighted: pass/no pass
        await settle(pilot)
        assert app.screen is screen
        assert "ART 120 01 is now pass/no pass" in plain(screen.query_one("#reg-result", Static))
        assert rows(screen, "#reg-lines")[0][6] == "pass/no pass"

        with session_scope(engine) as session:  # the deadline passes
            term = session.get_one(Term, office.open_term_id)
            term.grading_basis_deadline = date.today() - timedelta(days=1)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "grading basis by" in plain(screen.query_one("#reg-band", Static))
        screen.query_one("#reg-lines").focus()
        await pilot.press("b")
        await settle(pilot)
        assert app.screen is screen  # a clerk gets no dialog
        assert "only a registrar" in plain(screen.query_one("#reg-result", Static))
    app = make_app(engine, username="registrar1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        screen.query_one("#reg-lines").focus()
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BasisModal)
        await pilot.press("enter")  # no reason yet: refused in the dialog
        await pilot.pause()
        assert "needs a reason" in plain(app.screen.query_one("#basis-message", Static))
        await pilot.press(*"Dean [approved]", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert "(after the deadline)" in plain(screen.query_one("#reg-result", Static))
    with session_scope(engine) as session:
        row = session.exec(
            select(Enrollment).where(
                Enrollment.student_id == office.student_id,
                Enrollment.section_id == office.art_open,
            )
        ).one()
        assert row.grading_basis == "graded"  # pass/no pass, then back to the first other


async def test_a_burst_of_courses_registers_each_as_slow_typing_would(
    engine: Engine, office: Office
) -> None:
    """ "CALC 102-01" Enter "art" Enter "calc", Down, Enter arrive as one burst (a paste, a
    macro): each Enter waits for its own sections and its own answer, and each registration
    empties the box for the next course."""
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_registration(pilot, "Angstrom")
        await burst(pilot, "CALC 102-01", "enter", "art", "enter", "phys", "down", "enter")
        for _ in range(20):
            await settle(pilot)
            if not app.keys_pending and len(rows(screen, "#reg-lines")) == 3:
                break
        assert sorted(r[0] for r in rows(screen, "#reg-lines")) == [
            "ART 120",
            "CALC 102",
            "PHYS 201",
        ]
        assert screen.query_one("#reg-course").value == ""  # type: ignore[attr-defined]
    with Session(engine) as session:
        mine = session.exec(
            select(Enrollment.section_id).where(
                Enrollment.student_id == office.student_id, Enrollment.status == "registered"
            )
        ).all()
    assert {office.calc2_open, office.art_open, office.physics_open} <= set(mine)

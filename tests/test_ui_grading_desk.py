"""Issue 17's changes at the desk, through the Pilot: a course's grading bases (catalog, b), a
term's grading-basis deadline (terms, b), a registrar's standing override and a graduate's
honours (record, s and o), and the honours the record earns shown on the graduation form. Each
saves through the service the command line uses (audited there), each is typed in one burst,
a role without it is told which role it needs, and reasons are shown as typed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import AcademicStanding, AuditEvent, Course, Student, Term
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.institution.settings import set_setting
from recordsdesk.services.transcripts.standing import post_and_decide
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.catalog.courses import CatalogScreen
from recordsdesk.ui.screens.catalog.terms import TermsScreen
from recordsdesk.ui.screens.people.departure import DepartureScreen
from recordsdesk.ui.screens.people.form_modal import FormModal
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import (
    make_course,
    make_enrollment,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
)
from tests.keys import burst

SIZE = (120, 40)
HOSTILE = "bad[/b] [i]appeal[/i]"


async def settle(pilot: Pilot[object]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _notices(pilot: Pilot[object]) -> list[str]:
    return [str(n.message) for n in pilot.app._notifications]


@pytest.fixture
def office(engine: Engine) -> dict[str, int]:
    """Staff of each role, one course and one term, and a student on probation after a posted
    term of a D."""
    with session_scope(engine) as session:
        for role in ("clerk", "registrar", "admin"):
            make_staff(session, username=f"g-{role}", role=role)
        course = make_course(session, code="AAA100")
        term = make_term(session, code="F26", end_date=date(2026, 12, 18))
        pupil = make_student(session, student_number="S170", program_id=make_program(session).id)
        section = make_section(session, course, term)
        make_enrollment(
            session, pupil, section, status="completed", mark="D", grade_status="entered"
        )
        assert course.id and term.id and pupil.id and section.id
        ids = {"course": course.id, "term": term.id, "student": pupil.id}
        post_and_decide(session, actor=actor_for(session, "g-registrar"), section_id=section.id)
    return ids


async def test_an_admin_sets_a_courses_bases_in_one_burst(
    engine: Engine, office: dict[str, int]
) -> None:
    app = make_app(engine, username="g-admin")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        await burst(pilot, "b", "ctrl+u", "graded, P/NP, AU", "enter", "ctrl+u", "P/NP", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen), _notices(pilot)
        row = [c.plain for c in app.screen.query_one("#course-table", DataTable).get_row_at(0)]
        assert "graded, P/NP, AU" in row
    with session_scope(engine) as session:
        course = session.get_one(Course, office["course"])
        assert (course.grading_bases, course.default_grading_basis) == (
            "graded,pass_no_pass,audit",
            "pass_no_pass",
        )
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "course.grading_bases")
        ).one()
        assert event.actor_username == "g-admin"


async def test_a_refused_basis_stays_in_the_form_beside_its_field(
    engine: Engine, office: dict[str, int]
) -> None:
    app = make_app(engine, username="g-admin")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        await burst(pilot, "b", "ctrl+u", "graded", "enter", "ctrl+u", "audit", "enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FormModal)
        message = str(modal.query_one("#e-default", Static).render())
        assert message == "audit is not among the bases given."
        await pilot.press("escape")
        await settle(pilot)
    with session_scope(engine) as session:
        assert session.get_one(Course, office["course"]).grading_bases == "graded"


@pytest.mark.parametrize("role", ["clerk", "registrar"])
async def test_only_an_admin_changes_the_catalog_and_the_terms(
    engine: Engine, office: dict[str, int], role: str
) -> None:
    app = make_app(engine, username=f"g-{role}")
    async with app.run_test(size=SIZE) as pilot:
        for key, screen_type in (("f3", CatalogScreen), ("f4", TermsScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, screen_type)
            await pilot.press("b")
            await settle(pilot)
            assert isinstance(app.screen, screen_type)  # no form opened
        notices = _notices(pilot)
        assert (
            f"Changing a course's grading bases needs the admin role; g-{role} is signed in "
            f"as {role}." in notices
        )
        assert any(n.startswith("Changing a term's grading-basis deadline needs the admin role")
                   for n in notices)  # fmt: skip


async def test_an_admin_sets_and_clears_a_terms_basis_deadline(
    engine: Engine, office: dict[str, int]
) -> None:
    app = make_app(engine, username="g-admin")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TermsScreen)
        await burst(pilot, "b", "2027-01-05", "enter")  # after the term's end: refused
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FormModal)
        message = str(modal.query_one("#e-grading_basis_deadline", Static).render())
        assert message == "must be on or before the term's end (2026-12-18)."
        await burst(pilot, "ctrl+u", "2026-10-02", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TermsScreen)
        row = [c.plain for c in app.screen.query_one("#term-table", DataTable).get_row_at(0)]
        assert "2026-10-02" in row
        with session_scope(engine) as session:
            assert session.get_one(Term, office["term"]).grading_basis_deadline == date(2026, 10, 2)
        await burst(pilot, "b", "ctrl+u", "enter")  # blank: the term's last day
        await settle(pilot)
        assert isinstance(app.screen, TermsScreen)
    with session_scope(engine) as session:
        assert session.get_one(Term, office["term"]).grading_basis_deadline is None
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "term.grading_basis_deadline")
        ).all()
        assert len(events) == 2


async def test_a_registrar_overrides_a_standing_with_a_reason_shown_as_typed(
    engine: Engine, office: dict[str, int]
) -> None:
    app = make_app(engine, username="g-registrar")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StudentScreen(office["student"]))
        await settle(pilot)
        record = app.screen
        assert isinstance(record, StudentScreen)
        # the term and its standing are filled in; change the standing, give the reason
        await burst(pilot, "s", "enter", "ctrl+u", "warning", "enter", HOSTILE, "enter")
        await settle(pilot)
        assert app.screen is record, _notices(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = record.query_one("#history-table", DataTable)
        lines = [
            (table.get_row_at(i)[2].plain, table.get_row_at(i)[6].plain)
            for i in range(table.row_count)
        ]
        assert (f"Set by a registrar: {HOSTILE}", "rules: probation") in lines
        assert any(status == "Academic warning" for _, status in lines), lines
    with session_scope(engine) as session:
        row = session.exec(select(AcademicStanding)).one()
        assert (row.standing, row.computed, row.override_reason) == (
            "warning",
            "probation",
            HOSTILE,
        )
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "standing.override")
        ).one()
        assert event.reason == HOSTILE


async def test_a_standing_override_needs_a_reason_and_a_registrar(
    engine: Engine, office: dict[str, int]
) -> None:
    app = make_app(engine, username="g-registrar")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StudentScreen(office["student"]))
        await settle(pilot)
        await burst(pilot, "s", "enter", "ctrl+u", "lenient", "enter", "why", "enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FormModal)
        assert "'lenient' is not a standing" in str(modal.query_one("#e-standing", Static).render())
        await pilot.press("escape")
        await settle(pilot)
    clerk = make_app(engine, username="g-clerk")
    async with clerk.run_test(size=SIZE) as pilot:
        await clerk.push_screen(StudentScreen(office["student"]))
        await settle(pilot)
        await pilot.press("s", "o")
        await settle(pilot)
        assert isinstance(clerk.screen, StudentScreen)
        notices = _notices(pilot)
        assert (
            "Overriding an academic standing needs the registrar role; g-clerk is signed in "
            "as clerk." in notices
        )
        assert any(n.startswith("Changing a graduate's honours needs the registrar role")
                   for n in notices)  # fmt: skip
    with session_scope(engine) as session:
        assert session.exec(select(AcademicStanding)).one().override_reason == ""


async def test_honours_proposed_at_conferral_then_changed_with_a_reason(
    engine: Engine, office: dict[str, int]
) -> None:
    with session_scope(engine) as session:  # an A record: summa cum laude if enough credits
        set_setting(session, actor=actor_for(session, "g-admin"), key="honours_min_credits",
                    value="0")  # fmt: skip
        pupil = make_student(session, student_number="S171", program_id=make_program(session).id)
        term = make_term(session, code="S27", start_date=date(2027, 1, 5),
                         end_date=date(2027, 4, 30))  # fmt: skip
        section = make_section(session, make_course(session), term)
        make_enrollment(session, pupil, section, status="completed", mark="A",
                        grade_status="posted")  # fmt: skip
        assert pupil.id is not None
        pupil_id = pupil.id
    app = make_app(engine, username="g-registrar")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(DepartureScreen(pupil_id, title="S171"))
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        honours = app.screen.query_one("#f-honours", Input)
        assert honours.placeholder.startswith("blank: Summa cum laude (the record earns)")
        await pilot.press("ctrl+s")
        await settle(pilot)
        decision = app.screen
        words = " ".join(str(w.render()) for w in decision.query(Static))
        assert "(Summa cum laude, as the record earns)" in words
        await pilot.press("enter")  # the degree audit finds it short: confer anyway, with why
        await settle(pilot)
        await burst(pilot, "the audit is not the point here", "enter")
        await settle(pilot)
    with session_scope(engine) as session:
        assert session.get_one(Student, pupil_id).honours == "Summa cum laude"
    app = make_app(engine, username="g-registrar")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StudentScreen(pupil_id))
        await settle(pilot)
        await burst(pilot, "o", "ctrl+u", "Magna cum laude", "enter", HOSTILE, "enter")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen), _notices(pilot)
        profile = app.screen.query_one("#profile-table", DataTable)
        values = {
            profile.get_row_at(i)[0].plain: profile.get_row_at(i)[1].plain
            for i in range(profile.row_count)
        }
        assert values["Honours"] == "Magna cum laude"
    with session_scope(engine) as session:
        assert session.get_one(Student, pupil_id).honours == "Magna cum laude"
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "honours.change")).one()
        assert event.reason == HOSTILE


async def test_honours_of_someone_not_graduated_are_refused_in_the_form(
    engine: Engine, office: dict[str, int]
) -> None:
    app = make_app(engine, username="g-registrar")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StudentScreen(office["student"]))
        await settle(pilot)
        await burst(pilot, "o", "Cum laude", "enter", "because", "enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FormModal)
        message = str(modal.query_one("#e-honours", Static).render())
        assert message == "only a graduate's honours change (confer first)."

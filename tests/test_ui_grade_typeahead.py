"""Grade entry keyed as a terminal delivers fast typing: whole bursts queued before any key is
handled (tests/keys.py). Each Enter closes the mark typed before it on the row it was typed on,
an empty Enter skips one student, a refused mark stops the burst with the rest set aside and
counted, dialogs opened mid-burst take the keys typed for them; and marks imported from a CSV
never overwrite a mark saved at another desk after the preview."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import Input

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Enrollment, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.grades import marks as grading
from recordsdesk.services.grades.roster import DbRosterStore
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.grades.entry import LiveLine, RosterScreen
from recordsdesk.ui.widgets.grade_dialogs import GradeChangeModal, ImportModal
from tests.factories import (
    make_course,
    make_enrollment,
    make_section,
    make_staff,
    make_student,
    make_term,
    scale_id,
)
from tests.grading_data import GradedSection, make_graded_section
from tests.keys import burst, keys_of
from tests.test_ui_grade_entry import SIZE, marks, settle, wait_saved

#: Roster order of tests/grading_data.py: Moreau (withdrawn) is skipped by the cursor.
ORDER = ("[b]Bob", "Álvarez", "Chen", "Okafor", "Zeller")


@pytest.fixture
def graded(engine: Engine) -> GradedSection:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return make_graded_section(session, scale="US-PM", course_code="HIST2")


@pytest.fixture
def app(engine: Engine, graded: GradedSection) -> RecordsDeskApp:
    return make_app(engine, username="reg")


async def open_roster(pilot: Pilot[int], *keys: str) -> RosterScreen:
    """F5, the term and the section (typed slowly unless `keys` says otherwise)."""
    await pilot.press("f5")
    await settle(pilot)
    await pilot.press(*"grading", "enter")
    await settle(pilot)
    await pilot.press(*"hist2", "enter")
    return await roster_ready(pilot)


async def roster_ready(pilot: Pilot[int]) -> RosterScreen:
    for _ in range(300):
        screen = pilot.app.screen
        if isinstance(screen, RosterScreen) and screen.roster is not None:
            return screen
        await pilot.pause()
    raise AssertionError(f"no roster: {pilot.app.screen}")


def keyed(engine: Engine, graded: GradedSection) -> dict[str, str | None]:
    stored = marks(engine)
    return {name: stored[graded.enrollment_ids[name]][0] for name in ORDER}


def message(screen: RosterScreen) -> str:
    return screen.query_one("#roster-message", LiveLine).text.plain


async def test_a_burst_closes_each_mark_on_its_own_row(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    """Issue 13 item 1: `A Enter B+ Enter Enter C Enter` in one burst saved nothing and left
    'AB+C' in the box; each Enter now closes its own mark and the empty one skips a student."""
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        await burst(pilot, "A", "enter", "B+", "enter", "enter", "C", "enter")
        await wait_saved(pilot, screen)
        assert screen.query_one("#mark-input", Input).value == ""
        assert screen.rows[screen.cursor].last_name == "Zeller"
    assert keyed(engine, graded) == {
        "[b]Bob": "A",
        "Álvarez": "B+",
        "Chen": None,  # the empty Enter
        "Okafor": "C",
        "Zeller": None,
    }


async def test_a_refused_mark_stops_the_burst_and_counts_what_it_set_aside(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        await burst(pilot, "A", "enter", "Q", "enter", "B", "enter", "C", "enter")
        await wait_saved(pilot, screen)
        box = screen.query_one("#mark-input", Input)
        assert box.value == "Q" and screen.rows[screen.cursor].last_name == "Álvarez"
        text = message(screen)
        assert "'Q' is not a mark on US-PM" in text
        assert "4 keys typed after 'Q' set aside, not entered: B⏎C⏎" in text
        assert keyed(engine, graded) == dict.fromkeys(ORDER) | {"[b]Bob": "A"}
        # Typed after the refusal was on screen: taken as typed, in order.
        await burst(pilot, "backspace", "B", "enter", "C", "enter")
        await wait_saved(pilot, screen)
    assert keyed(engine, graded) == dict.fromkeys(ORDER) | {
        "[b]Bob": "A",
        "Álvarez": "B",
        "Chen": "C",
    }


async def test_an_incomplete_mid_burst_takes_the_keys_typed_for_its_dialog(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    """`I Enter` opens the expiry dialog; the Enter behind it accepts the policy's date and the
    keys after that go back to the roster's next row."""
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        await burst(pilot, "I", "enter", "enter", "B", "enter", "C", "enter")
        await wait_saved(pilot, screen)
        assert app.screen is screen
    assert keyed(engine, graded) == dict.fromkeys(ORDER) | {
        "[b]Bob": "I",
        "Álvarez": "B",
        "Chen": "C",
    }
    with session_scope(engine) as session:
        bob = session.get(Enrollment, graded.enrollment_ids["[b]Bob"])
        assert bob is not None
        assert bob.incomplete_expires == grading.default_incomplete_expiry(session)


async def test_back_to_the_sections_and_into_another_roster_in_one_burst(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    """Esc from the roster, the section typed again and a mark: the keys behind Esc wait for the
    section list, those behind the section's Enter for the roster."""
    async with app.run_test(size=SIZE) as pilot:
        await open_roster(pilot)
        await burst(pilot, "escape", "hist2", "enter", "C", "enter")
        screen = await roster_ready(pilot)
        await wait_saved(pilot, screen)
    assert keyed(engine, graded) == dict.fromkeys(ORDER) | {"[b]Bob": "C"}


async def test_help_opened_mid_burst_takes_its_own_keys(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    """F1 in the middle of a burst opens the help, the Esc behind it closes it, and the mark
    after that lands on the next student: exactly what the same keys typed slowly give."""
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        await burst(pilot, "A", "enter", "f1", "escape", "B", "enter")
        await wait_saved(pilot, screen)
        assert app.screen is screen
    assert keyed(engine, graded) == dict.fromkeys(ORDER) | {"[b]Bob": "A", "Álvarez": "B"}


async def test_keys_typed_while_grade_entry_opens_reach_the_roster(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    """F5 from the lookup, the term, the section and the marks, all in one burst: the list of
    terms, the sections and the roster each load while the keys for them wait."""
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "f5", "grading", "enter", "hist2", "enter", "A", "enter", "B", "enter")
        screen = await roster_ready(pilot)
        await wait_saved(pilot, screen)
    assert keyed(engine, graded) == dict.fromkeys(ORDER) | {"[b]Bob": "A", "Álvarez": "B"}


async def test_a_posted_mark_changes_to_an_incomplete_with_its_expiry(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    """Issue 13 item 7: I on a posted row asked only for the reason, then was refused for want
    of an expiry date. The dialog now asks the date after the reason (policy date offered)."""
    chen = graded.enrollment_ids["Chen"]
    with session_scope(engine) as session:
        registrar = actor_for(session, "reg")
    DbRosterStore(engine, registrar).save(chen, 1, "C")
    with session_scope(engine) as session:
        grading.post_section(session, actor=registrar, section_id=graded.section_id)
    expiry = date.today() + timedelta(days=30)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        await pilot.press("down", "down", "I", "enter")  # typed slowly: Chen's posted C
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, GradeChangeModal)
        await pilot.press(*"Illness before the final", "enter")
        field = dialog.query_one("#change-reason", Input)
        assert field.value == screen.roster.incomplete_default.isoformat()  # type: ignore[union-attr]
        await burst(pilot, expiry.isoformat(), "enter")
        await wait_saved(pilot, screen)
        assert app.screen is screen
    with session_scope(engine) as session:
        row = session.get(Enrollment, chen)
        assert row is not None
        assert (row.mark, row.grade_status, row.incomplete_expires) == ("I", "posted", expiry)
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "grade.change")).all()
    assert event.reason == "Illness before the final"
    assert json.loads(event.after or "{}")["incomplete_expires"] == expiry.isoformat()


async def test_import_apply_reports_a_mark_saved_elsewhere_after_the_preview(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection, system: Actor
) -> None:
    """Issue 13 item 6: F7 applied D over the C another desk saved after the preview."""
    n, chen = graded.student_numbers, graded.enrollment_ids["Chen"]
    async with app.run_test(size=SIZE) as pilot:
        await open_roster(pilot)
        await pilot.press("f7")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ImportModal)
        modal.query_one("#import-text").insert(f"{n['Chen']},D\n{n['Zeller']},B\n")
        await pilot.press("f6")
        await settle(pilot)
        DbRosterStore(engine, system).save(chen, 1, "C")  # another desk, after the preview
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is modal  # stays open with the conflict
        shown = str(modal.query_one("#import-result").render())
        assert f"CONFLICT line 1: {n['Chen']} Chen, Li: theirs C (was -), yours D" in shown
        assert "not applied (all or nothing)" in shown
    assert keyed(engine, graded)["Chen"] == "C" and keyed(engine, graded)["Zeller"] is None


@pytest.fixture
def big_roster(engine: Engine) -> list[int]:
    """300 registered students in one US-PM section; enrollment ids in roster order."""
    with session_scope(engine) as session:
        make_staff(session, username="reg300", role="registrar")
        course = make_course(session, code="BIG300", grading_scale_id=scale_id(session, "US-PM"))
        section = make_section(session, course, make_term(session, status="grading"))
        for number in range(300):
            student = make_student(
                session, legal_last_name=f"Student{number:03d}", legal_first_name="Test"
            )
            make_enrollment(session, student, section)
        section_id = section.id
    with session_scope(engine) as session:
        rows = session.exec(
            select(Enrollment.id)
            .join(Student, col(Student.id) == col(Enrollment.student_id))
            .where(Enrollment.section_id == section_id)
            .order_by(col(Student.legal_last_name))
        ).all()
    return [r or 0 for r in rows]


async def test_a_300_student_roster_keyed_as_one_burst(
    engine: Engine, big_roster: list[int]
) -> None:
    """Every mark of a 300-student roster in one burst, some students skipped with an empty
    Enter, then a refused mark near the end: everything before it saved in roster order, the
    keys after it set aside and counted, not one on another student."""
    cycle = ("A", "B+", "C-", "D", "F", "A-", "B")
    refused_at = 280
    typed: list[str] = []
    expected: dict[int, str | None] = {}
    for index, enrollment_id in enumerate(big_roster):
        mark = "" if index % 41 == 5 else cycle[index % len(cycle)]
        if index == refused_at:
            mark = "E"  # not on US-PM
        typed.extend([mark, "enter"] if mark else ["enter"])
        expected[enrollment_id] = mark or None if index < refused_at else None
    app = make_app(engine, username="reg300")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await burst(pilot, "enter", "big300", "enter")
        screen = await roster_ready(pilot)
        await burst(pilot, *typed)
        await wait_saved(pilot, screen)
        after = typed[typed.index("E") + 2 :]
        assert f"{len(keys_of(*after))} keys typed after 'E' set aside" in message(screen)
        assert screen.rows[screen.cursor].enrollment_id == big_roster[refused_at]
    stored = marks(engine)
    assert {eid: stored[eid][0] for eid in big_roster} == expected
    with session_scope(engine) as session:  # saved in the order typed: roster order
        saved_order = session.exec(
            select(AuditEvent.entity_id)
            .where(AuditEvent.action == "grade.enter")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [int(e) for e in saved_order] == [e for e in big_roster if expected[e] is not None]

"""Profile edits with optimistic locking: a stale edit is refused showing what the other desk
changed (field, what this desk saw, theirs, yours), never overwriting; every change audited."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.people.student import (
    FieldConflict,
    describe_conflict,
    get_student_profile,
    update_student,
)
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.profile_edit import (
    ConflictModal,
    ProfileEditScreen,
    changes_from,
)
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import make_staff, make_student

SIZE = (120, 40)


@pytest.fixture
def student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        make_staff(session, username="clerk1", role="clerk")
        make_staff(session, username="clerk2", role="clerk")
        row = make_student(session, email="old@example.edu", city="Porto", phone="")
        assert row.id is not None
        return row.id


def other_desk(engine: Engine, student_id: int, changes: dict[str, object]) -> None:
    with session_scope(engine) as session:
        seen = get_student_profile(
            session, actor=actor_for(session, "clerk2"), student_id=student_id
        )
        update_student(
            session,
            actor=actor_for(session, "clerk2"),
            student_id=student_id,
            expected_version=seen.version,
            changes=changes,
        )


def test_describe_conflict_names_each_field_both_ways(engine: Engine, student_id: int) -> None:
    with session_scope(engine) as session:
        seen = get_student_profile(session, actor=_clerk(session), student_id=student_id)
    current = replace(seen, email="theirs@example.edu", city="Braga", version=seen.version + 1)
    conflicts = describe_conflict(seen, current, {"email": "mine@example.edu", "phone": "1"})
    assert conflicts == [
        FieldConflict("city", "Porto", "Braga", "Porto"),
        FieldConflict("email", "old@example.edu", "theirs@example.edu", "mine@example.edu"),
    ]


def _clerk(session: object) -> Actor:
    return actor_for(session, "clerk1")  # type: ignore[arg-type]


def test_changes_from_sends_only_what_was_typed(engine: Engine, student_id: int) -> None:
    with session_scope(engine) as session:
        seen = get_student_profile(session, actor=_clerk(session), student_id=student_id)
    typed = {"email": "old@example.edu", "city": " Porto ", "phone": "555", "class_year": ""}
    assert changes_from(seen, typed) == {"phone": "555"}


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_editor(pilot: Pilot[int], student_id: int) -> ProfileEditScreen:
    await pilot.app.push_screen(StudentScreen(student_id))
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProfileEditScreen)
    return screen


async def replace_text(pilot: Pilot[int], screen: ProfileEditScreen, field: str, text: str) -> None:
    box = screen.query_one(f"#f-{field}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)


async def test_a_bad_value_is_shown_beside_its_field(engine: Engine, student_id: int) -> None:
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, student_id)
        await replace_text(pilot, screen, "email", "not an email")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        message = str(screen.query_one("#e-email", Static).render())
        assert message == "'not an email' is not an email address (name@example.org)."
    with session_scope(engine) as session:
        assert session.get(Student, student_id).email == "old@example.edu"  # type: ignore[union-attr]


async def test_a_stale_edit_is_refused_showing_what_changed(
    engine: Engine, student_id: int
) -> None:
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editor(pilot, student_id)
        await replace_text(pilot, screen, "email", "mine@example.edu")
        await replace_text(pilot, screen, "phone", "555-0199")
        other_desk(engine, student_id, {"email": "theirs@example.edu", "city": "Braga"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, ConflictModal)
        table = modal.query_one(DataTable)
        rows = [[c.plain for c in table.get_row_at(r)] for r in range(table.row_count)]
        assert rows == [
            ["City", "Porto", "Braga", "Porto"],
            ["Email", "old@example.edu", "theirs@example.edu", "mine@example.edu"],
        ]
        with session_scope(engine) as session:  # nothing of theirs was overwritten
            row = session.get(Student, student_id)
            assert row is not None and (row.email, row.phone) == ("theirs@example.edu", "")
        await pilot.press("enter")  # take theirs, keep my other edits
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.query_one("#f-email", Input).value == "theirs@example.edu"
        assert screen.query_one("#f-city", Input).value == "Braga"
        assert screen.query_one("#f-phone", Input).value == "555-0199"
        assert "another desk" in str(screen.query_one("#e-email", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StudentScreen)
    with session_scope(engine) as session:
        row = session.get(Student, student_id)
        assert row is not None
        assert (row.email, row.city, row.phone, row.version) == (
            "theirs@example.edu",
            "Braga",
            "555-0199",
            3,
        )
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "student", AuditEvent.action == "update")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [e.actor_username for e in events] == ["clerk2", "clerk1"]
    assert json.loads(events[1].before or "") == {"phone": "", "version": 2}
    assert json.loads(events[1].after or "") == {"phone": "555-0199", "version": 3}

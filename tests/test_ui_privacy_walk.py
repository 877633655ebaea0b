"""With the privacy key on, no screen of the desk shows a birth date, an email, a phone number
or an address: the test walks every screen and dialog a clerk reaches and searches what is drawn
for every student's private values (and for what the clerk types into a form meanwhile)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input

from recordsdesk.db import session_scope
from recordsdesk.models import Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.people.student import update_student
from recordsdesk.ui.app import make_app
from tests.desk_data import seed_desk
from tests.screen_text import screen_text

SIZE = (100, 30)
PRIVATE = ("birth_date", "email", "phone", "guardian_phone", "guardian_email", "address_line1")
RECORD_SCREENS = (
    ("r", "registration"),
    ("h", "holds"),
    ("e", "profile edit"),
    ("d", "departure"),
    ("a", "admission"),
    ("t", "transcript"),
)
TYPED = ("1999-07-21", "new.person@example.org", "+44 20 7946 0958")


def private_values(engine: Engine) -> set[str]:
    """Every student's private values as the desk would write them."""
    found: set[str] = set()
    with session_scope(engine) as session:
        for student in session.exec(select(Student)).all():
            for field in PRIVATE:
                value = getattr(student, field)
                if isinstance(value, date):
                    found |= {value.isoformat(), value.strftime("%d/%m/%Y")}
                elif value:
                    found.add(str(value))
    return found


async def settle(pilot: Pilot[int]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


class Walk:
    """Visits screens and remembers what each one leaked."""

    def __init__(self, pilot: Pilot[int], secrets: set[str]) -> None:
        self.pilot = pilot
        self.secrets = secrets
        self.leaks: dict[str, list[str]] = {}
        self.seen: list[str] = []

    async def look(self, label: str, *keys: str) -> None:
        if keys:
            await self.pilot.press(*keys)
        await settle(self.pilot)
        drawn = screen_text(self.pilot.app)

        self.seen.append(f"{label}:{type(self.pilot.app.screen).__name__}")
        leaked = sorted(s for s in self.secrets if s in drawn)
        if leaked:
            self.leaks[label] = leaked


async def test_privacy_key_hides_private_values_on_every_screen(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        data = seed_desk(session, system.id)
    with session_scope(engine) as session:
        update_student(
            session,
            actor=system,
            student_id=data.garcia_id,
            expected_version=1,
            changes={
                "phone": "+34 954 555 0101",
                "address_line1": "Calle Betis 12",
                "guardian_phone": "+34 954 555 0102",
                "guardian_email": "madre.garcia@example.es",
                "email": "pepe.garcia@example.edu",
            },
        )
    changes = tmp_path / "changes.csv"
    changes.write_text(
        "student_number,first_name,last_name,birth_date,email\n"
        "2025000101,José,García,2006-03-15,jose.new@example.edu\n",
        encoding="utf-8",
    )
    secrets = private_values(engine) | set(TYPED) | {"2006-03-15", "jose.new@example.edu"}
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        walk = Walk(pilot, secrets)
        await pilot.press("f9")
        assert app.privacy
        await walk.look("lookup", *"garc")
        await walk.look("record", "enter")
        for tab in "1234567":
            await walk.look(f"record tab {tab}", tab)
        for key, label in RECORD_SCREENS:
            await walk.look(label, key)
            await walk.look(f"back from {label}", "escape")
        await walk.look("lookup again", "escape")
        await walk.look("palette", "ctrl+p", *"garc")
        await walk.look("palette closed", "escape")
        await walk.look("audit", "f6")
        await walk.look("grades", "f5")
        await walk.look("reports", "f8")
        await walk.look("catalog", "f3")
        await walk.look("terms", "f4")
        await walk.look("imports", "f10")
        app.screen.query_one("#import-path", Input).value = str(changes)
        await walk.look("import dry run", "ctrl+t")
        await walk.look("intake", "ctrl+n")
        typing = dict(zip(("birth_date", "email", "phone"), TYPED, strict=True))
        for field, value in typing.items():
            app.screen.query_one(f"#f-{field}", Input).focus()
            await pilot.press(*value)
        await walk.look("intake typed")
        await pilot.press("f9")
        await settle(pilot)
        shown = screen_text(app)
    assert walk.leaks == {}, f"shown with privacy on: {walk.leaks}"
    assert len(walk.seen) >= 25
    # The walk really reached the screens that hold these values (they show once the key is off).
    assert TYPED[0] in shown


async def test_private_form_fields_follow_the_key_both_ways(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        seed_desk(session, system.id)
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        await settle(pilot)
        birth = app.screen.query_one("#f-birth_date", Input)
        name = app.screen.query_one("#f-legal_first_name", Input)
        assert not birth.password
        await pilot.press("f9")
        await pilot.pause()
        assert birth.password and not name.password
        await pilot.press("f9")
        await pilot.pause()
        assert not birth.password

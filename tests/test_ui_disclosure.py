"""Counter services through the Pilot: c on a record opens the release consents, a adds one
from the signed form (a refusal shown beside its field), the record's band then names it and r
revokes it; the Disclosures tab lists each copy released; Ctrl+G from anywhere answers a
verification code, genuine or not; v shows the enrollment letter as it prints and releases a
copy (a confidential student's letter to a third party refused beside the consent field)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TabbedContent

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Disclosure, ReleaseConsent, VerificationLetter
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.disclosure.consents import add_consent
from recordsdesk.services.transcripts.release import release_transcript
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.disclosure.consents import AddConsentModal, ConsentsScreen
from recordsdesk.ui.screens.disclosure.genuine import VerifyCodeModal
from recordsdesk.ui.screens.disclosure.letter import LetterReleaseModal, LetterScreen
from recordsdesk.ui.screens.people.intake_form import ReasonModal
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.transcripts.preview import ExportPathModal, TranscriptScreen
from recordsdesk.ui.widgets.consent_choice import ConsentChoice
from tests.factories import (
    make_course,
    make_enrollment,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
)
from tests.screen_text import screen_text

SIZE = (120, 40)


@pytest.fixture
def student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        make_staff(session, username="clerk1", role="clerk")
        row = make_student(session, legal_first_name="Åsa", legal_last_name="[i]Berg")
        assert row.id is not None
        return row.id


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_record(pilot: Pilot[int], student_id: int) -> StudentScreen:
    await pilot.app.push_screen(StudentScreen(student_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudentScreen)
    return screen


def band(screen: StudentScreen) -> str:
    return str(screen.query_one("#record-band", Static).render())


async def test_a_clerk_adds_a_consent_the_band_names_it_and_revokes_it(
    engine: Engine, student_id: int
) -> None:
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        record = await open_record(pilot, student_id)
        assert "Release:" not in band(record)
        await pilot.press("c")
        await settle(pilot)
        consents = pilot.app.screen
        assert isinstance(consents, ConsentsScreen)
        assert consents.query_one(DataTable).row_count == 0
        await pilot.press("a")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, AddConsentModal)
        # Typed in one burst, as a fast clerk does: each Enter moves to the next field.
        await pilot.press(*"mother [Eva]", "enter", *"grades, diplomas", "enter")
        await pilot.press(*"insurance", "enter", "enter", *"2027-06-30", "enter")
        await settle(pilot)
        assert pilot.app.screen is modal
        message = str(modal.query_one("#e-records", Static).render())
        assert "'diplomas' is not a kind of record" in message
        records = modal.query_one("#f-records", Input)
        assert records.has_focus
        records.value = ""
        await pilot.press(*"grades", "ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is consents
        row = [c.plain for c in consents.query_one(DataTable).get_row_at(0)]
        assert row[1:4] == ["mother [Eva]", "grades", "insurance"]
        assert row[4:] == [date.today().isoformat(), "2027-06-30", "in force"]

        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is record
        assert "Release: mother [Eva] - grades, until 2027-06" in band(record)

        await pilot.press("c")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReasonModal)
        await pilot.press(*"student withdrew it", "enter")
        await settle(pilot)
        row = [c.plain for c in pilot.app.screen.query_one(DataTable).get_row_at(0)]
        assert row[-1].startswith("revoked") and row[-1].endswith("clerk1: student withdrew it")
        await pilot.press("escape")
        await settle(pilot)
        assert "Release:" not in band(record)
    with session_scope(engine) as session:
        consent = session.exec(select(ReleaseConsent)).one()
        assert consent.revoke_reason == "student withdrew it"
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.entity == "release_consent")
        ).all()
        assert list(actions) == ["add", "revoke"]


async def test_the_disclosures_tab_and_ctrl_g_answer_a_code(
    engine: Engine, student_id: int
) -> None:
    with session_scope(engine) as session:
        copy = release_transcript(
            session,
            actor=actor_for(session, "clerk1"),
            student_id=student_id,
            fmt="text",
            recipient="Ridge College",
            purpose="admission [fall]",
        )
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        record = await open_record(pilot, student_id)
        await pilot.press("8")
        tabs = record.query_one("#record-tabs", TabbedContent)
        assert tabs.active == "disclosures"
        assert tabs.get_tab("disclosures").label.plain == "Disclosures (1)"
        row = [c.plain for c in record.query_one("#disclosures-table", DataTable).get_row_at(0)]
        assert row[1:] == [
            "clerk1",
            "transcript",
            "Ridge College",
            "admission [fall]",
            "student's own request",
            "",
        ]
        assert copy.verification_code not in screen_text(pilot.app)  # the desk never lists codes

        await pilot.press("ctrl+g")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, VerifyCodeModal)
        await pilot.press(*copy.verification_code.lower().replace("-", " "), "enter")
        await settle(pilot)
        answer = str(modal.query_one("#verify-answer", Static).render())
        assert answer.startswith("GENUINE: unofficial transcript issued")
        assert "Released to: Ridge College" in answer
        assert "Changed since: no" in answer
        modal.query_one("#verify-code", Input).value = ""
        await pilot.press(*"1234-5678-9ABC-DEF0", "enter")
        await settle(pilot)
        answer = str(modal.query_one("#verify-answer", Static).render())
        assert answer.startswith("NOT GENUINE")
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is record
    with session_scope(engine) as session:
        lookups = session.exec(
            select(AuditEvent.actor_username).where(AuditEvent.action == "verify_code")
        ).all()
        assert list(lookups) == ["clerk1", "clerk1"]


@pytest.fixture
def enrolled_id(engine: Engine) -> int:
    """A confidential undergraduate with 12 credits in the term under way today."""
    today = date.today()
    with session_scope(engine) as session:
        make_staff(session, username="clerk2", role="clerk")
        program = make_program(session, code="BSC-LTR", name="Letters")
        term = make_term(
            session,
            code="NOWTERM",
            name="Current Term",
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=60),
            add_drop_deadline=None,
            withdraw_deadline=None,
        )
        row = make_student(
            session,
            legal_first_name="Noor",
            legal_last_name="Haddad",
            program_id=program.id,
            confidential=True,
        )
        for _ in range(3):
            course = make_course(session, credits=Decimal("4"))
            make_enrollment(session, row, make_section(session, course, term), status="registered")
        assert row.id is not None
        return row.id


async def test_v_shows_the_letter_as_it_prints_and_releases_a_copy(
    engine: Engine, enrolled_id: int, tmp_path: Path
) -> None:
    app = make_app(engine, username="clerk2")
    async with app.run_test(size=SIZE) as pilot:
        await open_record(pilot, enrolled_id)
        await pilot.press("v")
        await settle(pilot)
        letter = pilot.app.screen
        assert isinstance(letter, LetterScreen)
        page = str(letter.query_one("#letter-page", Static).render())
        assert "ENROLLMENT VERIFICATION" in page and "Noor Haddad" in page
        assert "full-time" in page and "Current Term (NOWTERM)" in page
        assert "given on release" in page  # the code comes with the copy

        await pilot.press("x")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, LetterReleaseModal)
        modal.query_one("#f-path", Input).value = str(tmp_path / "letter.txt")
        await pilot.press(*"Acme Bank", "enter", *"loan", "ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is modal  # confidential: a third party needs consent
        refusal = str(modal.query_one("#e-consent", Static).render())
        assert "confidential" in refusal and "Acme Bank" in refusal
        assert not (tmp_path / "letter.txt").exists()
        modal.query_one("#f-recipient", Input).value = ""  # handed to the student
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is letter
        text = (tmp_path / "letter.txt").read_text(encoding="utf-8")
        assert "To: To whom it may concern" in text and "full-time" in text
    with session_scope(engine) as session:
        row = session.exec(select(VerificationLetter)).one()
        assert (row.terms, row.recipient, row.format) == ("NOWTERM", "", "text")
        assert row.verification_code in text


async def test_a_letter_to_a_third_party_relies_on_a_consent_picked_from_the_list(
    engine: Engine, enrolled_id: int, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        clerk = actor_for(session, "clerk2")
        add_consent(
            session,
            actor=clerk,
            student_id=enrolled_id,
            recipient="Old landlord",
            records="enrollment",
            signed_on=date(2020, 1, 1),
            valid_until=date(2020, 12, 31),  # expired: not offered
        )
        consent = add_consent(
            session,
            actor=clerk,
            student_id=enrolled_id,
            recipient="Acme Bank",
            records="enrollment",
            signed_on=date.today(),
        )
    app = make_app(engine, username="clerk2")
    async with app.run_test(size=SIZE) as pilot:
        await open_record(pilot, enrolled_id)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, LetterReleaseModal)
        modal.query_one("#f-path", Input).value = str(tmp_path / "letter.txt")
        await pilot.press(*"Acme Bank", "enter", *"loan")
        choice = modal.query_one("#letter-consent", ConsentChoice)
        assert choice.option_count == 2  # no consent, and the one in force
        choice.focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, LetterScreen)
    with session_scope(engine) as session:
        row = session.exec(select(Disclosure)).one()
        assert (row.recipient, row.purpose, row.basis, row.consent_id) == (
            "Acme Bank",
            "loan",
            "consent",
            consent.id,
        )


async def test_a_desk_export_names_the_consent_it_relies_on(
    engine: Engine, student_id: int, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        consent = add_consent(
            session,
            actor=actor_for(session, "clerk1"),
            student_id=student_id,
            recipient="Ridge College",
            records="transcript",
            signed_on=date.today(),
        )
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        await open_record(pilot, student_id)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TranscriptScreen)
        await pilot.press("x")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, ExportPathModal)
        modal.query_one("#export-path", Input).value = str(tmp_path / "copy.txt")
        modal.query_one("#export-purpose", Input).value = "admission"
        await pilot.press(*"Ridge College")
        await settle(pilot)
        choice = modal.query_one("#export-consent", ConsentChoice)
        listed = [str(choice.get_option_at_index(i).prompt) for i in range(choice.option_count)]
        assert listed == [
            "No consent (the student's own request)",
            f"{consent.id}: Ridge College - transcript",
        ]
        choice.focus()  # picked with the arrows and Enter, never typed by number
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TranscriptScreen)
    assert (tmp_path / "copy.txt").exists()
    with session_scope(engine) as session:
        row = session.exec(select(Disclosure)).one()
        assert (row.recipient, row.purpose, row.basis, row.consent_id) == (
            "Ridge College",
            "admission",
            "consent",
            consent.id,
        )

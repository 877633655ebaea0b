"""Each released copy is its own document: its own verification code covering what it prints,
a digest of its bytes in the log, the recipient asked for at the desk and logged, and an
existing file replaced only after a yes."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import Input

from recordsdesk.db import session_scope
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.transcripts.release import check_copy, release_transcript
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.registration.dialogs import ConfirmModal
from recordsdesk.ui.screens.transcripts.preview import ExportPathModal, TranscriptScreen
from tests.factories import make_staff, make_student
from tests.transcript_data import TranscriptData, seed_transcript


@pytest.fixture
def data(engine: Engine) -> TranscriptData:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return seed_transcript(session)


@pytest.fixture
def registrar(engine: Engine, data: TranscriptData) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, "reg")


def test_every_copy_has_its_own_code_and_digest(
    engine: Engine, data: TranscriptData, registrar: Actor
) -> None:
    copies = []
    with session_scope(engine) as session:
        for official, weighted, fmt in [
            (True, False, "text"),
            (False, False, "text"),
            (False, True, "text"),
            (False, False, "json"),
            (False, False, "text"),  # the same kind again is still another copy
        ]:
            copies.append(
                release_transcript(
                    session,
                    actor=registrar,
                    student_id=data.student_id,
                    fmt=fmt,
                    official=official,
                    weighted=weighted,
                    recipient="Ridge College",
                    issued_on=date(2026, 12, 7),
                )
            )
    codes = [c.verification_code for c in copies]
    assert len(set(codes)) == len(codes)
    # Printed where the layout prints it: on official copies and in every JSON copy.
    for copy in (copies[0], copies[3]):
        assert copy.verification_code in copy.content.decode("utf-8")
    with session_scope(engine) as session:
        logged = session.exec(select(TranscriptRequest).order_by(col(TranscriptRequest.id))).all()
        assert [r.verification_code for r in logged] == codes
        assert [r.content_digest for r in logged] == [
            hashlib.sha256(c.content).hexdigest() for c in copies
        ]
        genuine = check_copy(
            session, actor=registrar, code=codes[0].lower(), content=copies[0].content
        )
        assert genuine.found and genuine.matches and genuine.official
        assert genuine.recipient == "Ridge College"
        altered = copies[0].content.replace(b"Registrar", b"Registrat")
        assert check_copy(session, actor=registrar, code=codes[0], content=altered).matches is False
        assert not check_copy(session, actor=registrar, code="0000-0000-0000-0000").found


def test_a_recipient_with_control_characters_is_refused(
    engine: Engine, data: TranscriptData, registrar: Actor
) -> None:
    with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
        release_transcript(
            session, actor=registrar, student_id=data.student_id, recipient="Eve\x1b[2J"
        )
    assert refused.value.field == "recipient"


async def open_export(pilot: Pilot[int], student_id: int, key: str = "x") -> ExportPathModal:
    await pilot.app.push_screen(StudentScreen(student_id, title="record"))
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("t")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(pilot.app.screen, TranscriptScreen)
    await pilot.press(key)
    await pilot.pause()
    modal = pilot.app.screen
    assert isinstance(modal, ExportPathModal)
    return modal


async def test_desk_export_asks_the_recipient_and_before_overwriting(
    engine: Engine, data: TranscriptData, tmp_path: Path
) -> None:
    target = tmp_path / "copy.txt"
    target.write_text("an earlier copy")
    app = make_app(engine, username="reg")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_export(pilot, data.student_id)
        assert modal.focused is modal.query_one("#export-recipient", Input)
        modal.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")  # no recipient yet: asked for, nothing released
        await pilot.pause()
        assert pilot.app.screen is modal
        await pilot.press(*"Ridge College", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "an earlier copy"

        assert isinstance(pilot.app.screen, TranscriptScreen)  # back on the preview
        await pilot.press("x")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, ExportPathModal)
        modal.query_one("#export-path", Input).value = str(target)
        await pilot.press(*"Ridge College", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert "Ødegård" in target.read_text(encoding="utf-8")
    with session_scope(engine) as session:
        logged = session.exec(select(TranscriptRequest)).all()
    assert [(r.recipient, r.format) for r in logged] == [("Ridge College", "text")]
    assert logged[0].content_digest == hashlib.sha256(target.read_bytes()).hexdigest()


async def test_suggested_path_stays_in_the_exports_folder(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        # The number, cut to the 20 characters a student number may have.
        student_id = make_student(session, student_number="/../../../outside/x").id
    app = make_app(engine, username="reg")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_export(pilot, student_id, key="e")
        suggested = Path(modal.query_one("#export-path", Input).value)
    exports = Path(tmp_path / "recordsdesk-data" / "exports")
    assert suggested.parent == exports and suggested.name.endswith(".pdf")
    assert ".." not in suggested.parts
    assert not (tmp_path / "outside").exists()


async def test_desk_print_asks_the_recipient_and_logs_it(
    engine: Engine, data: TranscriptData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_transcript_print import fake_cups

    spool = fake_cups(tmp_path, monkeypatch, printers="front-desk accepting\\n")
    app = make_app(engine, username="reg")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_export(pilot, data.student_id, key="p")
        assert not modal.query("#export-path")  # the printer needs no file name
        await pilot.press(*"Parent at the counter", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert spool.read_bytes().startswith(b"%PDF")
    with session_scope(engine) as session:
        logged = session.exec(select(TranscriptRequest)).one()
    assert (logged.recipient, logged.format) == ("Parent at the counter", "print")

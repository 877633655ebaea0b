"""The transcript preview through the Pilot: pages, toggles, figures equal to the CLI's JSON,
exports logged, official copies refused under a hold."""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path

import pytest
from rich.segment import Segment
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import Student
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.services.access.actor import Actor
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.transcripts.preview import ExportPathModal, PageView, TranscriptScreen
from tests.factories import make_hold, make_staff
from tests.transcript_data import TranscriptData, seed_transcript

SIZE = (120, 40)


@pytest.fixture
def data(engine: Engine) -> TranscriptData:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return seed_transcript(session)


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_preview(pilot: Pilot[int], student_id: int) -> TranscriptScreen:
    await pilot.app.push_screen(StudentScreen(student_id, title="Zoë"))
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TranscriptScreen)
    return screen


def shown(screen: TranscriptScreen) -> str:
    return screen.query_one("#transcript-page", PageView).text.plain


def all_pages(screen: TranscriptScreen) -> str:
    return "\n".join(line.text for page in screen.pages for line in page.lines)


def gpa_lines(text: str) -> list[tuple[str, str]]:
    """(label, GPA) from the term and cumulative figure lines of the drawn pages."""
    return re.findall(
        r"^\s+(Term|Cumulative)\s+[\d.]+\s+[\d.]+\s+GPA\s+(\S+)", text, flags=re.MULTILINE
    )


async def test_preview_agrees_with_cli_json(
    cli_admin: Actor,
    engine: Engine,
    database_url: str,
    data: TranscriptData,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["transcript", "T0001", "--format", "json", "--database", database_url]) == 0
    document = json.loads(capsys.readouterr().out)
    app: RecordsDeskApp = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, data.student_id)
        text = shown(screen)
        assert "Zoë Ødegård" in text and "UNOFFICIAL TRANSCRIPT" in text
        expected = []
        for term in document["terms"]:
            expected += [("Term", term["gpa"]), ("Cumulative", term["cumulative"]["gpa"])]
        assert gpa_lines(all_pages(screen)) == expected
        codes = {c["course_code"] for t in document["terms"] for c in t["courses"]}
        drawn = [
            (
                ln[2:14].strip(),
                ln[49:55].strip(),
                ln[57:63].strip(),
                ln[65:69].strip(),
                ln[70:78].strip(),
            )
            for ln in all_pages(screen).splitlines()
            if ln[2:14].strip() in codes and not ln.startswith("    ")
        ]
        from_json = [
            (
                c["course_code"],
                c["credits_attempted"],
                c["credits_earned"],
                c["mark"],
                c["quality_points"] or "—",
            )
            for t in document["terms"]
            for c in t["courses"]
        ]
        assert drawn == from_json
        assert re.search(rf"Cumulative GPA\s+{document['cumulative']['gpa']}", all_pages(screen))
        # the page drawn is the text renderer's page, line for line
        assert text.splitlines() == [line.text for line in screen.pages[0].lines]

        await pilot.press("w")  # weighted
        await pilot.pause()
        weighted = [(t["weighted_gpa"]) for t in document["terms"]]
        assert [g for label, g in gpa_lines(all_pages(screen)) if label == "Term"] == weighted
        await pilot.press("o")  # official: the registrar may
        await pilot.pause()
        assert "OFFICIAL TRANSCRIPT" in shown(screen) and "UNOFFICIAL" not in shown(screen)


async def test_pages_and_export_is_logged(
    engine: Engine, data: TranscriptData, tmp_path: Path
) -> None:
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, data.student_id)
        assert "Page 1 of" in shown(screen)
        await pilot.press("pagedown")
        await pilot.pause()
        assert screen.page_index == min(1, len(screen.pages) - 1)
        await pilot.press("pageup")
        assert screen.page_index == 0
        await pilot.press("x")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, ExportPathModal)
        path_input = modal.query_one("#export-path", Input)
        assert "exports" in path_input.value  # the data dir's exports folder by default
        path_input.value = str(tmp_path / "copy.txt")
        modal.query_one("#export-recipient", Input).value = "Admissions, Ridge College"
        await pilot.press("enter")
        await settle(pilot)
        assert "Zoë Ødegård" in (tmp_path / "copy.txt").read_text(encoding="utf-8")
    with session_scope(engine) as session:
        request = session.exec(select(TranscriptRequest)).one()
        assert (request.format, request.official) == ("text", False)
        assert request.recipient == "Admissions, Ridge College"


async def test_official_export_refused_under_hold_names_it(
    engine: Engine, data: TranscriptData, tmp_path: Path, system: Actor
) -> None:
    with session_scope(engine) as session:
        make_hold(
            session,
            session.get(Student, data.student_id),
            placed_by_id=system.id,
            hold_type="library",
            blocks_transcript=True,
            reason="Overdue atlas",
        )
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, data.student_id)
        await pilot.press("o")
        await pilot.pause()
        status = screen.query_one("#transcript-status", Static).content
        assert "Overdue atlas" in str(status)
        await pilot.press("e")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, ExportPathModal)
        modal.query_one("#export-path", Input).value = str(tmp_path / "x.pdf")
        modal.query_one("#export-recipient", Input).value = "Ridge College"
        await pilot.press("enter")
        await settle(pilot)
        messages = [n.message for n in pilot.app._notifications]
        assert any("library hold" in m and "Overdue atlas" in m for m in messages), messages
    assert not (tmp_path / "x.pdf").exists()
    with session_scope(engine) as session:
        assert session.exec(select(TranscriptRequest)).all() == []


async def test_clerk_cannot_switch_to_official(engine: Engine, data: TranscriptData) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="clk", role="clerk")
    app = make_app(engine, username="clk")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, data.student_id)
        await pilot.press("o")
        await pilot.pause()
        assert not screen.official and "UNOFFICIAL" in shown(screen)


async def test_privacy_key_masks_the_birth_date_and_a_confidential_record_keeps_its_banner(
    engine: Engine, data: TranscriptData
) -> None:
    from recordsdesk.ui.privacy import MASK
    from recordsdesk.ui.widgets.confidential import ConfidentialBanner

    with session_scope(engine) as session:
        student = session.get(Student, data.student_id)
        assert student is not None and student.birth_date is not None
        birth = student.birth_date.isoformat()
        student.confidential = True
    app: RecordsDeskApp = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, data.student_id)
        assert screen.query_one(ConfidentialBanner).has_class("-shown")
        assert birth in shown(screen)
        await pilot.press("f9")
        await settle(pilot)
        assert birth not in shown(screen) and MASK in shown(screen)
        assert birth in all_pages(screen)  # only the screen is masked: print and export are not
        await pilot.press("f9")
        await settle(pilot)
        assert birth in shown(screen)


async def test_preview_screen_is_reused_for_the_next_record_and_made_anew_while_in_use(
    engine: Engine, data: TranscriptData
) -> None:
    """The installed preview shows the next student afresh (page 1, unofficial, nothing of the
    last one); while it is open in one area, t in another area gets a screen of its own,
    which lets go of the app when closed."""
    with session_scope(engine) as session:
        child = session.exec(
            select(Student).where(Student.student_number == data.elementary_number)
        ).one()
        assert child.id is not None
        child_id = child.id
    app: RecordsDeskApp = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        first = await open_preview(pilot, data.student_id)
        await pilot.press("o", "pagedown")
        await settle(pilot)
        assert first.official
        await pilot.press("escape", "escape")
        second = await open_preview(pilot, child_id)
        assert second is first
        assert gc.isenabled()  # held while the page was drawn, collecting again after
        assert "小龍" in shown(second) and "Ødegård" not in all_pages(second)
        assert not second.official and second.page_index == 0 and "UNOFFICIAL" in shown(second)
        drawn_pages = [page for page, _ in second._drawn.values()]
        assert all("小龍" in "".join(ln.text for ln in p.lines) for p in drawn_pages)

        app.switch_mode("catalog")  # the preview stays open in the lookup area
        await settle(pilot)
        third = await open_preview(pilot, data.student_id)
        assert third is not second and "Ødegård" in shown(third)
        await pilot.press("escape")
        await settle(pilot)
        watchers = getattr(app, "__watchers", {}).get("privacy", [])
        assert all(node is not third for node, _ in watchers)


def test_page_strips_are_what_rich_draws_of_the_page(
    engine: Engine, data: TranscriptData, system: Actor
) -> None:
    """The preview's strips, made straight from the layout, hold cell for cell what Rich
    draws of the page's Text (the text renderer's page), on both seeded records."""
    from datetime import date

    from rich.console import Console
    from rich.style import Style

    from recordsdesk.render.transcript_layout import RenderOptions, layout
    from recordsdesk.render.transcript_rich import page_rich
    from recordsdesk.services.transcripts.builder import build_transcript
    from recordsdesk.ui.screens.transcripts.page import drawn_page

    def cells(segments: list[Segment]) -> list[tuple[str, Style]]:
        out = [(ch, seg.style or Style.null()) for seg in segments for ch in seg.text]
        while out and out[-1][0] == " " and not out[-1][1]:
            out.pop()  # an unstyled blank at the end of a line draws nothing
        return out

    console = Console(width=120, color_system="truecolor")
    with session_scope(engine) as session:
        numbers = (data.student_number, data.elementary_number)
        students = session.exec(select(Student).where(Student.student_number.in_(numbers)))
        transcripts = [
            build_transcript(session, actor=system, student_id=s.id or 0) for s in students
        ]
    for transcript in transcripts:
        for official in (False, True):
            options = RenderOptions(
                official=official, issued_on=date.today(), verification_code="X"
            )
            for page in layout(transcript, options):
                rich_lines = console.render_lines(page_rich(page), console.options, pad=False)
                _, strips = drawn_page(page)
                assert len(strips) == len(rich_lines)
                for strip, line in zip(strips, rich_lines, strict=True):
                    assert cells(list(strip)) == cells(line)

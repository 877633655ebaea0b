"""The PDF renderer's speed-ups keep the page: joined runs stay on the layout's columns, and a
character outside the lean cut of DejaVu Sans Mono still prints (from the whole font)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from sqlalchemy import Engine

from recordsdesk.db import session_scope
from recordsdesk.render import font_cut, transcript_pdf
from recordsdesk.render.transcript_layout import Line, RenderOptions, Span
from recordsdesk.render.transcript_pdf import _families_needed, _runs, render_pdf
from recordsdesk.resources import data_path
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.transcripts.builder import build_transcript
from tests.transcript_data import seed_transcript


def test_runs_join_one_style_on_the_grid_only() -> None:
    line = Line(
        spans=(
            Span(2, "MATH101", ""),
            Span(15, "Calculus — I", ""),
            Span(52, "3.00", ""),
            Span(65, "B+", "bold"),
            Span(74, "9.90", ""),
            Span(80, "Zoë 李", ""),
            Span(88, "end", ""),
        )
    )
    runs = _runs(line)
    assert runs[0] == (2, "MATH101      Calculus — I" + " " * 25 + "3.00", "")
    assert runs[1] == (65, "B+", "bold")
    # "李" is drawn by a fallback font whose width is not one cell: its run stands alone, at
    # its own column, and nothing joins after it.
    assert runs[2:] == [(74, "9.90", ""), (80, "Zoë 李", ""), (88, "end", "")]
    title = Line(spans=(Span(0, "2024FA", "title"), Span(8, "Fall", "title")))
    assert len(_runs(title)) == 2  # titles are underlined to their own end


def test_characters_beyond_the_lean_font_use_the_whole_font() -> None:
    assert _families_needed(["Zoë Ødegård — O'Brien-Smith Thị"]) == []
    assert _families_needed(["Ἀθηνᾶ"]) == ["monofull"]
    assert _families_needed(["Ἀθηνᾶ 李"])[0] == "monofull"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_text_of_a_name_in_polytonic_greek(
    engine: Engine,
    system: Actor,
    tmp_path: Path,
    isolated_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transcript_pdf, "_LEAN_FILES", {})  # as in a fresh process
    with session_scope(engine) as session:
        data = seed_transcript(session, name=("Ἀθηνᾶ", "Ødegård"))
    with session_scope(engine) as session:
        transcript = build_transcript(session, actor=system, student_id=data.student_id)
    options = RenderOptions(official=False, issued_on=date(2026, 11, 25), verification_code="X")
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(render_pdf(transcript, options))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Ἀθηνᾶ Ødegård" in text
    assert "UNOFFICIAL" in text and "MATH101" in text
    lean = list((isolated_data_dir / "cache" / "fonts").glob("DejaVuSansMono-lean-*.ttf"))
    assert lean, "the lean font is kept in the data folder's cache"
    shutil.rmtree(isolated_data_dir / "cache")  # a cleared cache is made again
    assert render_pdf(transcript, options).startswith(b"%PDF")


def test_a_cut_font_keeps_the_glyphs_it_is_asked_for_and_follows_its_file(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mono.ttf"
    shutil.copyfile(data_path("fonts/DejaVuSansMono.ttf"), source)
    wanted = {ord(c) for c in "Aé 李"}  # é is drawn from two glyphs; DejaVu has no 李
    cut = tmp_path / "cut.ttf"
    font_cut.cut_font(str(source), wanted, cut)
    whole, small = TTFont(str(source)), TTFont(str(cut))
    assert set(small.getBestCmap()) == {ord(c) for c in "Aé "}
    for char in "Aé":
        name, small_name = whole.getBestCmap()[ord(char)], small.getBestCmap()[ord(char)]
        ours, theirs = small["glyf"][small_name], whole["glyf"][name]
        assert ours.getCoordinates(small["glyf"])[0] == theirs.getCoordinates(whole["glyf"])[0]
        assert small["hmtx"][small_name] == whole["hmtx"][name]
    assert small["head"].unitsPerEm == whole["head"].unitsPerEm
    # The parsed source is kept for the process until its file changes.
    shutil.copyfile(data_path("fonts/DejaVuSans.ttf"), source)
    font_cut.cut_font(str(source), wanted, cut)
    assert "Sans Mono" not in TTFont(str(cut))["name"].getBestFullName()

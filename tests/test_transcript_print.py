"""Printing through CUPS, with stand-in `lp`/`lpstat` scripts on PATH (no real printer)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from recordsdesk.db import session_scope
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.transcripts.printing import PrintingUnavailable, choose_printer, print_pdf
from recordsdesk.services.transcripts.release import print_transcript
from tests.transcript_data import seed_transcript


def fake_cups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, printers: str, lp_rc: int = 0
) -> Path:
    """Put `lpstat` and `lp` scripts first on PATH; `lp` saves the job to spool.pdf."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lpstat").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-d" ]; then echo "system default destination: front-desk"; exit 0; fi\n'
        f"printf '{printers}'\n"
    )
    (bin_dir / "lp").write_text(
        f"#!/bin/sh\ncat > {tmp_path}/spool.pdf\n"
        + (
            "echo 'request id is front-desk-42 (1 file(s))'\n"
            if lp_rc == 0
            else "echo 'lp: jammed' >&2\n"
        )
        + f"exit {lp_rc}\n"
    )
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "spool.pdf"


def test_no_cups_is_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrintingUnavailable, match="CUPS"):
        print_pdf(b"%PDF", title="t")


def test_no_printer_is_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_cups(tmp_path, monkeypatch, printers="")
    with pytest.raises(PrintingUnavailable, match="No printer"):
        choose_printer()


def test_default_printer_chosen_and_job_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spool = fake_cups(
        tmp_path, monkeypatch, printers="back-office accepting\\nfront-desk accepting\\n"
    )
    job = print_pdf(b"%PDF-1.4 test", title="t")
    assert (job.printer, job.job) == ("front-desk", "front-desk-42")
    assert spool.read_bytes() == b"%PDF-1.4 test"
    with pytest.raises(PrintingUnavailable, match="no printer 'attic'"):
        choose_printer("attic")


def test_print_is_logged_only_when_cups_takes_it(
    engine: Engine, system: Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        data = seed_transcript(session)
    (tmp_path / "a").mkdir()
    fake_cups(tmp_path / "a", monkeypatch, printers="front-desk accepting\\n", lp_rc=1)
    with pytest.raises(PrintingUnavailable, match="jammed"), session_scope(engine) as session:
        print_transcript(session, actor=system, student_id=data.student_id)
    with session_scope(engine) as session:
        assert session.exec(select(TranscriptRequest)).all() == []
    (tmp_path / "b").mkdir()
    spool = fake_cups(tmp_path / "b", monkeypatch, printers="front-desk accepting\\n")
    with session_scope(engine) as session:
        copy, job = print_transcript(session, actor=system, student_id=data.student_id)
    assert spool.read_bytes().startswith(b"%PDF") and job.printer == "front-desk"
    with session_scope(engine) as session:
        request = session.exec(select(TranscriptRequest)).one()
        assert (request.format, request.verification_code) == ("print", copy.verification_code)

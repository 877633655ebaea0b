"""`recordsdesk transcript` and `settings` end to end; the PDF read back as image and text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import Institution, Student
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.services.access.actor import Actor
from tests.factories import make_hold, make_staff, make_student
from tests.transcript_data import seed_transcript

NAMES = ["Zoë Ødegård", "Nguyễn Thị Minh Khai", "李小龍", "O'Brien-Smith"]


@pytest.fixture
def seeded(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_transcript(session)
        make_staff(session, username="reg", role="registrar")
        make_staff(session, username="clk", role="clerk")
        make_student(
            session,
            student_number="N0002",
            legal_first_name="Nguyễn Thị Minh",
            legal_last_name="Khai",
        )
        make_student(session, student_number="N0003", legal_first_name="", legal_last_name="李小龍")
        make_student(
            session,
            student_number="N0004",
            legal_first_name="Siobhán",
            legal_last_name="O'Brien-Smith",
        )


def test_json_output(
    cli_admin: Actor, database_url: str, seeded: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcript", "T0001", "--format", "json", "--database", database_url]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [t["gpa"] for t in document["terms"]] == ["3.70", "3.65"]
    assert document["cumulative"]["gpa"] == "3.67"
    assert document["copy"]["official"] is False and document["copy"]["verification_code"]
    spring = document["terms"][1]
    assert spring["courses"][1] == {
        "course_code": "HON200",
        "title": "Honors Colloquium",
        "credits": "3.00",
        "credits_attempted": "3.00",
        "credits_earned": "3.00",
        "mark": "A",
        "quality_points": "12.00",
        "weighted_quality_points": "15.00",
        "repeat": "included",
        "repeated": False,
        "grading_basis": "graded",
    }


def test_unknown_student_and_wrong_role(
    cli_login: Callable[..., Actor],
    cli_admin: Actor,
    database_url: str,
    seeded: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["transcript", "NOPE", "--database", database_url]) == 2
    assert "no student NOPE" in capsys.readouterr().err
    cli_login("clk")
    assert (
        main(["transcript", "T0001", "--official", "--user", "clk", "--database", database_url])
        == 2
    )
    assert "registrar" in capsys.readouterr().err


def test_official_refused_under_hold(
    cli_login: Callable[..., Actor],
    engine: Engine,
    database_url: str,
    seeded: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with session_scope(engine) as session:
        student = session.exec(select(Student).where(Student.student_number == "T0001")).one()
        make_hold(
            session,
            student,
            placed_by_id=1,
            hold_type="financial",
            blocks_transcript=True,
            reason="Tuition balance due",
        )
    cli_login("reg")
    code = main(["transcript", "T0001", "--official", "--user", "reg", "--database", database_url])
    assert code == 2
    assert "financial hold" in capsys.readouterr().err
    with session_scope(engine) as session:
        assert session.exec(select(TranscriptRequest)).all() == []


def test_settings_commands(
    cli_admin: Actor, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings", "show", "--json", "--database", database_url]) == 0
    assert json.loads(capsys.readouterr().out)["gpa_decimals"] == "2"
    assert main(["settings", "set", "gpa_decimals", "3", "--database", database_url]) == 0
    # One line per setting, the values aligned after the longest key.
    assert re.search(r"^gpa_decimals +3$", capsys.readouterr().out, re.MULTILINE)
    assert main(["settings", "set", "gpa_decimals", "x", "--database", database_url]) == 2
    assert "gpa_decimals" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler-utils (.ci/run installs it)"
)
def test_pdf_renders_every_name(
    cli_login: Callable[..., Actor], engine: Engine, database_url: str, seeded: None, tmp_path: Path
) -> None:
    cli_login("reg")
    for number, name in zip(["T0001", "N0002", "N0003", "N0004"], NAMES, strict=True):
        pdf = tmp_path / f"{number}.pdf"
        args = ["transcript", number, "--format", "pdf", "-o", str(pdf), "--official"]
        assert main([*args, "--user", "reg", "--database", database_url]) == 0
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert name in text, (name, text[:400])
        assert "OFFICIAL TRANSCRIPT" in text and "Page 1 of 1" in text
        if number == "T0001":
            assert "Registrar:" in text and "3.67" in text and "UNOFFICIAL" not in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "T0001.pdf"), str(tmp_path / "page")],
        check=True,
    )
    png = tmp_path / "page-1.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    unofficial = tmp_path / "u.pdf"
    assert (
        main(
            [
                "transcript",
                "T0001",
                "--format",
                "pdf",
                "-o",
                str(unofficial),
                "--database",
                database_url,
            ]
        )
        == 0
    )
    text = subprocess.run(
        ["pdftotext", str(unofficial), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("UNOFFICIAL") >= 2
    with session_scope(engine) as session:
        assert len(session.exec(select(TranscriptRequest)).all()) == 5


def test_html_escapes_names(
    cli_admin: Actor, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(engine) as session:
        make_student(session, student_number="H1", legal_first_name="<script>", legal_last_name="X")
    assert main(["transcript", "H1", "--format", "html", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert "&lt;script&gt;" in out and "<script>" not in out


def test_idle_lock_minutes_is_a_setting(
    cli_admin: Actor, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings", "set", "idle_lock_minutes", "12", "--database", database_url]) == 0
    capsys.readouterr()
    assert main(["settings", "show", "--json", "--database", database_url]) == 0
    assert json.loads(capsys.readouterr().out)["idle_lock_minutes"] == "12"
    for bad in ("-1", "ten", "481"):
        assert main(["settings", "set", "idle_lock_minutes", bad, "--database", database_url]) == 2
        assert "idle_lock_minutes" in capsys.readouterr().err
    engine = open_database(database_url)
    with session_scope(engine) as session:
        assert session.exec(select(Institution)).one().idle_lock_minutes == 12
    engine.dispose()

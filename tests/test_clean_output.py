"""Nothing stored is obeyed: names with terminal escapes are shown, not sent (text transcript,
report table, import listing, the lookup list), spreadsheet cells never start a formula
(report CSV, OneRoster export), and control characters are refused on the way in with the
same message on both engines."""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.interchange.exports.oneroster import export_oneroster
from recordsdesk.services.interchange.imports.common import ImportFailed
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.shared.errors import ValidationFailed
from tests.factories import make_hold, make_staff, make_student
from tests.transcript_data import seed_transcript

#: Clears the screen, then an OSC 8 link that a terminal would make clickable.
HOSTILE = "Eve\x1b[2J\x1b]8;;http://evil.example/\x07click me\x1b]8;;\x07"
FORMULAS = ("=cmd|'/c calc'!A1", "+SUM(1+1)*cmd|' /C calc'!A0", '=HYPERLINK("http://e.example")')


def store_raw(engine: Engine, student_id: int, **columns: str) -> None:
    """Write values as an older version of the desk could have stored them (no checks)."""
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    with session_scope(engine) as session:
        session.execute(
            text(f"UPDATE student SET {sets} WHERE id = :id"), {**columns, "id": student_id}
        )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def signed_in(cli_admin: Actor) -> Actor:
    """Every command here runs signed in as an administrator (a token in the environment)."""
    return cli_admin


def test_text_transcript_shows_escapes_instead_of_sending_them(
    database_url: str, engine: Engine, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    with session_scope(engine) as session:
        data = seed_transcript(session)
    store_raw(engine, data.student_id, legal_last_name=HOSTILE)
    assert main(["transcript", data.student_number, "--database", database_url]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert "\x1b" not in out and "\x07" not in out
    assert "Eve␛[2J␛]8;;http://evil.example/␇click me" in out


def test_report_table_and_csv_are_harmless(
    database_url: str,
    engine: Engine,
    system: Actor,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        for number, formula in enumerate(FORMULAS):
            student = make_student(session, student_number=f"F{number}", legal_last_name=formula)
            make_hold(session, student, placed_by_id=system.id, reason="-2+3 owed")
        escaped = make_student(session, student_number="E1")
        make_hold(session, escaped, placed_by_id=system.id)
    store_raw(engine, escaped.id, legal_last_name=HOSTILE)
    base = ["report", "holds", "--database", database_url]

    assert main(base) == 0
    table = capsys.readouterr().out
    assert "\x1b" not in table and "\x07" not in table and "Eve␛[2J" in table

    target = tmp_path / "holds.csv"
    assert main([*base, "--format", "csv", "-o", str(target)]) == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert any(c.startswith("'=cmd|") for c in cells)
    assert any(c == "'-2+3 owed" for c in cells)
    assert any("\x1b" in c for c in cells)  # the file keeps the value; only a terminal escapes


def test_report_csv_keeps_negative_figures_as_numbers() -> None:
    from decimal import Decimal

    from recordsdesk.services.reports import ReportTable, to_csv

    table = ReportTable(
        name="t",
        title="T",
        subtitle="",
        columns=("Name", "Change"),
        rows=(("-Bob", Decimal("-3.5")), ("=1+1", -2)),
    )
    assert to_csv(table).splitlines() == ["Name,Change", "'-Bob,-3.5", "'=1+1,-2"]


def test_oneroster_export_neutralises_formulas_and_reads_back_unchanged(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        make_student(
            session,
            student_number="F1",
            legal_first_name=FORMULAS[0],
            legal_last_name="@Lovelace",
            phone="+1 555 0100",
        )
    folder = tmp_path / "set"
    with session_scope(engine) as session:
        export_oneroster(session, actor=system, folder=folder)
    with (folder / "users.csv").open(encoding="utf-8") as handle:
        users = {row["identifier"]: row for row in csv.DictReader(handle)}
    assert users["F1"]["givenName"] == "'" + FORMULAS[0]
    assert users["F1"]["familyName"] == "'@Lovelace"
    every_cell = [
        cell
        for path in folder.glob("*.csv")
        for row in csv.reader(path.open(encoding="utf-8"))
        for cell in row
    ]
    assert not [c for c in every_cell if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert mode(folder) == 0o700 and {mode(p) for p in folder.iterdir()} == {0o600}
    # The desk's own import undoes the quoting: the same records, nothing to change.
    again = run_import(engine, actor=system, kind="oneroster", path=folder, dry_run=True)
    assert again.total_changes == 0, again.changes


def test_import_refuses_control_characters_naming_line_and_column(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    source = tmp_path / "students.csv"
    source.write_text(
        "student_number,last_name,first_name\nS1,Lovelace,Ada\nS2,Eve\x1b[2J,Mallory\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as refused:
        run_import(engine, actor=system, kind="students", path=source)
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.column) == ("students.csv", 3, "last_name")
    assert "U+001B (ESC)" in problem.message
    with session_scope(engine) as session:
        assert session.exec(select(Student).where(Student.student_number == "S1")).all() == []


def test_import_listing_on_the_command_line_is_escaped(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "students.csv"
    source.write_text("student_number,last_name\nS2,Eve\x1b]8;;http://e/\x07x\n", encoding="utf-8")
    assert main(["import", "students", str(source), "--database", database_url]) != 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "students.csv:2: last_name" in err


@pytest.mark.parametrize("value", ["Bad\x00Name", "Eve\x1b[2J", "Tab\there", "C1\x9b"])
def test_orm_writes_refuse_control_characters_on_both_engines(engine: Engine, value: str) -> None:
    """SQLite stored a NUL silently and PostgreSQL failed with a driver traceback; now both
    refuse it the same way, naming the field."""
    with session_scope(engine) as session:
        student_id = make_student(session).id
    with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
        student = session.get(Student, student_id)
        assert student is not None
        student.legal_last_name = value
    assert refused.value.field == "legal_last_name"
    with session_scope(engine) as session:
        assert session.get(Student, student_id).legal_last_name == "Lovelace"  # type: ignore[union-attr]


def test_an_old_value_can_be_kept_while_editing_and_then_corrected(
    engine: Engine, system: Actor
) -> None:
    from recordsdesk.models import AuditEvent
    from recordsdesk.services.people.student import update_student

    with session_scope(engine) as session:
        student_id = make_student(session).id
    store_raw(engine, student_id, legal_last_name="Eve\x1b[2J\x9b\x7f")
    with session_scope(engine) as session:
        student = session.get(Student, student_id)
        assert student is not None
        student.phone = "555 0100"
    with session_scope(engine) as session:
        student = session.get(Student, student_id)
        assert student is not None and student.phone == "555 0100"
        update_student(
            session,
            actor=system,
            student_id=student_id,
            expected_version=student.version,
            changes={"legal_last_name": "Eve"},
        )
    with session_scope(engine) as session:
        assert session.get(Student, student_id).legal_last_name == "Eve"  # type: ignore[union-attr]
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
        assert "\x9b" in (event.before or "")  # the bad value, recorded as it was


async def test_lookup_list_shows_escapes_visibly(engine: Engine) -> None:
    from recordsdesk.ui.app import make_app
    from recordsdesk.ui.screens.lookup.table import LookupTable

    with session_scope(engine) as session:
        make_staff(session, username="clk", role="clerk")
        student_id = make_student(session, student_number="E77", legal_last_name="Evening").id
    store_raw(engine, student_id, legal_first_name="Eve\x1b[2J\x1b]8;;http://e/\x07x")
    app = make_app(engine, username="clk")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press(*"evening")
        for _ in range(2):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        table = pilot.app.screen.query_one(LookupTable)
        assert table.row_count == 1
        drawn = "".join(segment.text for y in range(3) for segment in table.render_line(y))
    assert "\x1b" not in drawn and "\x07" not in drawn
    assert "␛[2J␛]8;;http://e/␇x" in drawn


def test_umask_does_not_widen_cli_outputs(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        data = seed_transcript(session)
    previous = os.umask(0o022)
    try:
        target = tmp_path / "t.pdf"
        assert main(["transcript", data.student_number, "--format", "pdf", "-o", str(target),
                     "--database", database_url]) == 0  # fmt: skip
    finally:
        os.umask(previous)
    assert mode(target) == 0o600


def test_json_transcript_escapes_del_and_c1_and_keeps_the_value(
    database_url: str, engine: Engine, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    import json

    with session_scope(engine) as session:
        data = seed_transcript(session)
    store_raw(engine, data.student_id, legal_last_name="Eve\x9b2J\x7f\x1b[2J")
    code = main(["transcript", data.student_number, "--format", "json", "--database", database_url])
    assert code == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert not any(c in out for c in ("\x9b", "\x7f", "\x1b"))
    assert json.loads(out)["student"]["name"].endswith("Eve\x9b2J\x7f\x1b[2J")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_spells_escapes_the_fonts_cannot_draw(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    from datetime import date

    from recordsdesk.render.transcript_layout import RenderOptions
    from recordsdesk.render.transcript_pdf import render_pdf
    from recordsdesk.services.transcripts.builder import build_transcript

    with session_scope(engine) as session:
        data = seed_transcript(session)
    store_raw(engine, data.student_id, legal_last_name=HOSTILE)
    with session_scope(engine) as session:
        transcript = build_transcript(session, actor=system, student_id=data.student_id)
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(render_pdf(transcript, RenderOptions(issued_on=date(2026, 12, 7))))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Eve\\x1b[2J\\x1b]8;;http://evil.example/\\x07click me" in text

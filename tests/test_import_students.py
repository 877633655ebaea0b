"""`import students`: dry run, every fault named by line and column, idempotence, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.interchange.imports.common import ImportFailed
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.shared.errors import PermissionDenied
from tests.factories import make_program, make_staff
from tests.import_helpers import DATA


def _students(engine: Engine) -> dict[str, Student]:
    with session_scope(engine) as session:
        return {s.student_number: s for s in session.exec(select(Student))}


def _audit_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_dry_run_apply_and_rerun(engine: Engine, system: Actor) -> None:
    good = DATA / "students_good.csv"
    dry = run_import(engine, actor=system, kind="students", path=good, dry_run=True)
    assert (dry.count("student").new, dry.total_changes) == (3, 3)
    assert dry.changes[0] == "line 2: new student S1001 García, José"
    assert _students(engine) == {} and _audit_count(engine) == 0

    applied = run_import(engine, actor=system, kind="students", path=good)
    assert applied.count("student").new == 3
    rows = _students(engine)
    assert rows["S1001"].legal_first_name == "José" and rows["S1003"].confidential is True
    assert rows["S1002"].legal_first_name == "[b]Bob" and rows["S1002"].status == "applicant"

    again = run_import(engine, actor=system, kind="students", path=good)
    assert again.total_changes == 0 and again.count("student").unchanged == 3
    with session_scope(engine) as session:
        logged = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        assert [(e.action, e.entity) for e in logged] == [("create", "student")] * 3 + [
            ("import", "file")  # the file's own event, after its students'
        ]
        events = logged[:3]
        assert {e.student_id for e in events} == {s.id for s in rows.values()}
        assert json.loads(events[0].after or "{}")["legal_last_name"] == "García"
        assert verify_chain(session, actor=system).intact


def test_update_changes_only_the_files_columns(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        program = make_program(session, code="BSC")
    run_import(engine, actor=system, kind="students", path=DATA / "students_good.csv")
    before = _students(engine)["S1001"]
    update = tmp_path / "update.csv"
    update.write_text("Student_Number,EMAIL,program\nS1001,new@example.org,bsc\nS1002,,\n")
    report = run_import(engine, actor=system, kind="students", path=update)
    assert (report.count("student").updated, report.count("student").unchanged) == (1, 1)
    after = _students(engine)["S1001"]
    assert (after.email, after.program_id, after.version) == (
        "new@example.org",
        program.id,
        before.version + 1,
    )
    assert after.legal_first_name == "José"  # not a column of the file: kept
    with session_scope(engine) as session:
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "student")
            .order_by(col(AuditEvent.id).desc())
        ).first()
        assert event is not None and event.action == "update"
        assert json.loads(event.before or "{}") == {
            "email": "jose@example.org",
            "program_id": None,
            "version": 1,
        }


def test_every_fault_is_named_and_nothing_is_written(engine: Engine, system: Actor) -> None:
    with pytest.raises(ImportFailed) as failed:
        run_import(engine, actor=system, kind="students", path=DATA / "students_faults.csv")
    found = {(p.line, p.column): p.message for p in failed.value.problems}
    assert set(found) == {
        (2, "birth_date"),
        (3, "last_name"),
        (4, "email"),
        (5, "student_number"),
        (6, "program"),
        (7, ""),
        (8, "birth_date"),
        (9, "status"),
        (10, "student_number"),
        (11, "departure_date"),
        (12, "class_year"),
        (13, "confidential"),
    }
    assert "not UTF-8" in found[(7, "")] and "line 4" in found[(5, "student_number")]
    assert all(p.file == "students_faults.csv" for p in failed.value.problems)
    assert str(failed.value.problems[0]).startswith("students_faults.csv:2: birth_date:")
    assert _students(engine) == {} and _audit_count(engine) == 0


def test_missing_column_and_unknown_column(engine: Engine, system: Actor, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("number,first_name,shoe_size\nS1,Ann,9\n")
    with pytest.raises(ImportFailed) as failed:
        run_import(engine, actor=system, kind="students", path=bad)
    messages = [str(p) for p in failed.value.problems]
    assert any("no 'student_number' column" in m for m in messages)
    assert any("unknown column 'shoe_size'" in m for m in messages)


def test_a_clerk_may_not_import(engine: Engine) -> None:
    with session_scope(engine) as session:
        clerk = make_staff(session, role="clerk")
        actor = actor_for(session, clerk.username)
    with pytest.raises(PermissionDenied):
        run_import(engine, actor=actor, kind="students", path=DATA / "students_good.csv")


def test_command_line(
    database_url: str, cli_admin: Actor, capsys: pytest.CaptureFixture[str]
) -> None:
    faults = str(DATA / "students_faults.csv")
    assert main(["import", "students", faults, "--database", database_url]) == 1
    err = capsys.readouterr().err
    assert "ERROR students_faults.csv:3: last_name:" in err and "12 problems" in err
    good = str(DATA / "students_good.csv")
    assert main(["import", "students", good, "--dry-run", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert "3 records would change" in out and "Dry run: nothing was changed." in out
    assert main(["import", "students", good, "--database", database_url]) == 0
    assert main(["import", "students", good, "--database", database_url]) == 0
    assert "0 records changed" in capsys.readouterr().out


def test_large_import_keeps_the_lookup_index(
    engine: Engine, system: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the first chunk, SQLite's index triggers are set aside and the new rows indexed in
    bulk (services/interchange/imports/name_index.py): every row must still be findable, the
    triggers back."""
    from sqlalchemy import text

    from recordsdesk.services.interchange.imports import students

    monkeypatch.setattr(students, "_WRITE_CHUNK", 2)
    rows = ["student_number,last_name,first_name"] + [f"L{n},Zyx{n},Émile{n}" for n in range(7)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(rows) + "\n")

    def triggers() -> int:
        with session_scope(engine) as session:
            if engine.dialect.name != "sqlite":
                return 3
            return session.execute(
                text(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'student' AND name LIKE 'student_name_fts%'"
                )
            ).scalar_one()

    run_import(engine, actor=system, kind="students", path=path, dry_run=True)
    assert triggers() == 3 and _students(engine) == {}
    run_import(engine, actor=system, kind="students", path=path)
    assert triggers() == 3
    with session_scope(engine) as session:
        terms = set(session.execute(text("SELECT value FROM name_term")).scalars())
        assert {f"Zyx{n}" for n in range(7)} <= terms and "Émile6" in terms
        if engine.dialect.name == "sqlite":
            found = (
                session.execute(
                    text("SELECT rowid FROM student_name_fts WHERE student_name_fts MATCH 'zyx6'")
                )
                .scalars()
                .all()
            )
            assert found == [_students(engine)["L6"].id]


def test_bom_crlf_and_quoted_cells(engine: Engine, system: Actor, tmp_path: Path) -> None:
    """A spreadsheet's CSV: a BOM, CRLF line ends, quoted commas, a blank line; a line break
    inside a quoted name is refused (it names the record's first line)."""
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b'\xef\xbb\xbfStudent_Number,Last_Name,First_Name\r\nC1,"Smith, Jr.",Ann\r\n\r\n'
        b'C2,Lee,"Bo\r\nBo"\r\nC3,Ray,Cy\r\n'
    )
    with pytest.raises(ImportFailed) as failed:
        run_import(engine, actor=system, kind="students", path=path)
    assert [(p.line, p.column) for p in failed.value.problems] == [(4, "first_name")]
    path.write_bytes(path.read_bytes().replace(b'"Bo\r\nBo"', b"Bo"))
    report = run_import(engine, actor=system, kind="students", path=path)
    assert report.count("student").new == 3
    assert _students(engine)["C1"].legal_last_name == "Smith, Jr."

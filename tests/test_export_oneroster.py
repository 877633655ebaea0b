"""`export oneroster`: admin only, confidential students left out unless asked, audited."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.interchange.exports.oneroster import export_oneroster
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from tests.factories import make_staff
from tests.import_helpers import DATA


def _users(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "users.csv").open(encoding="utf-8") as handle:
        return {row["identifier"]: row for row in csv.DictReader(handle) if row["identifier"]}


def test_confidential_students_are_left_out_unless_asked(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    run_import(engine, actor=system, kind="students", path=DATA / "students_good.csv")
    with session_scope(engine) as session:
        result = export_oneroster(session, actor=system, folder=tmp_path / "plain")
    assert set(_users(tmp_path / "plain")) == {"S1001", "S1002"}
    assert result.confidential_excluded == 1 and "1 confidential" in result.summary()
    with session_scope(engine) as session:
        export_oneroster(session, actor=system, folder=tmp_path / "all", include_confidential=True)
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(col(AuditEvent.id))
        ).all()
    assert set(_users(tmp_path / "all")) == {"S1001", "S1002", "S1003"}
    assert _users(tmp_path / "all")["S1001"]["givenName"] == "José"
    details = [json.loads(e.after or "{}") for e in events]
    assert [d["confidential_included"] for d in details] == [False, True]
    assert [d["counts"]["students"] for d in details] == [2, 3]
    assert {e.actor_username for e in events} == {"system"}


def test_only_an_admin_exports(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        registrar = actor_for(session, make_staff(session, role="registrar").username)
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        export_oneroster(session, actor=registrar, folder=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_refuses_a_folder_with_files(engine: Engine, system: Actor, tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me")
    with session_scope(engine) as session, pytest.raises(ValidationFailed, match="not an empty"):
        export_oneroster(session, actor=system, folder=tmp_path)


def test_command_line(
    cli_admin: Actor, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["import", "students", str(DATA / "students_good.csv"), "--database", database_url])
        == 0
    )
    out = tmp_path / "set"
    assert main(["export", "oneroster", str(out), "--database", database_url]) == 0
    assert "2 students" in capsys.readouterr().out
    assert (out / "manifest.csv").read_text().startswith("propertyName,value")


def test_export_then_reimport_changes_nothing(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    """Native records (never imported) round-trip through their own codes; a guardian recorded
    as 'mother' stays 'mother' although OneRoster can only say 'parent'."""
    source = tmp_path / "students.csv"
    source.write_text(
        "student_number,last_name,first_name,preferred_name,guardian_name,"
        "guardian_relationship,guardian_email,birth_date\n"
        "N1,Ngata,Aroha,Ro,Mere Ngata,mother,mere@example.org,2010-05-06\n"
        "N2,Lee,Sam,,,,,\n",
        encoding="utf-8",
    )
    run_import(engine, actor=system, kind="students", path=source)
    with session_scope(engine) as session:
        export_oneroster(session, actor=system, folder=tmp_path / "set")
    users = _users(tmp_path / "set")
    assert users["N1"]["preferredGivenName"] == "Ro" and users["N1"]["agentSourcedIds"]
    report = run_import(engine, actor=system, kind="oneroster", path=tmp_path / "set")
    assert report.total_changes == 0 and report.count("student").unchanged == 2

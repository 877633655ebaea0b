"""Lists leaving the office: a report written to a file and a OneRoster set put one row per
student they name in the disclosure log, in bulk, in the write's transaction, and in the audit
chain; a release that cannot be logged is refused before anything is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Disclosure, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.disclosure.log import BulkRelease, record_bulk_disclosure
from recordsdesk.services.interchange.exports.oneroster import export_oneroster
from recordsdesk.services.reports import export_csv, listed_students, run_report
from recordsdesk.services.shared.errors import ValidationFailed
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_staff

pytestmark = pytest.mark.db


@pytest.fixture
def desk(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        data = seed_desk(session, system.id)
        make_staff(session, username="reg", role="registrar")
        return data


def _log(engine: Engine) -> list[Disclosure]:
    with session_scope(engine) as session:
        return list(session.exec(select(Disclosure).order_by(col(Disclosure.student_id))).all())


def _disclose_events(engine: Engine) -> list[AuditEvent]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == "disclose").order_by(AuditEvent.id)
            ).all()
        )


def test_a_report_written_to_a_file_logs_each_student_it_lists(
    cli_login: Callable[..., Actor],
    database_url: str,
    engine: Engine,
    desk: DeskData,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_login("reg")
    base = ["--database", database_url, "--user", "reg"]
    target = tmp_path / "holds.csv"
    arguments = ["report", "holds", "--format", "csv", "-o", str(target), *base]
    release = ["--recipient", "Dean of Students", "--purpose", "hold review"]
    assert main([*arguments, *release]) == 0
    with session_scope(engine) as session:
        table = run_report(session, actor=actor_for(session, "reg"), name="holds")
        numbers = listed_students(table)
        expected = set(
            session.exec(select(Student.id).where(col(Student.student_number).in_(numbers))).all()
        )
    rows = _log(engine)
    assert numbers and {row.student_id for row in rows} == expected and len(rows) == len(numbers)
    assert {(r.document, r.recipient, r.purpose, r.basis) for r in rows} == {
        ("report", "Dean of Students", "hold review", "school_official")
    }
    (event,) = _disclose_events(engine)
    after = json.loads(event.after or "{}")
    assert after["rows"] == len(rows) and after["basis"] == "school_official"
    assert len(after["students_sha256"]) == 64
    with session_scope(engine) as session:
        assert verify_chain(session, actor=actor_for(session, "system")).intact

    # A table written to a file is a release too; the defaults say it stays with officials.
    text_target = tmp_path / "holds.txt"
    assert main(["report", "holds", "-o", str(text_target), *base]) == 0
    newest = [r for r in _log(engine) if r.note.endswith(str(text_target))]
    assert len(newest) == len(numbers)
    assert newest[0].recipient == "school officials (internal report)"

    # A report of counts names nobody: nothing is logged for it.
    before = len(_log(engine))
    assert main(["report", "enrollment", "-o", str(tmp_path / "counts.txt"), *base]) == 0
    assert len(_log(engine)) == before
    capsys.readouterr()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--basis", "consent"], "basis: a consent is one student's"),
        (["--basis", "gossip"], "basis: 'gossip' is not a legal basis"),
        (["--recipient", "Dean\x1b[2J"], "recipient:"),
        (["--purpose", "x" * 501], "purpose: must be at most 500 characters."),
    ],
)
def test_a_release_that_cannot_be_logged_writes_no_file(
    cli_login: Callable[..., Actor],
    database_url: str,
    engine: Engine,
    desk: DeskData,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    cli_login("reg")
    target = tmp_path / "holds.csv"
    arguments = ["report", "holds", "--format", "csv", "-o", str(target)]
    assert main([*arguments, *flags, "--database", database_url, "--user", "reg"]) != 0
    assert message in capsys.readouterr().err
    assert not target.exists() and _log(engine) == []


def test_directory_information_is_refused_for_a_list_naming_a_confidential_student(
    engine: Engine, desk: DeskData, tmp_path: Path
) -> None:
    target = tmp_path / "all.csv"
    with session_scope(engine) as session:
        registrar = actor_for(session, "reg")
        table = run_report(session, actor=registrar, name="holds")
        with pytest.raises(ValidationFailed) as caught:
            record_bulk_disclosure(
                session,
                actor=registrar,
                document="report",
                release=BulkRelease(basis="directory"),
                student_ids=[desk.confidential_id, desk.bob_id],
            )
        assert caught.value.field == "basis" and "confidential" in caught.value.message
        number = session.exec(
            select(Student.student_number).where(Student.id == desk.confidential_id)
        ).one()
    # The same refusal from the export removes the file it had written.
    listing = type(table)(
        name=table.name,
        title=table.title,
        subtitle=table.subtitle,
        columns=table.columns,
        rows=((number,) + ("",) * (len(table.columns) - 1),),
    )
    with session_scope(engine) as session, pytest.raises(ValidationFailed):
        export_csv(
            session,
            actor=actor_for(session, "reg"),
            table=listing,
            path=target,
            release=BulkRelease(basis="directory"),
        )
    assert not target.exists() and _log(engine) == []


def test_a_oneroster_set_logs_each_student_it_names(
    engine: Engine, desk: DeskData, system: Actor, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        result = export_oneroster(session, actor=system, folder=tmp_path / "set")
        exported = session.exec(
            select(func.count()).select_from(Student).where(col(Student.confidential).is_(False))
        ).one()
    rows = _log(engine)
    assert len(rows) == exported == result.counts["students"] == result.disclosures
    assert desk.confidential_id not in {row.student_id for row in rows}
    assert {(r.document, r.recipient, r.basis) for r in rows} == {
        ("export", "learning platform (OneRoster)", "school_official")
    }
    assert "disclosures logged" in result.summary()
    with session_scope(engine) as session, pytest.raises(ValidationFailed) as caught:
        export_oneroster(
            session,
            actor=system,
            folder=tmp_path / "public",
            include_confidential=True,
            release=BulkRelease(recipient="web", basis="directory"),
        )
    assert caught.value.field == "basis" and not (tmp_path / "public").exists()

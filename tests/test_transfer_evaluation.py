"""Received coursework enters nothing until a registrar evaluates it: an evaluation makes an
articulation rule and the transfer credit (printed, never in the GPA), audited; undo removes that
credit; the rule is proposed for the next student from that institution; the command line does
the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from recordsdesk.cli import main
from recordsdesk.db import (
    MIGRATIONS_DIR,
    migration_config,
    session_scope,
    upgrade,
)
from recordsdesk.models import AuditEvent, ExternalCourse, StaffRole, Student, TransferCredit
from recordsdesk.render.transcript_json import render_json
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_pesc import render_pesc
from recordsdesk.render.transcript_text import render_text
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.people.record import get_student_record
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from recordsdesk.services.transcripts.builder import build_transcript
from recordsdesk.services.transcripts.received import received_records
from recordsdesk.services.transcripts.transfer import (
    accept_proposals,
    articulations,
    evaluate,
    meets_minimum,
    undo,
)
from tests.factories import make_course, make_staff

pytestmark = pytest.mark.db


def staff(engine: Engine, role: str = "registrar") -> Actor:
    with session_scope(engine) as session:
        user = make_staff(session, role=role)
        assert user.id is not None
        return Actor(user.id, user.username, StaffRole(user.role), user.full_name)


def sent(tmp_path: Path, first: str, last: str, born: str, courses: list[tuple[str, str]]) -> Path:
    """A small College Transcript 1.6.0 from Butte College: (course number, mark) pairs, all
    CSC, 3 credits each, in the fall of 2014."""
    lines = "".join(
        f"<Course><CourseCreditBasis>Regular</CourseCreditBasis>"
        f"<CourseCreditUnits>Semester</CourseCreditUnits><CourseCreditValue>3</CourseCreditValue>"
        f"<CourseCreditEarned>{0 if mark == 'F' else 3}</CourseCreditEarned>"
        f"<CourseAcademicGrade>{mark}</CourseAcademicGrade>"
        f"<CourseSubjectAbbreviation>CSC</CourseSubjectAbbreviation>"
        f"<CourseNumber>{number}</CourseNumber><CourseTitle>Course {number}</CourseTitle></Course>"
        for number, mark in courses
    )
    path = tmp_path / f"{last}.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ColTrn:CollegeTranscript xmlns:ColTrn="urn:org:pesc:message:CollegeTranscript:v1.6.0">'
        "<TransmissionData><DocumentID>D-" + last + "</DocumentID>"
        "<CreatedDateTime>2015-01-05T00:00:00</CreatedDateTime>"
        "<DocumentTypeCode>RequestedRecord</DocumentTypeCode><TransmissionType>Original"
        "</TransmissionType><Source><Organization><FICE>008073</FICE><OrganizationName>Butte "
        "College</OrganizationName></Organization></Source><Destination><Organization>"
        "<OrganizationName>Us</OrganizationName></Organization></Destination>"
        "</TransmissionData><Student><Person><Birth><BirthDate>" + born + "</BirthDate></Birth>"
        "<Name><FirstName>" + first + "</FirstName><LastName>" + last + "</LastName></Name>"
        "</Person><AcademicRecord><School><OrganizationName>Butte College</OrganizationName>"
        "</School><AcademicSession><AcademicSessionDetail><SessionDesignator>2014-09"
        "</SessionDesignator><SessionName>Fall 2014</SessionName></AcademicSessionDetail>"
        + lines
        + "</AcademicSession></AcademicRecord></Student></ColTrn:CollegeTranscript>",
        encoding="utf-8",
    )
    return path


def student_of(engine: Engine, last: str) -> int:
    with Session(engine) as session:
        found = session.exec(select(Student.id).where(Student.legal_last_name == last)).one()
        assert found is not None
        return found


def course_ids(engine: Engine, student_id: int) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(ExternalCourse).where(ExternalCourse.student_id == student_id))
        return {c.course_code: c.id or 0 for c in rows}


def test_marks_compare_by_number_or_letter() -> None:
    assert meets_minimum("B+", "C") and not meets_minimum("D", "C-") and meets_minimum("A", "")
    assert meets_minimum("84.5", "60") and not meets_minimum("59", "60")
    assert not meets_minimum("P", "C")
    with pytest.raises(ValidationFailed):
        meets_minimum("B", "60")


def test_evaluate_undo_and_the_rule_proposed_for_the_next_student(
    engine: Engine, tmp_path: Path
) -> None:
    registrar = staff(engine)
    with session_scope(engine) as session:
        ours = make_course(session, code="CS110", title="Programming I")
        assert ours.id is not None
    run_import(
        engine,
        actor=registrar,
        kind="pesc",
        path=sent(tmp_path, "Ana", "Arce", "2000-02-02", [("15", "A"), ("20", "B"), ("99", "F")]),
    )
    ana = student_of(engine, "Arce")
    ids = course_ids(engine, ana)
    with session_scope(engine) as session:
        before = build_transcript(session, actor=registrar, student_id=ana)
    assert before.transfer == () and before.cumulative_gpa is None  # nothing counts yet

    # A registrar evaluates CSC 15 as our CS110 (minimum C) and CSC 20 as elective credit.
    with session_scope(engine) as session:
        done = evaluate(
            session,
            actor=registrar,
            external_course_id=ids["CSC 15"],
            course_code="CS110",
            minimum_mark="C",
        )
        evaluate(session, actor=registrar, external_course_id=ids["CSC 20"], elective_level="200")
        with pytest.raises(ValidationFailed, match="earned no credit|below the minimum"):
            evaluate(
                session, actor=registrar, external_course_id=ids["CSC 99"], course_code="CS110"
            )
    assert (done.target, done.credits) == ("CS110", Decimal("3.00"))
    with session_scope(engine) as session:
        after = build_transcript(session, actor=registrar, student_id=ana)
        made = session.exec(select(TransferCredit).where(TransferCredit.student_id == ana)).all()
        (record,) = received_records(session, actor=registrar, student_id=ana)
    assert after.transfer_credits == Decimal("6.00") and after.cumulative_gpa is None
    assert {(line.source_course_code, line.equivalent_course_code) for line in after.transfer} == {
        ("CSC 15", "CS110"),
        ("CSC 20", ""),
    }
    assert len(made) == 2
    assert {c.course_code: c.evaluated_as for c in record.courses} == {
        "CSC 15": "CS110",
        "CSC 20": "elective 200",
        "CSC 99": "",
    }

    # Undo removes exactly the credit that evaluation made; the rule stays.
    with session_scope(engine) as session:
        undo(session, actor=registrar, external_course_id=ids["CSC 20"])
        with pytest.raises(ValidationFailed, match="not evaluated"):
            undo(session, actor=registrar, external_course_id=ids["CSC 20"])
    with session_scope(engine) as session:
        left = session.exec(select(TransferCredit).where(TransferCredit.student_id == ana)).all()
        assert [c.source_course_code for c in left] == ["CSC 15"]
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.student_id == ana)).all()
        assert actions.count("transfer_evaluate") == 2 and actions.count("transfer_undo") == 1
        rules = articulations(session, actor=registrar, institution="BUTTE  college")
        assert [(r.course_code, r.target, r.minimum_mark) for r in rules] == [
            ("CSC 15", "CS110", "C"),
            ("CSC 20", "elective 200", ""),
        ]

    # The next student from Butte College: both courses are proposed; accepting applies the
    # rules, except where the mark is below the rule's minimum.
    run_import(
        engine,
        actor=registrar,
        kind="pesc",
        path=sent(tmp_path, "Ben", "Bose", "2001-03-03", [("15", "D"), ("20", "B+")]),
    )
    ben = student_of(engine, "Bose")
    with session_scope(engine) as session:
        (record,) = received_records(session, actor=registrar, student_id=ben)
        assert {c.course_code: c.proposed for c in record.courses} == {
            "CSC 15": "CS110",
            "CSC 20": "elective 200",
        }
        done_all = accept_proposals(session, actor=registrar, student_id=ben)
    assert [(e.course_code, e.target) for e in done_all] == [("CSC 20", "elective 200")]


def test_only_a_registrar_evaluates(engine: Engine, tmp_path: Path) -> None:
    registrar, clerk = staff(engine), staff(engine, "clerk")
    run_import(
        engine,
        actor=registrar,
        kind="pesc",
        path=sent(tmp_path, "Cy", "Cole", "2000-04-04", [("15", "A")]),
    )
    (course_id,) = course_ids(engine, student_of(engine, "Cole")).values()
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        evaluate(session, actor=clerk, external_course_id=course_id, elective_level="100")


def test_the_transfer_command(
    engine: Engine,
    database_url: str,
    cli_login: Callable[..., Actor],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_login("reg.transfer", "registrar")
    path = sent(tmp_path, "Dee", "Diaz", "1999-05-05", [("15", "A")])
    db = ["--database", database_url]
    assert main(["import", "pesc", str(path), "--dry-run", *db]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert main(["import", "pesc", str(path), *db]) == 0
    out = capsys.readouterr().out
    number = out.split("-> ")[1].split(" ")[0]
    assert "1 new" in out
    with session_scope(engine) as session:
        make_course(session, code="CS110", title="Programming I")
    (course_id,) = course_ids(engine, student_of(engine, "Diaz")).values()
    assert main(["transfer", "list", number, *db]) == 0
    assert f"{course_id:>6}  Fall 2014" in capsys.readouterr().out
    assert (
        main(
            ["transfer", "evaluate", number, str(course_id), "--as", "CS110", "--minimum", "C", *db]
        )  # fmt: skip
        == 0
    )
    assert "CSC 15 -> CS110, 3 credits" in capsys.readouterr().out
    assert main(["transfer", "rules", *db]) == 0
    assert "Butte College: CSC 15 -> CS110 (minimum C)" in capsys.readouterr().out
    assert main(["transfer", "undo", number, str(course_id), *db]) == 0
    assert main(["transfer", "accept", number, *db]) == 0
    assert "1 courses evaluated" in capsys.readouterr().out
    assert main(["transfer", "undo", "NOPE", str(course_id), *db]) != 0


def test_elective_credit_keeps_its_level_on_every_copy_and_through_a_later_rule(
    engine: Engine, tmp_path: Path
) -> None:
    """Elective credit reads `elective 200` on the transcript, its JSON and PESC copies and the
    record, where a dash stood; a later change of the rule for the next student does not
    rewrite it; and a database from before the level was kept gets it from the evaluation."""
    registrar = staff(engine)
    run_import(
        engine,
        actor=registrar,
        kind="pesc",
        path=sent(tmp_path, "Ana", "Arce", "2000-02-02", [("20", "B")]),
    )
    ana = student_of(engine, "Arce")
    with session_scope(engine) as session:
        evaluate(
            session,
            actor=registrar,
            external_course_id=course_ids(engine, ana)["CSC 20"],
            elective_level="200",
        )
    # The next student's CSC 20 is evaluated as 300-level: the rule changes, Ana's credit not.
    run_import(
        engine,
        actor=registrar,
        kind="pesc",
        path=sent(tmp_path, "Ben", "Bose", "2001-03-03", [("20", "A")]),
    )
    ben = student_of(engine, "Bose")
    with session_scope(engine) as session:
        evaluate(
            session,
            actor=registrar,
            external_course_id=course_ids(engine, ben)["CSC 20"],
            elective_level="300",
        )

    def shown(student_id: int) -> tuple[str, str, str, str, str]:
        with session_scope(engine) as session:
            transcript = build_transcript(session, actor=registrar, student_id=student_id)
            record = get_student_record(session, actor=registrar, student_id=student_id)
        (line,) = transcript.transfer
        (row,) = record.transfer_credits
        options = RenderOptions()
        (entry,) = json.loads(render_json(transcript, options))["transfer"]
        return (
            line.awarded_as,
            row.awarded_as,
            render_text(transcript, options),
            f"{entry['equivalent']}|{entry['elective_level']}",
            render_pesc(transcript, options),
        )

    awarded, on_record, printed, as_json, pesc = shown(ana)
    assert (awarded, on_record, as_json) == ("elective 200", "elective 200", "|200")
    assert "elective 200" in printed and "elective 300" not in printed
    assert "Transfer credit as elective 200" in pesc
    assert shown(ben)[0] == "elective 300"

    # A database from before 0017: the level comes back from the rule each credit was made by
    # (the rule as it stands; Ana's says 300 now, which is why the credit keeps its own).
    # (named, not taken as the head's parent: later migrations come after it)
    revision = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision("0017")
    command.downgrade(migration_config(engine), str(revision.down_revision))
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("transfer_credit")}
    assert "elective_level" not in columns
    upgrade(engine)
    with engine.connect() as connection:
        levels = connection.execute(
            text("SELECT student_id, elective_level FROM transfer_credit ORDER BY student_id")
        ).all()
    assert [level for _student, level in levels] == ["300", "300"]

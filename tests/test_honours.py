"""Latin honours, on both engines: the thresholds by hand, proposed at conferral from the record
(credits earned here only), a registrar's change with a reason, the settings that rule them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Student, TransferCredit
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.institution.settings import set_setting
from recordsdesk.services.people.departure import graduate
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from recordsdesk.services.transcripts.builder import build_transcript
from recordsdesk.services.transcripts.honours import (
    CUM,
    MAGNA,
    SUMMA,
    HonoursRules,
    change_honours,
    latin_honours,
)
from tests.factories import (
    make_course,
    make_enrollment,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
)

RULES = HonoursRules(D("3.50"), D("3.70"), D("3.90"), D("60"))


@pytest.mark.parametrize(
    ("gpa", "earned", "expected"),
    [
        (D("3.95"), D("60"), SUMMA),
        (D("3.90"), D("120"), SUMMA),
        (D("3.89"), D("120"), MAGNA),
        (D("3.70"), D("120"), MAGNA),
        (D("3.50"), D("120"), CUM),
        (D("3.49"), D("120"), ""),
        (D("4.00"), D("59.5"), ""),  # not enough earned here
        (None, D("120"), ""),  # no GPA (a pass/no pass record)
    ],
)
def test_thresholds(gpa: D | None, earned: D, expected: str) -> None:
    assert latin_honours(RULES, gpa, earned) == expected


@pytest.fixture
def staff(engine: Engine) -> dict[str, Actor]:
    with session_scope(engine) as session:
        for role in ("clerk", "registrar"):
            make_staff(session, username=f"h-{role}", role=role)
        return {role: actor_for(session, f"h-{role}") for role in ("clerk", "registrar")}


def _student(engine: Engine, marks: list[tuple[str, str]], transfer: str = "0") -> tuple[int, str]:
    """An active student whose record holds `marks` as (mark, credits), posted."""
    with session_scope(engine) as session:
        student = make_student(session, program_id=make_program(session).id)
        term = make_term(
            session, start_date=date(2024, 9, 1), end_date=date(2024, 12, 18),
            add_drop_deadline=None, withdraw_deadline=None,
        )  # fmt: skip
        for mark, size in marks:
            course = make_course(session, credits=D(size))
            make_enrollment(
                session, student, make_section(session, course, term), status="completed",
                mark=mark, grade_status="posted",
            )  # fmt: skip
        if transfer != "0":
            session.add(
                TransferCredit(
                    student_id=student.id or 0,
                    source_institution="Elsewhere",
                    credits=D(transfer),
                    awarded_on=date(2024, 1, 5),
                )  # fmt: skip
            )
        assert student.id is not None
        return student.id, student.student_number


def _confer(engine: Engine, actor: Actor, student_id: int, **kw: object) -> str:
    with session_scope(engine) as session:
        result = graduate(
            session, actor=actor, student_id=student_id, expected_version=1,
            conferral_date=date(2025, 5, 20), override_reason="degree audit not the point here",
            **kw,  # type: ignore[arg-type]
        )  # fmt: skip
        return result.profile.honours


def test_proposed_at_conferral_from_the_record(engine: Engine, staff: dict[str, Actor]) -> None:
    registrar = staff["registrar"]
    summa, _ = _student(engine, [("A", "30"), ("A", "30")])
    magna, _ = _student(engine, [("A", "30"), ("B+", "30")])  # (120 + 99) / 60 = 3.65: cum laude
    short, _ = _student(engine, [("A", "30")], transfer="30")  # 30 earned here
    chosen, _ = _student(engine, [("A", "30"), ("A", "30")])
    assert _confer(engine, registrar, summa) == SUMMA
    assert _confer(engine, registrar, magna) == CUM
    assert _confer(engine, registrar, short) == ""
    # Other honours than the record earns (none, here) need the registrar's reason, kept in
    # the conferral's audit event.
    with pytest.raises(ValidationFailed, match=f"earns {SUMMA}: other honours need a reason"):
        _confer(engine, registrar, chosen, honours="")
    assert _confer(engine, registrar, chosen, honours="", honours_reason="Board ruling [7]") == ""
    with session_scope(engine) as session:
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "graduate", AuditEvent.student_id == chosen
            )
        ).one()
    assert f"; honours none instead of {SUMMA}: Board ruling [7];" in event.reason
    with session_scope(engine) as session:
        t = build_transcript(session, actor=registrar, student_id=summa)
        assert t.graduation_status.endswith(f", {SUMMA}")


def test_a_registrar_changes_them_with_a_reason(engine: Engine, staff: dict[str, Actor]) -> None:
    student_id, number = _student(engine, [("A", "30"), ("A", "30")])
    _confer(engine, staff["registrar"], student_id)
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            change_honours(
                session, actor=staff["clerk"], student_number=number, honours=MAGNA, reason="x"
            )
        with pytest.raises(ValidationFailed, match="reason"):
            change_honours(
                session, actor=staff["registrar"], student_number=number, honours=MAGNA, reason=""
            )
        change_honours(
            session, actor=staff["registrar"], student_number=number, honours=MAGNA,
            reason="Academic integrity finding [2025-04]",
        )  # fmt: skip
    with session_scope(engine) as session:
        assert session.get_one(Student, student_id).honours == MAGNA
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "honours.change")).one()
        assert event.reason == "Academic integrity finding [2025-04]"
        assert event.student_id == student_id


def test_the_thresholds_are_settings_and_must_rise(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed, match="must rise"):
            set_setting(session, actor=system, key="magna_cum_laude_min_gpa", value="3.95")
        shown = set_setting(session, actor=system, key="honours_min_credits", value="30")
        assert shown["honours_min_credits"] == "30.00"


def test_the_command_line_proposes_and_changes(
    engine: Engine,
    database_url: str,
    staff: dict[str, Actor],
    cli_login: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recordsdesk.cli import main

    student_id, number = _student(engine, [("A", "30"), ("A-", "30")])  # 3.85: magna
    cli_login("cli.registrar", "registrar")  # type: ignore[operator]
    run = ["--database", database_url]
    assert main(["honours", "propose", number, *run]) == 0
    assert f"{number}: {MAGNA}" in capsys.readouterr().out
    assert main(["honours", "set", number, CUM, "--reason", "x", *run]) == 2  # not conferred yet
    _confer(engine, staff["registrar"], student_id)
    assert main(["honours", "set", number, "", "--reason", "Declined by the graduate", *run]) == 0
    with session_scope(engine) as session:
        assert session.get_one(Student, student_id).honours == ""

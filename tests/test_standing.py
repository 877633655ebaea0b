"""Academic standing, on both engines: every transition of the rules by hand, the decision
stored at posting and printed per term, the probation and dean's list reports, a registrar's
override with a reason, and the audit of each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from recordsdesk.db import session_scope
from recordsdesk.models import AcademicStanding, AuditEvent, Enrollment, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.institution.settings import set_setting
from recordsdesk.services.reports.registry import run_report
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from recordsdesk.services.transcripts.builder import DEANS_LIST, PROBATION, build_transcript
from recordsdesk.services.transcripts.standing import (
    DISMISSAL,
    GOOD,
    SUSPENSION,
    WARNING,
    StandingRules,
    decide,
    override_standing,
    post_and_decide,
)
from recordsdesk.services.transcripts.standing import (
    PROBATION as ON_PROBATION,
)
from tests.factories import (
    make_course,
    make_enrollment,
    make_section,
    make_staff,
    make_student,
    make_term,
)

RULES = StandingRules(D("2.00"), D("2.00"), 1, 1)


@pytest.mark.parametrize(
    ("term_gpa", "cumulative", "earlier", "expected"),
    [
        (D("3.00"), D("3.00"), [], GOOD),
        (None, None, [], GOOD),  # nothing in the GPA yet (all pass/no pass)
        (D("1.50"), D("2.40"), [], WARNING),  # a bad term, the record still above the line
        (D("1.50"), D("1.90"), [], ON_PROBATION),
        (D("2.50"), D("1.95"), [GOOD, WARNING], ON_PROBATION),
        (D("1.00"), D("1.80"), [ON_PROBATION], SUSPENSION),  # a second probation term in a row
        (D("1.00"), D("1.80"), [ON_PROBATION, GOOD], ON_PROBATION),  # not consecutive
        (D("1.00"), D("1.80"), [ON_PROBATION, SUSPENSION], ON_PROBATION),  # back after it
        (D("1.00"), D("1.70"), [ON_PROBATION, SUSPENSION, ON_PROBATION], DISMISSAL),
        (D("3.50"), D("2.10"), [ON_PROBATION], GOOD),  # climbed back above the line
    ],
)
def test_every_transition(
    term_gpa: D | None, cumulative: D | None, earlier: list[str], expected: str
) -> None:
    assert decide(RULES, term_gpa, cumulative, earlier) == expected


def test_the_rules_follow_the_settings() -> None:
    patient = StandingRules(D("2.00"), D("1.00"), 2, 0)
    assert decide(patient, D("1.50"), D("2.50"), []) == GOOD  # warning only below 1.00
    assert decide(patient, D("1.00"), D("1.80"), [ON_PROBATION]) == ON_PROBATION
    assert decide(patient, D("1.00"), D("1.80"), [ON_PROBATION, ON_PROBATION]) == SUSPENSION
    never = [ON_PROBATION, SUSPENSION, ON_PROBATION, ON_PROBATION]
    assert decide(patient, D("1.00"), D("1.80"), never) == SUSPENSION  # 0: never dismissed


@pytest.fixture
def staff(engine: Engine) -> dict[str, Actor]:
    with session_scope(engine) as session:
        for role in ("clerk", "registrar"):
            make_staff(session, username=f"s-{role}", role=role)
        return {role: actor_for(session, f"s-{role}") for role in ("clerk", "registrar")}


def _term_of_marks(
    session: Session, code: str, start: date, marks: dict[str, str]
) -> tuple[int, dict[str, int]]:
    """A term with one 3-credit section per student number in `marks`, each mark entered
    (not posted): (term id, number -> section id)."""
    end = date(start.year, start.month + 3, start.day)
    term = make_term(session, code=code, start_date=start, end_date=end, add_drop_deadline=None,
                     withdraw_deadline=None)  # fmt: skip
    sections = {}
    for number, mark in marks.items():
        found = session.exec(select(Student).where(Student.student_number == number)).first()
        found = found or make_student(session, student_number=number)
        section = make_section(session, make_course(session), term)
        make_enrollment(session, found, section, mark=mark, grade_status="entered")
        assert section.id is not None
        sections[number] = section.id
    assert term.id is not None
    return term.id, sections


def _post_all(engine: Engine, actor: Actor, sections: dict[str, int]) -> None:
    with session_scope(engine) as session:
        for section_id in sections.values():
            post_and_decide(session, actor=actor, section_id=section_id)


def _standing(session: Session, number: str, term_id: int) -> AcademicStanding:
    student = session.exec(select(Student).where(Student.student_number == number)).one()
    return session.exec(
        select(AcademicStanding).where(
            AcademicStanding.student_id == student.id, AcademicStanding.term_id == term_id
        )
    ).one()


def test_decided_at_posting_stored_printed_listed_and_overridden(
    engine: Engine, staff: dict[str, Actor]
) -> None:
    registrar, clerk = staff["registrar"], staff["clerk"]
    with session_scope(engine) as session:
        fall, fall_sections = _term_of_marks(
            session, "S26FA", date(2026, 9, 1), {"ST1": "A", "ST2": "D", "ST3": "C-"}
        )
    _post_all(engine, registrar, fall_sections)
    with session_scope(engine) as session:
        spring, spring_sections = _term_of_marks(
            session, "S27SP", date(2027, 1, 10), {"ST1": "A", "ST2": "F", "ST3": "A"}
        )
    _post_all(engine, registrar, spring_sections)
    with session_scope(engine) as session:
        assert _standing(session, "ST1", fall).standing == GOOD
        assert _standing(session, "ST2", fall).standing == ON_PROBATION  # 1.00
        assert _standing(session, "ST3", fall).standing == ON_PROBATION  # 1.70
        assert _standing(session, "ST2", spring).standing == SUSPENSION  # 0.50, in a row
        assert _standing(session, "ST3", spring).standing == GOOD  # (1.70 + 4.00) / 2 = 2.85
        t = build_transcript(session, actor=registrar, student_number="ST2")
        assert [term.standing for term in t.terms] == [PROBATION, "Academic suspension"]
        assert (
            build_transcript(session, actor=registrar, student_number="ST1").terms[1].standing
            == DEANS_LIST
        )
        decided = session.exec(
            select(AuditEvent).where(AuditEvent.action == "standing.decide")
        ).all()
        assert len(decided) == 6
        report = run_report(session, actor=registrar, name="probation", term_code="S27SP")
        assert [(r[0], r[7]) for r in report.rows] == [("ST2", "suspension")]

    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            override_standing(
                session, actor=clerk, student_number="ST2", term_code="S27SP",
                standing="probation", reason="appeal",
            )  # fmt: skip
        with pytest.raises(ValidationFailed, match="reason"):
            override_standing(
                session, actor=registrar, student_number="ST2", term_code="S27SP",
                standing="probation", reason=" ",
            )  # fmt: skip
        override_standing(
            session, actor=registrar, student_number="ST2", term_code="s27sp",
            standing="probation", reason="Appeal granted [medical]",
        )  # fmt: skip
    with session_scope(engine) as session:
        row = _standing(session, "ST2", spring)
        assert (row.standing, row.computed) == (ON_PROBATION, SUSPENSION)
        assert row.override_reason == "Appeal granted [medical]"
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "standing.override")
        ).one()
        assert event.reason == "Appeal granted [medical]"
        report = run_report(session, actor=registrar, name="probation", term_code="S27SP")
        assert [(r[0], r[7]) for r in report.rows] == [("ST2", "probation")]
    # Posting again recomputes `computed` and keeps the registrar's decision.
    with session_scope(engine) as session:
        enrollment = session.exec(
            select(Enrollment).where(Enrollment.section_id == spring_sections["ST2"])
        ).one()
        enrollment.grade_status = "entered"
        session.add(enrollment)
    _post_all(engine, registrar, {"ST2": spring_sections["ST2"]})
    with session_scope(engine) as session:
        assert _standing(session, "ST2", spring).standing == ON_PROBATION


def test_deans_list_needs_its_minimum_credits(engine: Engine, staff: dict[str, Actor]) -> None:
    registrar = staff["registrar"]
    with session_scope(engine) as session:
        _term, sections = _term_of_marks(session, "D26FA", date(2026, 9, 1), {"DL1": "A"})
    _post_all(engine, registrar, sections)
    with session_scope(engine) as session:
        t = build_transcript(session, actor=registrar, student_number="DL1")
        assert t.terms[0].standing == DEANS_LIST
        listed = run_report(session, actor=registrar, name="deans-list", term_code="D26FA")
        assert [r[0] for r in listed.rows] == ["DL1"]
        system = actor_for(session, "system")
        set_setting(session, actor=system, key="deans_list_min_credits", value="12")
    with session_scope(engine) as session:
        t = build_transcript(session, actor=registrar, student_number="DL1")
        assert t.terms[0].standing == "Good standing"  # 3 GPA credits < 12
        listed = run_report(session, actor=registrar, name="deans-list", term_code="D26FA")
        assert listed.rows == ()


def test_the_command_line_overrides_a_standing(
    engine: Engine,
    database_url: str,
    staff: dict[str, Actor],
    cli_login: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recordsdesk.cli import main

    with session_scope(engine) as session:
        term_id, sections = _term_of_marks(session, "C26FA", date(2026, 9, 1), {"CL1": "F"})
    _post_all(engine, staff["registrar"], sections)
    cli_login("cli.registrar", "registrar")  # type: ignore[operator]
    run = ["--database", database_url]
    assert main(["standing", "set", "CL1", "c26fa", "warning", "--reason", "Appeal", *run]) == 0
    assert "Academic warning (the rules gave academic probation)" in capsys.readouterr().out
    assert main(["standing", "set", "CL1", "C26FA", "great", "--reason", "x", *run]) == 2
    with session_scope(engine) as session:
        row = _standing(session, "CL1", term_id)
        assert (row.standing, row.override_reason) == (WARNING, "Appeal")

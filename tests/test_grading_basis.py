"""Grading basis per enrollment, on both engines: every basis's marks on every shipped scale
through saving, posting, the transcript and the standing reports; choosing a basis up to the
term's deadline (later only a registrar, with a reason), audited; the grade import per row."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Enrollment, GradeStatus
from recordsdesk.render.transcript_json import transcript_dict
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_text import render_text
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.grades.marks import post_section, save_mark
from recordsdesk.services.grades.marks_import import apply_import, preview_import
from recordsdesk.services.grades.roster import load_roster
from recordsdesk.services.institution.settings import set_setting
from recordsdesk.services.registration.basis import change_grading_basis
from recordsdesk.services.registration.register import register
from recordsdesk.services.reports.standing import CURRENT_STUDENTS, student_figures
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from recordsdesk.services.transcripts.builder import build_transcript
from tests.factories import (
    make_course,
    make_enrollment,
    make_section,
    make_staff,
    make_student,
    make_term,
    scale_id,
)

ALL_BASES = ",".join(bases.BASES)
#: Each shipped scale a course can be graded on, with a passing mark that counts in the GPA
#: (None where the scale has no grade points: pass/fail and standards).
SCALES = {
    "US-PM": "B",
    "US-PM-67": "B",
    "US-LETTER": "B",
    "PCT-SEC": "B",
    "PASS-FAIL": None,
    "SBG-4": None,
}
#: basis -> (passing mark, failing mark); audit has one mark, which attempts nothing.
BASIS_MARKS = {
    "pass_no_pass": ("P", "NP"),
    "satisfactory": ("S", "U"),
    "credit": ("CR", "NC"),
    "audit": ("AU", None),
}


@pytest.fixture
def registrar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        make_staff(session, username="b-registrar", role="registrar")
        return actor_for(session, "b-registrar")


@pytest.fixture
def clerk(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        make_staff(session, username="b-clerk", role="clerk")
        return actor_for(session, "b-clerk")


def _record(session: Session, scale: str, basis: str, mark: str) -> tuple[str, int, int]:
    """A student with a graded 3-credit B on US-PM and a 4-credit course on `scale` taken on
    `basis` with `mark` keyed through save_mark and posted: (number, section id, enrollment)."""
    term = make_term(session)
    student = make_student(session)
    graded = make_section(session, make_course(session), term)
    make_enrollment(session, student, graded, status="completed", mark="B", grade_status="posted")
    course = make_course(
        session, credits=D("4"), grading_scale_id=scale_id(session, scale), grading_bases=ALL_BASES
    )
    section = make_section(session, course, term)
    enrollment = make_enrollment(session, student, section, grading_basis=basis)
    assert enrollment.id is not None and section.id is not None
    return student.student_number, section.id, enrollment.id


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("basis", list(BASIS_MARKS))
def test_every_basis_on_every_scale(
    engine: Engine, registrar: Actor, scale: str, basis: str
) -> None:
    passing, failing = BASIS_MARKS[basis]
    for mark, earns in ((passing, basis != "audit"), (failing, False)):
        if mark is None:
            continue
        with session_scope(engine) as session:
            number, section_id, eid = _record(session, scale, basis, mark)
        with session_scope(engine) as session:
            with pytest.raises(ValidationFailed, match="is not a mark on"):
                save_mark(session, actor=registrar, enrollment_id=eid, expected_version=1, mark="Q")
            if SCALES[scale] is not None:  # the scale's own letter is not a mark of the basis
                with pytest.raises(ValidationFailed):
                    save_mark(
                        session, actor=registrar, enrollment_id=eid, expected_version=1, mark="B"
                    )
            saved = save_mark(
                session,
                actor=registrar,
                enrollment_id=eid,
                expected_version=1,
                mark=mark.lower(),  # spelled as the basis spells it
            )
            assert saved.mark == mark
            post_section(session, actor=registrar, section_id=section_id)
        with session_scope(engine) as session:
            t = build_transcript(session, actor=registrar, student_number=number)
            figures = student_figures(
                session, scope=CURRENT_STUDENTS, params={}, repeat_policy="latest"
            )
        (term,) = t.terms
        line = next(c for c in term.courses if c.credits == D("4"))
        assert (line.mark, line.grading_basis) == (mark, basis)
        assert line.quality_points is None  # no basis mark has grade points
        assert line.credits_earned == (D("4") if earns else D("0"))
        assert line.credits_attempted == (D("0") if basis == "audit" else D("4"))
        # Only the graded B (3 x 3.00) is in the GPA, whatever the basis mark.
        assert (t.cumulative.gpa_credits, t.cumulative.quality_points) == (D("3"), D("9.00"))
        assert t.cumulative_gpa == D("3.00")
        assert t.cumulative.credits_earned == D("3") + line.credits_earned
        # The standing reports add it up exactly as the transcript does.
        mine = figures[t.student.student_id].through
        assert (mine.credits_attempted, mine.credits_earned) == (
            t.cumulative.credits_attempted,
            t.cumulative.credits_earned,
        )
        assert (mine.gpa_credits, mine.quality_points) == (D("3"), D("9.00"))
        # Text and JSON say the basis.
        course = next(
            c for c in transcript_dict(t)["terms"][0]["courses"] if c["course_code"] != "x"
        )
        assert "grading_basis" in course
        text = render_text(t, RenderOptions())
        assert f"Grading basis: {bases.short_name(basis)}" in text


def test_np_counts_as_f_when_the_institution_says_so(
    engine: Engine, system: Actor, registrar: Actor
) -> None:
    with session_scope(engine) as session:
        number, section_id, eid = _record(session, "US-PM", "pass_no_pass", "NP")
        save_mark(session, actor=registrar, enrollment_id=eid, expected_version=1, mark="NP")
        post_section(session, actor=registrar, section_id=section_id)
    with session_scope(engine) as session:
        before = build_transcript(session, actor=registrar, student_number=number)
        set_setting(session, actor=system, key="np_counts_as_f", value="yes")
    with session_scope(engine) as session:
        after = build_transcript(session, actor=registrar, student_number=number)
        figures = student_figures(
            session, scope=CURRENT_STUDENTS, params={}, repeat_policy="latest"
        )[after.student.student_id].through
    assert before.cumulative_gpa == D("3.00")  # the default: NP is not in the GPA
    # 9.00 quality points over 3 + 4 GPA credits = 1.2857... -> 1.29
    assert (after.cumulative.gpa_credits, after.cumulative_gpa) == (D("7"), D("1.29"))
    assert after.cumulative.credits_earned == D("3")
    assert (figures.gpa_credits, figures.quality_points) == (D("7"), D("9.00"))
    assert after.policy.np_counts_as_f and "NP counts as F" in render_text(after, RenderOptions())


def test_a_graded_row_keeps_its_scale_and_the_roster_says_each_rows_basis(
    engine: Engine, registrar: Actor
) -> None:
    with session_scope(engine) as session:
        course = make_course(session, grading_bases=ALL_BASES)
        section = make_section(session, course)
        graded = make_enrollment(session, make_student(session, legal_last_name="Graded"), section)
        passfail = make_enrollment(
            session,
            make_student(session, legal_last_name="Passfail"),
            section,
            grading_basis="pass_no_pass",
        )
        section_id = section.id
        graded_id, passfail_id = graded.id, passfail.id
    with session_scope(engine) as session:
        roster = load_roster(session, actor=registrar, section_id=section_id or 0)
        by_id = {r.enrollment_id: r for r in roster.rows}
        assert by_id[passfail_id or 0].grading_basis == "pass_no_pass"
        assert roster.rules_for(by_id[passfail_id or 0]).marks == ("P", "NP")
        assert roster.rules_for(by_id[graded_id or 0]) is roster.rules
        with pytest.raises(ValidationFailed, match="not a mark on US-PM"):
            save_mark(
                session, actor=registrar, enrollment_id=graded_id or 0, expected_version=1,
                mark="P", rules=roster.rules_for(by_id[passfail_id or 0]),
            )  # fmt: skip
        # The rules a desk passes never let a graded row take a basis mark (nor the reverse).
        with pytest.raises(ValidationFailed, match="not a mark on P/NP"):
            save_mark(
                session, actor=registrar, enrollment_id=passfail_id or 0, expected_version=1,
                mark="A", rules=roster.rules,
            )  # fmt: skip


def test_grades_import_takes_each_rows_basis(engine: Engine, registrar: Actor) -> None:
    with session_scope(engine) as session:
        course = make_course(session, grading_bases=ALL_BASES)
        section = make_section(session, course)
        one = make_student(session)
        two = make_student(session)
        make_enrollment(session, one, section)
        make_enrollment(session, two, section, grading_basis="credit")
        section_id = section.id or 0
        numbers = (one.student_number, two.student_number)
    bad = f"{numbers[0]},CR\n{numbers[1]},A\n"
    good = f"{numbers[0]},A-\n{numbers[1]},cr\n"
    with session_scope(engine) as session:
        preview = preview_import(session, actor=registrar, section_id=section_id, text=bad)
        assert [p.line for p in preview.problems] == [1, 2]
        assert "not a mark on CR/NC" in preview.problems[1].message
        preview = preview_import(session, actor=registrar, section_id=section_id, text=good)
        assert not preview.problems
        apply_import(session, actor=registrar, section_id=section_id, text=good, previewed=preview)
    with session_scope(engine) as session:
        marks = session.exec(
            select(Enrollment.grading_basis, Enrollment.mark).where(
                Enrollment.section_id == section_id
            )
        ).all()
    assert sorted(marks) == [("credit", "CR"), ("graded", "A-")]


# --- choosing the basis ----------------------------------------------------------------------


def _registered(session: Session, *, deadline: date | None, allowed: str = ALL_BASES) -> int:
    term = make_term(
        session,
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 18),
        grading_basis_deadline=deadline,
    )
    course = make_course(session, grading_bases=allowed, default_grading_basis="graded")
    enrollment = make_enrollment(
        session, make_student(session), make_section(session, course, term)
    )
    assert enrollment.id is not None
    return enrollment.id


def test_registration_takes_the_courses_default_basis(engine: Engine, registrar: Actor) -> None:
    with session_scope(engine) as session:
        term = make_term(
            session,
            start_date=date.today() + timedelta(days=10),
            end_date=date.today() + timedelta(days=120),
            add_drop_deadline=None,
            withdraw_deadline=None,
            status="registration_open",
        )
        course = make_course(
            session, grading_bases="pass_no_pass,graded", default_grading_basis="pass_no_pass"
        )
        section = make_section(session, course, term)
        student = make_student(session)
        done = register(
            session, actor=registrar, student_id=student.id or 0, section_id=section.id or 0
        )
    with session_scope(engine) as session:
        assert session.get_one(Enrollment, done.enrollment_id).grading_basis == "pass_no_pass"


def test_a_clerk_changes_the_basis_before_the_deadline(engine: Engine, clerk: Actor) -> None:
    with session_scope(engine) as session:
        eid = _registered(session, deadline=date(2026, 10, 1))
    with session_scope(engine) as session:
        done = change_grading_basis(
            session, actor=clerk, enrollment_id=eid, basis="P/NP", expected_version=1,
            today=date(2026, 10, 1),
        )  # fmt: skip
        assert (done.before, done.after, done.late) == ("graded", "pass_no_pass", False)
    with session_scope(engine) as session:
        row = session.get_one(Enrollment, eid)
        assert (row.grading_basis, row.version) == ("pass_no_pass", 2)
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "enrollment",
                AuditEvent.entity_id == eid,
                AuditEvent.action == "grading_basis.change",
            )
        ).one()
        assert event.before is not None and event.after is not None
        assert '"graded"' in event.before and '"pass_no_pass"' in event.after


def test_after_the_deadline_only_a_registrar_with_a_reason(
    engine: Engine, clerk: Actor, registrar: Actor
) -> None:
    late = date(2026, 10, 2)
    with session_scope(engine) as session:
        eid = _registered(session, deadline=date(2026, 10, 1))
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed, match="deadline"):
            change_grading_basis(session, actor=clerk, enrollment_id=eid, basis="audit", today=late)
        with pytest.raises(PermissionDenied):
            change_grading_basis(
                session, actor=clerk, enrollment_id=eid, basis="audit", reason="x", today=late
            )
        with pytest.raises(ValidationFailed, match="deadline"):
            change_grading_basis(
                session, actor=registrar, enrollment_id=eid, basis="audit", today=late
            )
        done = change_grading_basis(
            session, actor=registrar, enrollment_id=eid, basis="audit",
            reason="Dean approved [late]", today=late,
        )  # fmt: skip
        assert done.late
    with session_scope(engine) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "grading_basis.change")
        ).one()
        assert event.reason == "Dean approved [late]"


def test_a_term_without_a_deadline_closes_the_choice_at_its_end(
    engine: Engine, clerk: Actor
) -> None:
    with session_scope(engine) as session:
        eid = _registered(session, deadline=None)
    with session_scope(engine) as session:
        change_grading_basis(
            session, actor=clerk, enrollment_id=eid, basis="credit", today=date(2026, 12, 18)
        )
        with pytest.raises(ValidationFailed, match="2026-12-18"):
            change_grading_basis(
                session, actor=clerk, enrollment_id=eid, basis="graded", today=date(2026, 12, 19)
            )


def test_only_the_courses_bases_and_never_over_a_mark(engine: Engine, clerk: Actor) -> None:
    day = date(2026, 9, 20)
    with session_scope(engine) as session:
        eid = _registered(session, deadline=None, allowed="graded,pass_no_pass")
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed, match="not offered audit"):
            change_grading_basis(session, actor=clerk, enrollment_id=eid, basis="AU", today=day)
        with pytest.raises(ValidationFailed, match="not a grading basis"):
            change_grading_basis(session, actor=clerk, enrollment_id=eid, basis="Q", today=day)
        with pytest.raises(ValidationFailed, match="already graded"):
            change_grading_basis(session, actor=clerk, enrollment_id=eid, basis="graded", today=day)
        row = session.get_one(Enrollment, eid)
        row.mark, row.grade_status = "B", GradeStatus.ENTERED.value
        session.add(row)
        session.flush()
        with pytest.raises(ValidationFailed, match="has the mark B"):
            change_grading_basis(
                session, actor=clerk, enrollment_id=eid, basis="pass_no_pass", today=day
            )


def test_basis_names_as_people_write_them() -> None:
    assert bases.parse_basis("Pass/No Pass") == "pass_no_pass"
    assert bases.parse_basis("s/u") == "satisfactory"
    assert bases.parse_basis(" CR/NC ") == "credit"
    assert bases.parse_bases("graded, P/NP, graded") == ("graded", "pass_no_pass")
    assert bases.parse_bases("") == ("graded",)
    assert bases.implied_basis("np") == "pass_no_pass" and bases.implied_basis("A") is None


def test_the_command_line_sets_a_courses_bases_and_a_terms_deadline(
    engine: Engine, database_url: str, cli_admin: Actor, capsys: pytest.CaptureFixture[str]
) -> None:
    from recordsdesk.cli import main
    from recordsdesk.models import Course, Term

    with session_scope(engine) as session:
        course = make_course(session, code="PHIL 101")
        term = make_term(session, code="2026FA")
        course_id, term_id = course.id, term.id
    run = ["--database", database_url]
    assert main(["catalog", "course-bases", "PHIL 101", "graded, P/NP", *run]) == 0
    assert "graded, pass/no pass" in capsys.readouterr().out
    assert main(["catalog", "course-bases", "PHIL 101", "graded", "--default", "AU", *run]) == 2
    assert "audit is not among the bases given" in capsys.readouterr().err
    assert main(["catalog", "basis-deadline", "2026fa", "2026-10-01", *run]) == 0
    assert main(["catalog", "basis-deadline", "2026FA", "2027-01-01", *run]) == 2
    assert "on or before the term's end" in capsys.readouterr().err
    with session_scope(engine) as session:
        stored = session.get_one(Course, course_id)
        assert (stored.grading_bases, stored.default_grading_basis) == (
            "graded,pass_no_pass",
            "graded",
        )
        assert session.get_one(Term, term_id).grading_basis_deadline == date(2026, 10, 1)
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.actor_id == cli_admin.id)
        ).all()
        assert {"course.grading_bases", "term.grading_basis_deadline"} <= set(actions)

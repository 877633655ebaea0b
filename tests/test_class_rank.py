"""Class rank (secondary), on both engines: ties share a rank, students without a GPA are left
out, each class year is ranked on its own, weighted and unweighted ranks differ when honours
weights do, and `--term` ranks as of that term."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.reports.class_rank import competition_ranks, decile, percentile
from recordsdesk.services.reports.registry import run_report
from tests.factories import (
    make_course,
    make_enrollment,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
    scale_id,
)


def test_ranks_by_hand() -> None:
    assert competition_ranks([D("3.0"), D("4.0"), D("3.0"), D("2.0")]) == [2, 1, 2, 4]
    assert [percentile(r, 4) for r in (1, 2, 4)] == [100, 75, 25]
    assert [decile(r, 4) for r in (1, 2, 4)] == [3, 5, 10]
    assert [decile(r, 10) for r in (1, 10)] == [1, 10]


@pytest.fixture
def registrar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        make_staff(session, username="cr-registrar", role="registrar")
        return actor_for(session, "cr-registrar")


def test_class_rank_report(engine: Engine, registrar: Actor) -> None:
    with session_scope(engine) as session:
        school = make_program(session, code="HS", level="secondary")
        fall = make_term(
            session, code="R26FA", start_date=date(2026, 9, 1), end_date=date(2026, 12, 18),
            add_drop_deadline=None, withdraw_deadline=None,
        )  # fmt: skip
        spring = make_term(
            session, code="R27SP", start_date=date(2027, 1, 10), end_date=date(2027, 5, 1),
            add_drop_deadline=None, withdraw_deadline=None,
        )  # fmt: skip
        plain = make_section(session, make_course(session, level="secondary"), fall)
        honours = make_section(
            session, make_course(session, level="secondary", weight=D("1")), fall
        )
        passfail = make_section(
            session,
            make_course(
                session, level="secondary", grading_scale_id=scale_id(session, "PASS-FAIL")
            ),
            fall,
        )
        later = make_section(session, make_course(session, level="secondary"), spring)

        def pupil(number: str, year: int, marks: list[tuple[object, str]]) -> None:
            student = make_student(
                session, student_number=number, legal_last_name=number, program_id=school.id,
                class_year=year,
            )  # fmt: skip
            for section, mark in marks:
                make_enrollment(
                    session, student, section, status="completed", mark=mark,  # type: ignore[arg-type]
                    grade_status="posted",
                )  # fmt: skip

        pupil("K1", 2027, [(plain, "A")])  # 4.00, weighted 4.00
        pupil("K2", 2027, [(honours, "B")])  # 3.00, weighted 4.00: ties K1 weighted
        pupil("K3", 2027, [(plain, "B")])  # 3.00
        pupil("K4", 2027, [(plain, "C"), (later, "A")])  # 2.00 in the fall; 3.00 after spring
        pupil("K5", 2027, [(passfail, "P")])  # no GPA: left out
        pupil("J1", 2028, [(plain, "C")])  # a class of its own
    with session_scope(engine) as session:
        table = run_report(session, actor=registrar, name="class-rank", term_code="R26FA")
        ranked = [(r[0], r[1], r[2], r[4], r[5], r[6], r[7], r[8]) for r in table.rows]
    assert ranked == [
        (2027, 1, "K1", D("4.00"), D("4.00"), 1, 100, 3),
        (2027, 1, "K2", D("4.00"), D("3.00"), 2, 100, 3),
        (2027, 3, "K3", D("3.00"), D("3.00"), 2, 50, 8),
        (2027, 4, "K4", D("2.00"), D("2.00"), 4, 25, 10),
        (2028, 1, "J1", D("2.00"), D("2.00"), 1, 100, 10),
    ]
    with session_scope(engine) as session:  # as of spring, K4's A counts
        table = run_report(session, actor=registrar, name="class-rank", term_code="R27SP")
        k4 = next(r for r in table.rows if r[2] == "K4")
    assert (k4[1], k4[5]) == (3, D("3.00"))


def test_a_secondary_transcript_prints_the_rank_when_the_institution_says_so(
    engine: Engine, registrar: Actor, system: Actor
) -> None:
    from recordsdesk.render.transcript_json import transcript_dict
    from recordsdesk.render.transcript_layout import RenderOptions
    from recordsdesk.render.transcript_text import render_text
    from recordsdesk.services.institution.settings import set_setting
    from recordsdesk.services.transcripts.builder import build_transcript

    with session_scope(engine) as session:
        school = make_program(session, code="HS2", level="secondary")
        term = make_term(
            session, start_date=date(2026, 9, 1), end_date=date(2026, 12, 18),
            add_drop_deadline=None, withdraw_deadline=None,
        )  # fmt: skip
        section = make_section(session, make_course(session, level="secondary"), term)
        for number, mark in (("Q1", "B"), ("Q2", "A"), ("Q3", "C")):
            student = make_student(
                session, student_number=number, program_id=school.id, class_year=2029
            )
            make_enrollment(
                session, student, section, status="completed", mark=mark, grade_status="posted"
            )
    with session_scope(engine) as session:
        assert build_transcript(session, actor=registrar, student_number="Q1").class_rank is None
        set_setting(session, actor=system, key="print_class_rank", value="yes")
    with session_scope(engine) as session:
        t = build_transcript(session, actor=registrar, student_number="Q1")
    assert t.class_rank is not None
    assert (t.class_rank.rank, t.class_rank.size, t.class_rank.percentile) == (2, 3, 66)
    assert "Class of 2029: rank 2 of 3 (weighted)" in render_text(t, RenderOptions())
    assert transcript_dict(t)["class_rank"]["decile"] == 7

"""`import history`: legacy rows become closed terms, courses, HIST sections and posted marks."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Course, Enrollment, Section, Student, Term
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.interchange.imports.common import ImportFailed
from recordsdesk.services.interchange.imports.history import term_dates
from recordsdesk.services.interchange.imports.runner import run_import
from tests.factories import make_course, make_section, make_student, make_term
from tests.import_helpers import DATA


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_term_codes_order_within_a_year() -> None:
    starts = [term_dates(f"2024{s}")[1] for s in ("WI", "SP", "SU", "FA")]
    assert starts == sorted(starts) and term_dates("2024FA")[0] == "Fall 2024"
    name, start, end = term_dates("2024FA", date(2024, 9, 2))
    assert start == date(2024, 9, 2) and end > start


def test_dry_run_apply_rerun(engine: Engine, system: Actor) -> None:
    good = DATA / "history_good.csv"
    dry = run_import(engine, actor=system, kind="history", path=good, dry_run=True)
    assert {k: v.new for k, v in dry.counts.items()} == {
        "term": 3,
        "course": 3,
        "student": 2,
        "section": 3,
        "enrollment": 4,
    }
    assert _count(engine, Enrollment) == 0 and _count(engine, AuditEvent) == 0

    run_import(engine, actor=system, kind="history", path=good)
    with session_scope(engine) as session:
        rows = session.exec(
            select(Student.student_number, Term.code, Course.code, Enrollment)
            .join(Enrollment, col(Enrollment.student_id) == col(Student.id))
            .join(Section, col(Section.id) == col(Enrollment.section_id))
            .join(Term, col(Term.id) == col(Section.term_id))
            .join(Course, col(Course.id) == col(Section.course_id))
        ).all()
        marks = {(n, t, c): (e.mark, e.status, e.grade_status, e.credits) for n, t, c, e in rows}
        assert marks[("H1001", "2019FA", "HIS101")] == ("A-", "completed", "posted", Decimal("3"))
        assert marks[("H1001", "2020SP", "ENG101")][:2] == ("W", "withdrawn")
        assert session.exec(select(Term).where(Term.code == "2020WI")).one().status == "closed"
        assert session.exec(select(Course).where(Course.code == "ENG101")).one().title == (
            "Composition, I"
        )
        assert verify_chain(session, actor=system).intact
        decided = session.exec(select(AuditEvent).where(AuditEvent.action == "standing.decide"))
        # one event per student, listing their standing in each imported term
        terms = [[s["term"] for s in json.loads(e.after or "")["standings"]] for e in decided]
        assert sorted(terms) == [["2019FA"], ["2019FA", "2020WI", "2020SP"]]
    # 3 terms, 3 courses, 3 sections; one event per student; the file's; the standings
    assert _count(engine, AuditEvent) == 9 + 2 + 1 + 2

    again = run_import(engine, actor=system, kind="history", path=good)
    assert again.total_changes == 0 and again.count("enrollment").unchanged == 4
    assert _count(engine, AuditEvent) == 14  # the same standings, decided again: no event


def test_existing_enrollment_is_reused_and_its_mark_corrected(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        term = make_term(session, code="2019FA")
        course = make_course(session, code="HIS101")
        student = make_student(session, student_number="H1001", legal_last_name="García")
        section = make_section(session, term_id=term.id, course_id=course.id)
        session.add(Enrollment(student_id=student.id or 0, section_id=section.id or 0))
    run_import(engine, actor=system, kind="history", path=DATA / "history_good.csv")
    with session_scope(engine) as session:
        mine = session.exec(select(Enrollment).where(Enrollment.student_id == student.id)).all()
        in_term = [e for e in mine if e.section_id == section.id]
        assert len(in_term) == 1 and in_term[0].mark == "A-" and in_term[0].version == 2


def test_every_fault_is_named(engine: Engine, system: Actor) -> None:
    with pytest.raises(ImportFailed) as failed:
        run_import(engine, actor=system, kind="history", path=DATA / "history_faults.csv")
    found = {(p.line, p.column) for p in failed.value.problems}
    assert found == {
        (2, "birth_date"),
        (3, "term"),
        (4, "credits"),
        (5, "mark"),
        (7, "course_code"),
        (8, "last_name"),
        (9, "course_code"),
        (10, "mark"),
        (11, "mark"),
        (12, "term_start"),
        (13, ""),
        (14, "term_start"),
    }
    unknown = next(p for p in failed.value.problems if p.line == 5)
    assert "'Q' is not a mark on US-PM" in unknown.message
    assert _count(engine, Student) == 0 and _count(engine, Term) == 0

    with pytest.raises(ImportFailed) as missing:
        run_import(engine, actor=system, kind="history", path=DATA / "history_missing_column.csv")
    assert [(p.line, p.column) for p in missing.value.problems] == [(1, "course_title")]


HEAD = "student_number,last_name,first_name,birth_date,term,course_code,course_title,credits,mark"


def test_basis_marks_on_any_course_record_their_basis(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    """A registrar's record with a pass/no pass course, a credit/no credit one, an audit and a
    named basis: each mark is taken on a letter-graded course, each basis recorded, and the
    transcript gives the hand-worked figures."""
    from recordsdesk.render.transcript_json import transcript_dict
    from recordsdesk.services.transcripts.builder import build_transcript

    person = "R1,Ruiz,Ana,2000-01-02"
    path = tmp_path / "basis.csv"
    path.write_text(
        f"{HEAD},grading_basis\n"
        f"{person},2019FA,HIS101,History,3,A,\n"
        f"{person},2019FA,PHI101,Philosophy,3,p,\n"
        f"{person},2020SP,ART101,Art,4,B,\n"
        f"{person},2020SP,MUS101,Music,2,CR,\n"
        f"{person},2020SP,SPA101,Spanish,3,AU,\n"
        f"{person},2020SP,BIO101,Biology,4,NP,Pass/No Pass\n"
        f"{person},2020SP,CHE101,Chemistry,3,B+,graded\n",
        encoding="utf-8",
    )
    run_import(engine, actor=system, kind="history", path=path)
    with session_scope(engine) as session:
        rows = session.exec(
            select(Course.code, Enrollment.mark, Enrollment.grading_basis)
            .join(Section, col(Section.id) == col(Enrollment.section_id))
            .join(Course, col(Course.id) == col(Section.course_id))
        ).all()
        t = build_transcript(session, actor=system, student_number="R1")
    assert sorted(rows) == [
        ("ART101", "B", "graded"),
        ("BIO101", "NP", "pass_no_pass"),
        ("CHE101", "B+", "graded"),
        ("HIS101", "A", "graded"),
        ("MUS101", "CR", "credit"),
        ("PHI101", "P", "pass_no_pass"),
        ("SPA101", "AU", "audit"),
    ]
    # GPA: A 3 x 4.00 + B 4 x 3.00 + B+ 3 x 3.30 = 33.90 over 10 credits = 3.39. Earned: A, P,
    # B, CR, B+ = 15; attempted: all but the audit = 19.
    assert (t.cumulative.quality_points, t.cumulative.gpa_credits) == (Decimal("33.90"), 10)
    assert t.cumulative_gpa == Decimal("3.39")
    assert (t.cumulative.credits_earned, t.cumulative.credits_attempted) == (15, 19)
    as_json = transcript_dict(t)
    bases = {
        c["course_code"]: c["grading_basis"] for term in as_json["terms"] for c in term["courses"]
    }
    assert bases["PHI101"] == "pass_no_pass" and bases["HIS101"] == "graded"
    # A second run changes nothing; a basis the file changes is recorded and audited.
    again = run_import(engine, actor=system, kind="history", path=path)
    assert again.total_changes == 0


def test_a_mark_not_of_the_named_basis_is_named(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "bad_basis.csv"
    path.write_text(
        f"{HEAD},grading_basis\n"
        "R2,Ruiz,Bo,2000-01-02,2019FA,HIS101,History,3,B,P/NP\n"
        "R2,Ruiz,Bo,2000-01-02,2019FA,PHI101,Philosophy,3,P,sometimes\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failed:
        run_import(engine, actor=system, kind="history", path=path)
    found = {(p.line, p.column): p.message for p in failed.value.problems}
    assert set(found) == {(2, "mark"), (3, "grading_basis")}
    assert "'B' is not a mark on P/NP" in found[(2, "mark")]
    assert _count(engine, Enrollment) == 0


def test_new_students_indexed_in_bulk_are_found(
    engine: Engine, system: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many new students: the lookup index's triggers are set aside in the write phase and the
    rows indexed in one statement; each must be found by name, and the triggers be back."""
    from sqlalchemy import text

    from recordsdesk.services.interchange.imports import history_write

    monkeypatch.setattr(history_write, "_DEFER_INDEX_FROM", 1)
    run_import(engine, actor=system, kind="history", path=DATA / "history_good.csv")
    with session_scope(engine) as session:
        numbers = dict(session.exec(select(Student.legal_last_name, Student.id)).all())
        terms = set(session.execute(text("SELECT value FROM name_term")).scalars())
        assert set(numbers) <= terms
        if engine.dialect.name == "sqlite":
            triggers = session.execute(
                text(
                    "SELECT count(*) FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'student' "
                    "AND name LIKE 'student_name_fts%'"
                )
            ).scalar_one()
            assert triggers == 3
            for last, student_id in numbers.items():
                found = (
                    session.execute(
                        text("SELECT rowid FROM student_name_fts WHERE student_name_fts MATCH :q"),
                        {"q": '"' + last.split()[0].replace('"', "") + '"'},
                    )
                    .scalars()
                    .all()
                )
                assert student_id in found, last


def test_each_imported_term_gets_its_standing_in_term_order_as_posting_would(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    """The file lists the terms out of order; the standings are decided oldest first, each
    reading the ones before it, and are what posting the same marks term by term decides."""
    from recordsdesk.models import AcademicStanding
    from recordsdesk.services.transcripts.builder import build_transcript
    from recordsdesk.services.transcripts.standing import post_and_decide

    marks = {  # D alone: cumulative 1.00, probation; again: suspension; then three As: 2.80
        "2020FA": [("ENG201", "A"), ("HIS201", "A"), ("MAT201", "A")],
        "2019FA": [("ENG101", "D")],
        "2020SP": [("HIS101", "D")],
    }
    path = tmp_path / "standing.csv"
    lines = [f"{HEAD},grading_basis"]
    for term, courses in marks.items():
        for code, mark in courses:
            lines.append(f"S1,Sola,Ina,2000-01-02,{term},{code},{code},3,{mark},")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_import(engine, actor=system, kind="history", path=path)
    with session_scope(engine) as session:
        decided = session.exec(
            select(Term.code, AcademicStanding.standing, AcademicStanding.cumulative_gpa)
            .join(Term, col(Term.id) == col(AcademicStanding.term_id))
            .order_by(col(Term.start_date))
        ).all()
        printed = [
            t.standing for t in build_transcript(session, actor=system, student_number="S1").terms
        ]
    assert [(c, s) for c, s, _ in decided] == [
        ("2019FA", "probation"),
        ("2020SP", "suspension"),
        ("2020FA", "good"),
    ]
    assert decided[-1][2] == Decimal("2.80")
    assert printed[:2] == ["Academic probation", "Academic suspension"]

    # The same marks keyed and posted one term after another, by the desk's posting.
    with session_scope(engine) as session:
        student = make_student(session, student_number="S2")
        sections: list[list[int]] = []
        for n, (term_code, courses) in enumerate(
            sorted(marks.items(), key=lambda kv: term_dates(kv[0])[1])
        ):
            _name, start, end = term_dates(term_code)
            term = make_term(session, code=f"P{n}", start_date=start, end_date=end,
                             add_drop_deadline=None, withdraw_deadline=None)  # fmt: skip
            ids = []
            for code, mark in courses:
                section = make_section(session, make_course(session, code=f"P{code}"), term)
                session.add(
                    Enrollment(
                        student_id=student.id or 0,
                        section_id=section.id or 0,
                        status="completed",
                        mark=mark,
                        grade_status="entered",
                    )
                )
                ids.append(section.id or 0)
            sections.append(ids)
    for ids in sections:
        with session_scope(engine) as session:
            for section_id in ids:
                post_and_decide(session, actor=system, section_id=section_id)
    with session_scope(engine) as session:
        posted = session.exec(
            select(AcademicStanding.standing, AcademicStanding.cumulative_gpa)
            .join(Term, col(Term.id) == col(AcademicStanding.term_id))
            .where(AcademicStanding.student_id == student.id)
            .order_by(col(Term.start_date))
        ).all()
    assert [tuple(p) for p in posted] == [(s, g) for _c, s, g in decided]


def test_a_published_registrar_example_with_a_pass_course_gives_its_gpa(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    """Portland Community College's published example (Student Records, "Grade point average
    calculator": http://www.pcc.edu/resources/student-records/grading/calculator.html): a
    three-credit A (12 points), a four-credit B (12), a two-credit C (4) and a one-credit P
    that "equals 0 points and does not count in your GPA calculation": 28 points over nine
    credits, "resulting in a 3.1 GPA". PCC prints one decimal, so the institution does too
    (gpa_decimals 1; half-up, 3.111... is 3.1). The P is on a letter-graded course, the way a
    legacy history carries a course a student took pass/no pass."""
    import json

    from recordsdesk.render.transcript_json import transcript_dict
    from recordsdesk.services.institution.settings import set_setting
    from recordsdesk.services.transcripts.builder import build_transcript

    with session_scope(engine) as session:
        set_setting(session, actor=system, key="gpa_decimals", value="1")
    person = "PCC1,Example,Student,2001-04-05"
    path = tmp_path / "pcc.csv"
    path.write_text(
        f"{HEAD}\n"
        f"{person},2024FA,BI101,Three-credit class,3,A\n"
        f"{person},2024FA,MTH111,Four-credit class,4,B\n"
        f"{person},2024FA,WR121,Two-credit class,2,C\n"
        f"{person},2024FA,PE131,One-credit class,1,P\n",
        encoding="utf-8",
    )
    run_import(engine, actor=system, kind="history", path=path)
    with session_scope(engine) as session:
        copy = json.loads(
            json.dumps(
                transcript_dict(build_transcript(session, actor=system, student_number="PCC1"))
            )
        )
    assert copy["cumulative"]["gpa"] == "3.1"
    assert copy["cumulative"]["quality_points"] == "28.00"
    assert copy["cumulative"]["gpa_credits"] == "9.00"
    assert copy["cumulative"]["credits_earned"] == "10.00"  # the P earns its credit
    (term,) = copy["terms"]
    bases = {c["course_code"]: c["grading_basis"] for c in term["courses"]}
    assert bases["PE131"] == "pass_no_pass" and term["gpa"] == "3.1"

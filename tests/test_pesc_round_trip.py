"""The round trip: each valid College sample imported, exported as PESC (the received coursework
as AcademicRecords of their own), validated against the shipped 1.6.0 schema and imported again
gives the same courses, credits, marks and GPA blocks; and a demo-style transcript exported as
PESC and read into another database gives the GPA its JSON copy prints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import (
    ExternalCourse,
    ExternalSummary,
    ExternalTranscript,
    Institution,
    Program,
    StaffRole,
    Student,
)
from recordsdesk.render.transcript_json import transcript_dict
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_pesc import render_pesc
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.demo.build import build_demo_database
from recordsdesk.services.interchange.imports.pesc import COURSE_FIELDS, SUMMARY_FIELDS
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.transcripts.builder import build_transcript
from tests.factories import make_staff
from tests.transcript_data import seed_transcript

pytestmark = pytest.mark.db

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pesc"
COLLEGE = sorted(
    p for p in (FIXTURES / "samples" / "valid").glob("*.xml") if "HighSchool" not in p.name
)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(
        etree.parse(str(FIXTURES / "xsd" / "college-1.6.0" / "CollegeTranscript_v1.6.0.xsd"))
    )


def received(session: Session, transcript_id: int) -> tuple[list[tuple[object, ...]], ...]:
    """One received record as values: its courses and GPA blocks, in order."""
    courses = session.exec(
        select(ExternalCourse)
        .where(ExternalCourse.external_transcript_id == transcript_id)
        .order_by(col(ExternalCourse.position))
    ).all()
    blocks = session.exec(
        select(ExternalSummary)
        .where(ExternalSummary.external_transcript_id == transcript_id)
        .order_by(col(ExternalSummary.position))
    ).all()
    return (
        [tuple(getattr(c, n) for n in COURSE_FIELDS) for c in courses],
        [tuple(getattr(s, n) for n in SUMMARY_FIELDS) for s in blocks],
    )


def by_institution(session: Session) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for row in session.exec(select(ExternalTranscript).order_by(col(ExternalTranscript.id))):
        assert row.id is not None
        found.setdefault(row.institution, []).append(row.id)
    return found


def normalised(values: tuple[list[tuple[object, ...]], ...]) -> object:
    """Sessions sent without a designator, or GPA blocks without one, are written at the
    record level; compare as sets of rows within each (designator kept)."""
    courses, blocks = values
    return sorted(map(repr, courses)), sorted(map(repr, blocks))


@pytest.mark.parametrize("path", COLLEGE, ids=lambda p: p.name)
def test_valid_college_sample_round_trips(
    engine: Engine,
    database_url: str,
    cli_login: Callable[..., Actor],
    schema: etree.XMLSchema,
    path: Path,
    tmp_path: Path,
) -> None:
    actor = cli_login("reg.trip", "registrar")
    report = run_import(engine, actor=actor, kind="pesc", path=path)
    number = report.changes[0].split("-> ")[1].split(" ")[0]
    with Session(engine) as session:
        first = by_institution(session)
    target = tmp_path / "out.xml"
    code = main(
        ["transcript", number, "--format", "pesc", "-o", str(target), "--recipient", "Elsewhere",
         "--database", database_url]
    )  # fmt: skip
    assert code == 0
    document = etree.fromstring(target.read_bytes())
    assert schema.validate(document), schema.error_log.last_error
    assert len(document.findall("Student/AcademicRecord")) == 1 + len(first)

    again = run_import(engine, actor=actor, kind="pesc", path=target)
    assert f"-> {number} (by our student number)" in again.changes[0]
    with Session(engine) as session:
        second = by_institution(session)
        assert second.keys() == first.keys()
        for institution, ids in second.items():
            assert len(ids) == 2, institution
            before, after = received(session, ids[0]), received(session, ids[1])
            assert normalised(after) == normalised(before), institution
            assert len(after[0]) + len(after[1]) > 0


def test_a_transcript_sent_as_pesc_reads_back_with_the_gpa_its_json_prints(
    engine: Engine, empty_database_url: str, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        seed_transcript(session)
    with session_scope(engine) as session:
        t = build_transcript(session, actor=system_actor(session), student_number="T0001")
    figures = transcript_dict(t)
    text = render_pesc(t, RenderOptions(official=True, issued_on=date(2026, 5, 10)), "Other U")
    elsewhere = open_database(empty_database_url)
    try:
        with session_scope(elsewhere) as session:
            institution = session.exec(select(Institution)).one()
            institution.name, institution.short_name = "Other University", "OU"
            session.add(institution)
            user = make_staff(session, role="registrar")
            assert user.id is not None
            actor = Actor(user.id, user.username, StaffRole(user.role), user.full_name)
        path = tmp_path / "sent.xml"
        path.write_text(text, encoding="utf-8")
        run_import(elsewhere, actor=actor, kind="pesc", path=path)
        with Session(elsewhere) as session:
            summaries = session.exec(select(ExternalSummary)).all()
            overall = [s.gpa for s in summaries if s.summary_type == "All"]
            terms = [
                (s.gpa, c.gpa)
                for s, c in zip(
                    [s for s in summaries if s.summary_type == "SenderOnly"],
                    [s for s in summaries if s.summary_type == "Cumulative"],
                    strict=True,
                )
            ]
            courses = session.exec(select(ExternalCourse)).all()
    finally:
        elsewhere.dispose()
    assert overall == [figures["cumulative"]["gpa"]] == ["3.67"]
    assert terms == [(term["gpa"], term["cumulative"]["gpa"]) for term in figures["terms"]]
    assert len(courses) == sum(len(term.courses) for term in t.terms) + len(t.transfer)


def test_demo_transcripts_sent_as_pesc_read_back_with_the_gpas_their_json_prints(
    tmp_path: Path, empty_database_url: str
) -> None:
    """A demo database's college records, sent and received by another desk: every term's,
    every running and the overall GPA arrive as the JSON copy prints them."""
    demo = tmp_path / "demo.db"
    build_demo_database(
        f"sqlite:///{demo}", students=120, seed=2026, rebuild=True, progress=lambda _: None,
        today=date(2026, 5, 10),
    )  # fmt: skip
    engine = open_database(f"sqlite:///{demo}", migrate=False)
    sent_gpas: dict[str, tuple[object, ...]] = {}
    try:
        with Session(engine) as session:
            actor = system_actor(session)
            rows = session.exec(
                select(Student.student_number, Student.legal_last_name)
                .join(Program, col(Program.id) == Student.program_id)
                .where(col(Program.level).in_(("undergraduate", "graduate")))
                .order_by(col(Student.student_number))
            ).all()
            for number, _last in rows[:25]:
                t = build_transcript(session, actor=actor, student_number=number)
                if t.cumulative_gpa is None:
                    continue
                figures = transcript_dict(t)
                text = render_pesc(t, RenderOptions(issued_on=date(2026, 5, 10)), "Other U")
                (tmp_path / f"{number}.xml").write_text(text, encoding="utf-8")
                sent_gpas[number] = (
                    figures["cumulative"]["gpa"],
                    [(term["gpa"], term["cumulative"]["gpa"]) for term in figures["terms"]],
                )
    finally:
        engine.dispose()
    assert len(sent_gpas) >= 10
    elsewhere = open_database(empty_database_url)
    try:
        with session_scope(elsewhere) as session:
            institution = session.exec(select(Institution)).one()
            institution.name, institution.short_name = "Other University", "OU"
            session.add(institution)
            user = make_staff(session, role="registrar")
            assert user.id is not None
            actor = Actor(user.id, user.username, StaffRole(user.role), user.full_name)
        for number, (overall, terms) in sent_gpas.items():
            run_import(elsewhere, actor=actor, kind="pesc", path=tmp_path / f"{number}.xml")
            with Session(elsewhere) as session:
                newest = session.exec(
                    select(ExternalTranscript).order_by(col(ExternalTranscript.id).desc())
                ).first()
                assert newest is not None and newest.id is not None
                blocks = session.exec(
                    select(ExternalSummary)
                    .where(ExternalSummary.external_transcript_id == newest.id)
                    .order_by(col(ExternalSummary.position))
                ).all()
            got = [b.gpa or None for b in blocks]
            kinds = [b.summary_type for b in blocks]
            assert got[kinds.index("All")] == overall, number
            term_gpas = [b.gpa or None for b in blocks if b.summary_type == "SenderOnly"]
            running = [b.gpa or None for b in blocks if b.summary_type == "Cumulative"]
            assert list(zip(term_gpas, running, strict=True)) == terms, number
    finally:
        elsewhere.dispose()

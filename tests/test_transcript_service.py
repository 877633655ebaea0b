"""The transcript builder, release log, hold refusal and settings, on both engines."""

from __future__ import annotations

import json
import re
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Course, Enrollment, GradeMark, Institution, Section
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.render.transcript_json import render_json, transcript_dict, verification_code
from recordsdesk.render.transcript_layout import BODY_LINES, PAGE_LINES, RenderOptions, layout
from recordsdesk.render.transcript_text import render_text
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.institution.settings import set_setting, show_settings
from recordsdesk.services.people.record import get_student_record
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from recordsdesk.services.transcripts.builder import DEANS_LIST, PROBATION, build_transcript
from recordsdesk.services.transcripts.release import TranscriptHeld, release_transcript
from tests.factories import make_hold, make_staff, scale_id
from tests.transcript_data import TranscriptData, seed_transcript


@pytest.fixture
def data(engine: Engine) -> TranscriptData:
    with session_scope(engine) as session:
        return seed_transcript(session)


@pytest.fixture
def staff(engine: Engine) -> dict[str, Actor]:
    with session_scope(engine) as session:
        for role in ("clerk", "registrar", "admin"):
            make_staff(session, username=f"t-{role}", role=role)
        return {role: actor_for(session, f"t-{role}") for role in ("clerk", "registrar", "admin")}


def build(engine: Engine, actor: Actor, number: str = "T0001"):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return build_transcript(session, actor=actor, student_number=number)


def test_hand_worked_record_latest_policy(
    engine: Engine, data: TranscriptData, system: Actor
) -> None:
    t = build(engine, system)
    fall, spring = t.terms
    assert [c.course_code for c in fall.courses] == [
        "ART100",
        "ENGL101",
        "HIST101",
        "MATH101",
        "SEM100",
    ]
    math_f = next(c for c in fall.courses if c.course_code == "MATH101")
    assert (math_f.repeated, math_f.repeat, math_f.quality_points) == (True, "excluded", None)
    # ENGL A- 3 x 3.70 = 11.10; SEM P attempts/earns 1; HIST I attempts 4; ART W nothing.
    assert (fall.totals.credits_attempted, fall.totals.credits_earned) == (D("8"), D("4"))
    assert (fall.totals.quality_points, fall.gpa) == (D("11.10"), D("3.70"))
    assert fall.cumulative.credits_earned == D("10")  # with 6 transfer credits
    assert fall.standing == DEANS_LIST
    # MATH B+ 9.90 + HON A 12.00 = 21.90 / 6 = 3.65; weighted + 3 = 24.90 / 6 = 4.15
    assert (spring.gpa, spring.weighted_gpa) == (D("3.65"), D("4.15"))
    # cumulative 33.00 / 9 = 3.666... -> 3.67; weighted 36 / 9 = 4.00
    assert (t.cumulative_gpa, t.cumulative_weighted_gpa) == (D("3.67"), D("4.00"))
    assert (t.cumulative.credits_attempted, t.cumulative.credits_earned) == (D("14"), D("16"))
    assert t.transfer_credits == D("6") and t.weighted_available and not t.progress_only
    assert [c.course_code for c in t.in_progress] == ["ENGL200"]
    assert t.student.name == "Zoë Ødegård"


def test_policies_from_settings(engine: Engine, data: TranscriptData, system: Actor) -> None:
    with session_scope(engine) as session:
        set_setting(session, actor=system, key="gpa_rounding", value="truncate")
    assert build(engine, system).cumulative_gpa == D("3.66")
    with session_scope(engine) as session:
        set_setting(session, actor=system, key="gpa_decimals", value="3")
    assert build(engine, system).cumulative_gpa == D("3.666")
    with session_scope(engine) as session:
        set_setting(session, actor=system, key="repeat_policy", value="all")
        set_setting(session, actor=system, key="gpa_decimals", value="2")
    t = build(engine, system)
    # the F now counts: fall 11.10 / 6 = 1.85 -> probation; cumulative 33 / 12 = 2.75
    assert (t.terms[0].gpa, t.terms[0].standing) == (D("1.85"), PROBATION)
    assert t.cumulative_gpa == D("2.75")
    assert t.cumulative.credits_earned == D("16")  # MATH101 earned once
    with session_scope(engine) as session:
        set_setting(session, actor=system, key="repeat_policy", value="highest")
    assert build(engine, system).cumulative_gpa == D("3.66")


def test_elementary_record_has_no_gpa(engine: Engine, data: TranscriptData, system: Actor) -> None:
    t = build(engine, system, "E0001")
    assert t.progress_only and t.cumulative_gpa is None
    assert t.terms[0].gpa is None and t.terms[0].standing == ""
    document = json.loads(render_json(t, RenderOptions()))
    assert document["cumulative"]["gpa"] is None
    assert "no grade point average" in render_text(t, RenderOptions())


def test_json_contract(engine: Engine, data: TranscriptData, system: Actor) -> None:
    document = transcript_dict(build(engine, system))
    fall = document["terms"][0]
    assert fall["code"] == "2024FA" and fall["gpa"] == "3.70"
    assert {"course_code", "credits", "mark", "quality_points", "repeat"} <= set(fall["courses"][0])
    assert fall["credits_attempted"] == "8.00" and fall["credits_earned"] == "4.00"
    assert document["cumulative"] == {
        "gpa": "3.67",
        "weighted_gpa": "4.00",
        "gpa_credits": "9.00",
        "quality_points": "33.00",
        "weighted_quality_points": "36.00",
        "credits_attempted": "14.00",
        "credits_earned": "16.00",
    }


def test_layout_pages_are_fixed_and_terms_kept_together(
    engine: Engine, data: TranscriptData, system: Actor
) -> None:
    t = build(engine, system)
    # Repeat the terms so the record spans pages; no term heading may sit apart from its courses.
    long = type(t)(**{**t.__dict__, "terms": t.terms * 12})
    pages = layout(long, RenderOptions())
    assert len(pages) > 2
    for page in pages:
        assert len(page.lines) == PAGE_LINES
        assert f"Page {page.number} of {len(pages)}" in page.lines[1].text
        assert "UNOFFICIAL" in page.lines[0].text and "UNOFFICIAL" in page.lines[-1].text
        body = [line.text for line in page.lines[3 : 3 + BODY_LINES]]
        for i, text in enumerate(body):
            if text.startswith(("2024FA", "2025SP")):
                assert body[i + 1].strip().startswith("Course"), (page.number, text)
                assert any(b.strip().startswith("Cumulative") for b in body[i:]), text


def test_release_logs_every_copy_and_shows_on_record(
    engine: Engine, data: TranscriptData, staff: dict[str, Actor]
) -> None:
    with session_scope(engine) as session:
        copy = release_transcript(
            session, actor=staff["clerk"], student_number="T0001", fmt="text", recipient="Me"
        )
    assert b"UNOFFICIAL" in copy.content
    with session_scope(engine) as session:
        request = session.exec(select(TranscriptRequest)).one()
        assert (request.official, request.recipient, request.format, request.status) == (
            False,
            "Me",
            "text",
            "released",
        )
        assert request.verification_code == copy.verification_code
        event = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "transcript_request")
        ).one()
        assert event.actor_username == "t-clerk" and event.student_id == data.student_id
        record = get_student_record(session, actor=staff["clerk"], student_id=data.student_id)
        assert [r.recipient for r in record.transcript_requests] == ["Me"]


def test_official_needs_registrar_and_no_hold(
    engine: Engine, data: TranscriptData, staff: dict[str, Actor]
) -> None:
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        release_transcript(session, actor=staff["clerk"], student_number="T0001", official=True)
    with session_scope(engine) as session:
        make_hold(
            session,
            session.get(
                __import__("recordsdesk.models", fromlist=["Student"]).Student, data.student_id
            ),
            placed_by_id=staff["registrar"].id,
            blocks_transcript=True,
            reason="Unpaid library fine",
        )
    with (
        session_scope(engine) as session,
        pytest.raises(TranscriptHeld, match="Unpaid library fine"),
    ):
        release_transcript(session, actor=staff["registrar"], student_number="T0001", official=True)
    with session_scope(engine) as session:
        assert session.exec(select(TranscriptRequest)).all() == []
        # an unofficial copy is still allowed under the hold
        release_transcript(session, actor=staff["clerk"], student_number="T0001", fmt="json")


def test_official_copy_carries_signature_and_code(
    engine: Engine, data: TranscriptData, staff: dict[str, Actor]
) -> None:
    with session_scope(engine) as session:
        session.exec(select(Institution)).one().registrar_name = "Ana Reyes"
        copy = release_transcript(
            session,
            actor=staff["registrar"],
            student_number="T0001",
            fmt="text",
            official=True,
            issued_on=date(2026, 1, 5),
        )
    text = copy.content.decode()
    assert "UNOFFICIAL" not in text
    assert "Registrar: Ana Reyes" in text and "2026-01-05" in text
    assert copy.verification_code in text
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){3}", copy.verification_code)
    # The code covers a random nonce besides what the copy prints: knowing the transcript, the
    # day and the serial is not enough to work it out (codes are looked up, never recomputed).
    assert copy.verification_code != verification_code(
        copy.transcript,
        date(2026, 1, 5),
        official=True,
        weighted=False,
        fmt="text",
        serial=copy.request_id,
    )


def test_settings_validate_and_audit(
    engine: Engine, staff: dict[str, Actor], system: Actor
) -> None:
    with session_scope(engine) as session:
        assert show_settings(session, actor=staff["clerk"])["repeat_policy"] == "latest"
        with pytest.raises(PermissionDenied):
            set_setting(session, actor=staff["registrar"], key="gpa_decimals", value="3")
        for key, value in [
            ("gpa_decimals", "9"),
            ("repeat_policy", "best"),
            ("gpa_rounding", "up"),
            ("deans_list_min_gpa", "abc"),
            ("probation_below_gpa", "3.9"),
            ("default_grading_scale", "NOPE"),
            ("colour", "red"),
        ]:
            with pytest.raises(ValidationFailed) as caught:
                set_setting(session, actor=staff["admin"], key=key, value=value)
            assert caught.value.field == key
        after = set_setting(
            session, actor=staff["admin"], key="default_grading_scale", value="US-LETTER"
        )
        assert after["default_grading_scale"] == "US-LETTER"
    with session_scope(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "settings.set")).one()
        assert json.loads(event.after or "{}") == {"default_grading_scale": "US-LETTER"}


def test_a_new_mark_is_read_by_the_next_transcript(
    engine: Engine, data: TranscriptData, system: Actor
) -> None:
    """The mark rules are cached per database; a mark added to a scale changes their
    fingerprint (read with the student), so the next transcript uses it."""
    before = build(engine, system)
    with session_scope(engine) as session:
        session.add(
            GradeMark(
                scale_id=scale_id(session), mark="X", description="Excellent", points=D("3.50")
            )
        )
        engl = session.exec(
            select(Enrollment)
            .join(Section, Section.id == Enrollment.section_id)  # type: ignore[arg-type]
            .join(Course, Course.id == Section.course_id)  # type: ignore[arg-type]
            .where(Enrollment.student_id == data.student_id, Course.code == "ENGL101")
        ).one()
        engl.mark = "X"
        session.add(engl)
    after = build(engine, system)
    line = next(c for c in after.terms[0].courses if c.course_code == "ENGL101")
    assert (line.mark_description, line.quality_points) == ("Excellent", D("10.50"))
    assert after.terms[0].gpa == D("3.50") != before.terms[0].gpa


def test_values_built_without_their_init_equal_the_dataclasses(
    engine: Engine, data: TranscriptData, system: Actor
) -> None:
    """The builder makes course lines, terms and totals with make_frozen: every field set,
    equal (and hashing equal) to what the dataclass's own constructor makes."""
    t = build(engine, system)
    values = [t.cumulative, *(v for term in t.terms for v in (term, term.totals, *term.courses))]
    for value in values:
        copy = type(value)(**{f.name: getattr(value, f.name) for f in fields(value)})
        assert copy == value and repr(copy) == repr(value)
    assert hash(t.terms[0].courses[0]) == hash(replace(t.terms[0].courses[0]))

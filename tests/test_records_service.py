"""The student record read for the screens: every tab's data, credits earned, no audit event."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.catalog.view import list_courses, list_sections, list_terms
from recordsdesk.services.people.record import StudentRecord, get_student_record
from recordsdesk.services.shared.errors import NotFound
from tests.desk_data import DeskData, seed_desk


@pytest.fixture
def desk_data(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        return seed_desk(session, system.id)


def _record(engine: Engine, actor: Actor, student_id: int) -> StudentRecord:
    with session_scope(engine) as session:
        return get_student_record(session, actor=actor, student_id=student_id)


def test_full_record(engine: Engine, system: Actor, desk_data: DeskData) -> None:
    record = _record(engine, system, desk_data.garcia_id)
    profile = record.profile
    assert (profile.legal_name, profile.preferred_name, profile.program_code) == (
        "José García",
        "Pepe",
        "BSC-BIO",
    )
    assert (profile.level, profile.city, profile.confidential) == ("2029", "Sevilla", False)

    (fall,) = record.history
    assert fall.term_code == "2025FA"
    marks = {c.course_code: (c.mark, c.credits, c.earns_credit) for c in fall.courses}
    assert marks == {
        "BIO101": ("A-", Decimal("4"), True),
        "CHEM101": ("W", Decimal("3"), False),
        "SEM100": ("P", Decimal("1"), True),
    }
    # 4 (A-) + 1 (P) + 3 transfer; the W earns nothing.
    assert record.credits_earned == Decimal("8")
    assert [t.source_course_title for t in record.transfer_credits] == ["Cálculo"]

    assert [(r.course_code, r.status, r.waitlist_position) for r in record.registrations] == [
        ("BIO101", "waitlisted", 2),
        ("CHEM101", "registered", None),
    ]
    assert [(h.hold_type, h.active) for h in record.holds] == [
        ("financial", True),
        ("advising", False),
    ]
    assert record.has_active_hold
    assert record.holds[0].placed_by == "system"
    assert [n.body for n in record.notes] == ["Asked about [b]housing[/b]"]
    assert [(r.recipient, r.requested_by) for r in record.transcript_requests] == [
        ("Univ. of Lisbon", "system")
    ]


def test_empty_record_and_confidential_flag(
    engine: Engine, system: Actor, desk_data: DeskData
) -> None:
    record = _record(engine, system, desk_data.confidential_id)
    assert record.profile.confidential
    assert record.history == record.registrations == record.holds == ()
    assert record.credits_earned == Decimal("0")
    assert not record.has_active_hold


def test_reading_writes_no_audit_event(engine: Engine, system: Actor, desk_data: DeskData) -> None:
    with session_scope(engine) as session:
        before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    _record(engine, system, desk_data.garcia_id)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == before


def test_unknown_student_is_not_found(engine: Engine, system: Actor) -> None:
    with pytest.raises(NotFound, match="no student with id 999"):
        _record(engine, system, 999)


def test_catalog_and_terms_views(engine: Engine, system: Actor, desk_data: DeskData) -> None:
    with session_scope(engine) as session:
        courses = list_courses(session, actor=system)
        terms = list_terms(session, actor=system)
        chem = next(c for c in courses if c.code == "CHEM101")
        sections = list_sections(session, actor=system, course_id=chem.id)
    assert [c.code for c in courses] == ["BIO101", "CHEM101", "SEM100"]
    assert (chem.section_count, chem.scale_code) == (2, "US-PM")
    assert [(t.code, t.status, t.section_count) for t in terms] == [
        ("2026SP", "registration_open", 2),
        ("2025FA", "closed", 3),
    ]
    assert [(s.term_code, s.section_code, s.registered, s.waitlisted) for s in sections] == [
        ("2026SP", "02", 1, 0),
        ("2025FA", "01", 0, 0),
    ]


def test_gpa_from_the_transcript_builder(
    engine: Engine, system: Actor, desk_data: DeskData
) -> None:
    record = _record(engine, system, desk_data.garcia_id)
    # Fall 2025: BIO101 A- (4 credits, 3.70); P and W do not count in GPA.
    assert record.cumulative_gpa == Decimal("3.70")
    fall = record.term_gpa("2025FA")
    assert fall is not None and (fall.gpa, fall.cumulative_gpa) == (
        Decimal("3.70"),
        Decimal("3.70"),
    )
    assert record.term_gpa("2026SP") is None  # registered only: nothing graded yet


def test_audit_trail_only_for_registrars_and_admins(
    engine: Engine, system: Actor, desk_data: DeskData
) -> None:
    from recordsdesk.models import StaffRole
    from recordsdesk.services.people.notes import add_note

    with session_scope(engine) as session:
        add_note(session, actor=system, student_id=desk_data.garcia_id, body="Called about fees")
    admin_view = _record(engine, system, desk_data.garcia_id)
    assert admin_view.audit is not None
    assert [(a.action, a.entity) for a in admin_view.audit][0] == ("create", "contact_note")
    clerk = Actor(id=system.id, username="clerk", role=StaffRole.CLERK)
    assert _record(engine, clerk, desk_data.garcia_id).audit is None
    registrar = Actor(id=system.id, username="reg", role=StaffRole.REGISTRAR)
    assert _record(engine, registrar, desk_data.garcia_id).audit is not None

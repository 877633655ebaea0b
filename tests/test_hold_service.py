"""Holds are placed and released with reasons by named staff, audited with the change, and a hold
released at one desk cannot be released again (and its reason overwritten) at another."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from sqlmodel import select as sql_select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Hold
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.people.holds import blocking_holds, list_holds, place_hold, release_hold
from recordsdesk.services.shared.errors import NotFound, StaleRecord, ValidationFailed
from tests.factories import make_staff, make_student


@pytest.fixture
def student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        student = make_student(session)
        assert student.id is not None
        return student.id


@pytest.fixture
def bursar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, make_staff(session, username="bursar", role="registrar").username)


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        holds = connection.execute(select(func.count()).select_from(Hold)).scalar_one()
        events = connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return holds, events


def events_for(engine: Engine, hold_id: int) -> list[AuditEvent]:
    with Session(engine) as session:
        query = (
            sql_select(AuditEvent)
            .where(AuditEvent.entity == "hold", AuditEvent.entity_id == str(hold_id))
            .order_by(col(AuditEvent.id))
        )
        return list(session.exec(query).all())


def test_place_hold_records_who_why_and_audits(
    engine: Engine, bursar: Actor, student_id: int
) -> None:
    with session_scope(engine) as session:
        hold = place_hold(
            session,
            actor=bursar,
            student_id=student_id,
            hold_type="financial",
            reason="  Unpaid fall tuition ",
            blocks_transcript=True,
        )
    assert hold.active and hold.placed_by == "bursar"
    assert hold.reason == "Unpaid fall tuition"
    assert hold.blocks == "registration and transcripts"
    [placed] = events_for(engine, hold.id)
    assert placed.action == "place" and placed.student_id == student_id
    assert placed.reason == "Unpaid fall tuition"
    assert json.loads(placed.after or "")["hold_type"] == "financial"


def test_a_rolled_back_placement_leaves_neither_hold_nor_event(
    engine: Engine, bursar: Actor, student_id: int
) -> None:
    before = counts(engine)
    with Session(engine) as session:
        place_hold(
            session, actor=bursar, student_id=student_id, hold_type="library", reason="Books"
        )
        session.rollback()
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hold_type": "parking"}, "hold_type"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"blocks_registration": False, "blocks_transcript": False}, "blocks"),
    ],
)
def test_invalid_hold_names_the_field_and_writes_nothing(
    engine: Engine, bursar: Actor, student_id: int, fields: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"hold_type": "registrar", "reason": "Missing documents"}
    values.update(fields)
    before = counts(engine)
    with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
        place_hold(session, actor=bursar, student_id=student_id, **values)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert counts(engine) == before


def test_hold_on_a_missing_student_is_not_found(engine: Engine, bursar: Actor) -> None:
    with pytest.raises(NotFound), session_scope(engine) as session:
        place_hold(session, actor=bursar, student_id=987_654, hold_type="library", reason="x")


def test_release_records_who_and_why_and_leaves_the_active_list(
    engine: Engine, bursar: Actor, system: Actor, student_id: int
) -> None:
    with session_scope(engine) as session:
        hold = place_hold(
            session, actor=bursar, student_id=student_id, hold_type="advising", reason="See adviser"
        )
    with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
        release_hold(session, actor=system, hold_id=hold.id, reason="")
    assert refused.value.field == "release_reason"

    with session_scope(engine) as session:
        released = release_hold(session, actor=system, hold_id=hold.id, reason="Met adviser")
    assert not released.active
    assert (released.released_by, released.release_reason) == ("system", "Met adviser")
    assert released.released_at is not None and released.released_at >= released.placed_at
    assert [e.action for e in events_for(engine, hold.id)] == ["place", "release"]

    with Session(engine) as session:
        assert list_holds(session, actor=system, student_id=student_id) == []
        everything = list_holds(session, actor=system, student_id=student_id, include_released=True)
    assert everything == [released]


def test_two_desks_cannot_both_release_a_hold(
    engine: Engine, bursar: Actor, system: Actor, student_id: int
) -> None:
    with session_scope(engine) as session:
        hold = place_hold(
            session, actor=bursar, student_id=student_id, hold_type="financial", reason="Balance"
        )
    with Session(engine) as desk_a, Session(engine) as desk_b:
        list_holds(desk_a, actor=bursar, student_id=student_id)
        list_holds(desk_b, actor=system, student_id=student_id)
        desk_a.commit()
        desk_b.commit()
        release_hold(desk_a, actor=bursar, hold_id=hold.id, reason="Paid in full")
        desk_a.commit()
        with pytest.raises(StaleRecord):
            release_hold(desk_b, actor=system, hold_id=hold.id, reason="Waived")
        desk_b.rollback()
    with Session(engine) as session:
        [kept] = list_holds(session, actor=system, student_id=student_id, include_released=True)
    assert (kept.released_by, kept.release_reason) == ("bursar", "Paid in full")
    assert [e.action for e in events_for(engine, hold.id)] == ["place", "release"]


def test_blocking_holds_by_what_they_block(engine: Engine, bursar: Actor, student_id: int) -> None:
    with session_scope(engine) as session:
        registration = place_hold(
            session, actor=bursar, student_id=student_id, hold_type="advising", reason="Advising"
        )
        transcript = place_hold(
            session,
            actor=bursar,
            student_id=student_id,
            hold_type="library",
            reason="Overdue books",
            blocks_registration=False,
            blocks_transcript=True,
        )
        released = place_hold(
            session,
            actor=bursar,
            student_id=student_id,
            hold_type="financial",
            reason="Old balance",
            blocks_transcript=True,
        )
        release_hold(session, actor=bursar, hold_id=released.id, reason="Paid")
    with Session(engine) as session:
        stops_registration = blocking_holds(
            session, actor=bursar, student_id=student_id, blocks="registration"
        )
        stops_transcripts = blocking_holds(
            session, actor=bursar, student_id=student_id, blocks="transcript"
        )
    assert [h.id for h in stops_registration] == [registration.id]
    assert [h.id for h in stops_transcripts] == [transcript.id]

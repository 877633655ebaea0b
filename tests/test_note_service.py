"""Contact notes are appended to the record with their author and audited with the write."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, ContactNote
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.people.notes import add_note, list_notes
from recordsdesk.services.shared.errors import NotFound, ValidationFailed
from tests.factories import make_student


@pytest.fixture
def student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        student = make_student(session)
        assert student.id is not None
        return student.id


def test_notes_are_kept_verbatim_newest_first_and_audited(
    engine: Engine, system: Actor, student_id: int
) -> None:
    with session_scope(engine) as session:
        first = add_note(session, actor=system, student_id=student_id, body="Asked about [b]fees")
    with session_scope(engine) as session:
        second = add_note(
            session, actor=system, student_id=student_id, body=" Called back \n", channel="phone"
        )
    assert second.body == "Called back" and second.channel == "phone"
    with Session(engine) as session:
        notes = list_notes(session, actor=system, student_id=student_id)
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "contact_note")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [n.id for n in notes] == [second.id, first.id]
    assert notes[1].body == "Asked about [b]fees" and notes[1].author == "system"
    assert [(e.entity_id, e.student_id) for e in events] == [
        (str(first.id), student_id),
        (str(second.id), student_id),
    ]
    assert json.loads(events[1].after or "") == {"channel": "phone", "body": "Called back"}


@pytest.mark.parametrize(
    ("body", "channel", "field"),
    [("   ", "counter", "body"), ("x" * 4001, "counter", "body"), ("Hello", "fax", "channel")],
)
def test_invalid_note_names_the_field_and_writes_nothing(
    engine: Engine, system: Actor, student_id: int, body: str, channel: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
        add_note(session, actor=system, student_id=student_id, body=body, channel=channel)
    assert refused.value.field == field
    with Session(engine) as session:
        assert session.exec(select(ContactNote)).first() is None
        assert session.exec(select(AuditEvent)).first() is None


def test_note_on_a_missing_student_is_not_found(engine: Engine, system: Actor) -> None:
    with pytest.raises(NotFound), session_scope(engine) as session:
        add_note(session, actor=system, student_id=987_654, body="Hello")

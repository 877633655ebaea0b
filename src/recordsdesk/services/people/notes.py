"""Contact notes: what was said at the counter, on the phone or by mail, kept on the record.

Notes are append-only: a wrong note is corrected by a new one, so the record shows what staff
knew when. Each note is audited in the same transaction as it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from recordsdesk.models import ContactNote, StaffUser, Student, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import NotFound, ValidationFailed

ENTITY = "contact_note"
CHANNELS = ("counter", "phone", "email", "letter", "other")
MAX_BODY = 4000


@dataclass(frozen=True)
class NoteView:
    id: int
    student_id: int
    author: str
    created_at: datetime
    channel: str
    body: str


def add_note(
    session: Session, *, actor: Actor, student_id: int, body: str, channel: str = "counter"
) -> NoteView:
    """Append a note to the student's record; ValidationFailed names the field."""
    authorize(actor, Action.NOTE_ADD)
    if session.get(Student, student_id) is None:
        raise NotFound(f"There is no student with id {student_id}.")
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise ValidationFailed("body", "the note is empty.")
    if len(text) > MAX_BODY:
        raise ValidationFailed("body", f"must be at most {MAX_BODY} characters.")
    if channel not in CHANNELS:
        raise ValidationFailed("channel", f"{channel!r} is not one of {', '.join(CHANNELS)}.")
    note = ContactNote(
        student_id=student_id, author_id=actor.id, created_at=utcnow(), channel=channel, body=text
    )
    session.add(note)
    session.flush()
    assert note.id is not None
    audit.record(
        session,
        actor,
        action="create",
        entity=ENTITY,
        entity_id=note.id,
        student_id=student_id,
        after={"channel": channel, "body": text},
    )
    return NoteView(
        id=note.id,
        student_id=student_id,
        author=actor.username,
        created_at=note.created_at,
        channel=channel,
        body=text,
    )


def list_notes(
    session: Session, *, actor: Actor, student_id: int, limit: int = 100
) -> list[NoteView]:
    """The student's most recent notes, newest first."""
    authorize(actor, Action.STUDENT_READ)
    query = (
        select(ContactNote, StaffUser.username)
        .join(StaffUser, col(StaffUser.id) == col(ContactNote.author_id))
        .where(ContactNote.student_id == student_id)
        .order_by(col(ContactNote.created_at).desc(), col(ContactNote.id).desc())
        .limit(limit)
    )
    views = []
    for note, author in session.exec(query).all():
        assert note.id is not None
        views.append(
            NoteView(
                id=note.id,
                student_id=note.student_id,
                author=author,
                created_at=note.created_at,
                channel=note.channel,
                body=note.body,
            )
        )
    return views

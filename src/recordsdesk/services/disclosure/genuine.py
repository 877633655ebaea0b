""" "Is this document genuine?": a verification code answered with the document's facts.

A third party reads the code printed on a copy; the desk looks it up (never lists codes) and
says whether the office issued a document under it, and if so which document, for which
student, when, official or not, to whom, and whether the record has changed since (a later
grade change). Every lookup, found or not, is one audit event: the trail shows who asked about
which record, and a run of failed lookups shows someone guessing. The code itself is not kept
in the trail, only a digest that tells repeated attempts apart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, col, select

from recordsdesk.models import (
    AuditEvent,
    StaffUser,
    Student,
    TranscriptRequest,
    VerificationLetter,
)
from recordsdesk.render.letter_layout import letter_digest
from recordsdesk.render.transcript_json import record_digest
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.disclosure.letters import build_letter
from recordsdesk.services.transcripts.builder import build_transcript

ENTITY = "document"
#: Audit entities whose later events can change what a copy printed.
RECORD_ENTITIES = ("enrollment", "student", "transfer_credit")
MAX_CHANGES = 5
_CODE = re.compile(r"[0-9A-F]{16}")


@dataclass(frozen=True)
class DocumentCheck:
    """The answer for one code. Only `genuine` is set when no document carries the code."""

    genuine: bool
    document: str = ""
    student_number: str = ""
    student_name: str = ""
    issued_on: date | None = None
    released_by: str = ""
    official: bool = False
    format: str = ""
    recipient: str = ""
    #: Whether the figures the copy printed differ from the record today (None: the copy was
    #: released before the desk kept what it printed).
    changed_since: bool | None = None
    #: Changes to the record after the copy was issued, newest first (at most MAX_CHANGES).
    later_changes: tuple[str, ...] = ()
    #: Whether a presented file is byte for byte the copy released (None: none presented).
    matches: bool | None = None


def normalise_code(code: str) -> str:
    """'abcd efgh-1234 5678' -> 'ABCD-EFGH-1234-5678'; '' when it cannot be a code."""
    compact = re.sub(r"[\s-]", "", code or "").upper()
    if not _CODE.fullmatch(compact):
        return ""
    return "-".join(compact[i : i + 4] for i in range(0, 16, 4))


def _later_changes(session: Session, student_id: int, since: datetime) -> tuple[str, ...]:
    rows = session.exec(
        select(AuditEvent.occurred_at, AuditEvent.action, AuditEvent.entity)
        .where(
            AuditEvent.student_id == student_id,
            col(AuditEvent.occurred_at) > since,
            col(AuditEvent.entity).in_(RECORD_ENTITIES),
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(MAX_CHANGES)
    ).all()
    return tuple(
        f"{occurred.date().isoformat()} {action.replace('.', ' ').replace('_', ' ')}"
        f" ({entity.replace('_', ' ')})"
        for occurred, action, entity in rows
    )


def check_document(
    session: Session, *, actor: Actor, code: str, content: bytes | None = None
) -> DocumentCheck:
    """Look `code` up among the documents the office issued (transcript copies, verification
    letters) and audit the lookup (in the caller's transaction). With `content`, also say
    whether it is the copy released."""
    authorize(actor, Action.DOCUMENT_VERIFY)
    wanted = normalise_code(code)
    request = (
        session.exec(
            select(TranscriptRequest).where(TranscriptRequest.verification_code == wanted)
        ).first()
        if wanted
        else None
    )
    letter = (
        session.exec(
            select(VerificationLetter).where(VerificationLetter.verification_code == wanted)
        ).first()
        if wanted and request is None
        else None
    )
    found: TranscriptRequest | VerificationLetter | None = request or letter
    if request is not None:
        answer = _transcript_answer(session, actor, request)
    elif letter is not None:
        answer = _letter_answer(session, actor, letter)
    else:
        answer = DocumentCheck(genuine=False)
    if found is not None and content is not None and found.content_digest:
        matches = hashlib.sha256(content).hexdigest() == found.content_digest
        answer = replace(answer, matches=matches)
    audit.record(
        session,
        actor,
        action="verify_code",
        entity=ENTITY,
        entity_id=f"{found.__tablename__}:{found.id}" if found is not None else "",
        student_id=found.student_id if found is not None else None,
        after={
            "genuine": answer.genuine,
            "code_digest": hashlib.sha256((wanted or code).encode("utf-8")).hexdigest()[:16],
            "matches": answer.matches,
        },
    )
    return answer


def _names(session: Session, student_id: int, staff_id: int | None) -> tuple[str, str, str]:
    """(student number, student name, staff username) for an answer."""
    student = session.get(Student, student_id)
    assert student is not None
    username = (
        session.exec(select(StaffUser.username).where(StaffUser.id == staff_id)).first() or ""
    )
    name = " ".join(p for p in (student.legal_first_name, student.legal_last_name) if p)
    return student.student_number, name, username


def _transcript_answer(session: Session, actor: Actor, request: TranscriptRequest) -> DocumentCheck:
    number, name, released_by = _names(session, request.student_id, request.released_by_id)
    released_at = request.released_at or request.requested_at
    changed: bool | None = None
    if request.record_digest:
        now = build_transcript(session, actor=actor, student_id=request.student_id)
        changed = record_digest(now) != request.record_digest
    return DocumentCheck(
        genuine=True,
        document="official transcript" if request.official else "unofficial transcript",
        student_number=number,
        student_name=name,
        issued_on=released_at.date(),
        released_by=released_by,
        official=request.official,
        format=request.format,
        recipient=request.recipient,
        changed_since=changed,
        later_changes=_later_changes(session, request.student_id, released_at),
    )


def _letter_answer(session: Session, actor: Actor, letter: VerificationLetter) -> DocumentCheck:
    number, name, issued_by = _names(session, letter.student_id, letter.issued_by_id)
    now = build_letter(
        session,
        actor=actor,
        student_id=letter.student_id,
        terms=letter.terms.split(),
        today=letter.issued_at.date(),
    )
    return DocumentCheck(
        genuine=True,
        document=f"enrollment verification letter ({letter.terms})",
        student_number=number,
        student_name=name,
        issued_on=letter.issued_at.date(),
        released_by=issued_by,
        official=True,
        format=letter.format,
        recipient=letter.recipient,
        changed_since=letter_digest(now) != letter.record_digest,
        later_changes=_later_changes(session, letter.student_id, letter.issued_at),
    )


def answer_lines(check: DocumentCheck) -> list[str]:
    """The answer in plain lines, as the command prints it and the desk shows it."""
    if not check.genuine:
        return [
            "NOT GENUINE: the office issued no document under this code.",
            "Check the code as printed; a copy whose code is unknown was not issued here.",
        ]
    lines = [
        f"GENUINE: {check.document} issued {check.issued_on} by {check.released_by or '?'}",
        f"Student: {check.student_name} ({check.student_number})",
        f"Released to: {check.recipient or '(not named)'} as {check.format}",
    ]
    if check.matches is True:
        lines.append("The file presented is the copy released, byte for byte.")
    elif check.matches is False:
        lines.append("The file presented is NOT the copy released: it was altered.")
    if check.changed_since is None:
        lines.append("Changed since: unknown (released before the desk kept what it printed).")
    elif check.changed_since:
        lines.append("Changed since: YES, the record no longer reads as this copy printed it.")
    else:
        lines.append("Changed since: no, the record still reads as this copy printed it.")
    if check.later_changes:
        lines.append("Later changes to the record: " + "; ".join(check.later_changes))
    return lines

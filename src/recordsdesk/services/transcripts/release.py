"""Releasing a transcript: the copy itself, the hold check, and the log of every copy.

Every copy that leaves the desk (file, printer, screen export) goes through `release_transcript`:
it checks the role (clerk for unofficial, registrar for official), refuses an official copy
while a transcript hold is active (naming the hold), renders the document with a verification
code derived from its content, and logs a TranscriptRequest with an audit event in the same
transaction, so the student's record lists every copy released.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from recordsdesk.models import (
    DisclosedDocument,
    Institution,
    ProgramLevel,
    Student,
    TranscriptFormat,
    TranscriptRequestStatus,
    utcnow,
)
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.render.transcript_html import render_html
from recordsdesk.render.transcript_json import record_digest, render_json, verification_code
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_text import render_text
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, allowed, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.disclosure.log import check_release, record_disclosure
from recordsdesk.services.people.holds import blocking_holds
from recordsdesk.services.shared.clean_text import printable, refuse_control_characters
from recordsdesk.services.shared.errors import RecordsError, ValidationFailed
from recordsdesk.services.shared.private_files import check_target, safe_file_name, write_private
from recordsdesk.services.transcripts.builder import Transcript, build_transcript
from recordsdesk.services.transcripts.printing import PrintJob, print_pdf
from recordsdesk.services.transcripts.received import ReceivedRecord, received_records

ENTITY = "transcript_request"
MAX_RECIPIENT = 200
FORMATS = ("text", "json", "pdf", "html", "pesc", "print")
#: A secondary record goes as a PESC High School Transcript, a college one as a College
#: Transcript; an elementary progress record has no PESC document: refused before anything is
#: logged.
PESC_HIGH_SCHOOL = ProgramLevel.SECONDARY.value
PESC_NOT_YET = (ProgramLevel.ELEMENTARY.value,)


class TranscriptHeld(RecordsError):
    """An official copy was asked for while a hold blocks transcripts."""


@dataclass(frozen=True)
class ReleasedCopy:
    """The document and the facts logged about it."""

    request_id: int
    format: str
    official: bool
    issued_on: date
    verification_code: str
    content: bytes
    transcript: Transcript


def render_options(
    session: Session,
    transcript: Transcript,
    *,
    official: bool,
    weighted: bool,
    issued_on: date,
    fmt: str = "",
    serial: int | None = None,
    nonce: str = "",
) -> RenderOptions:
    """The options a released copy is drawn with: its own verification code, covering what
    it prints (official or not, which GPA, the format), its serial in the log and its random
    nonce (so the code cannot be worked out from the copy's content)."""
    registrar = session.exec(select(Institution.registrar_name)).first() or ""
    return RenderOptions(
        official=official,
        weighted=weighted,
        issued_on=issued_on,
        verification_code=verification_code(
            transcript,
            issued_on,
            official=official,
            weighted=weighted,
            fmt=fmt,
            serial=serial,
            nonce=nonce,
        ),
        registrar_name=registrar,
    )


def render_document(
    transcript: Transcript,
    options: RenderOptions,
    fmt: str,
    recipient: str = "",
    received: Sequence[ReceivedRecord] = (),
) -> bytes:
    """The copy's bytes in `fmt` (print sends the PDF; a PESC document names `recipient` as
    its destination). The PDF and font code is imported only when a PDF is made: it is the
    slowest part of starting the transcript command."""
    if fmt in ("pdf", "print"):
        from recordsdesk.render.transcript_pdf import render_pdf

        return render_pdf(transcript, options)
    if fmt == "json":
        return render_json(transcript, options).encode("utf-8")
    if fmt == "html":
        return render_html(transcript, options).encode("utf-8")
    if fmt == "pesc" and transcript.student.program_level == PESC_HIGH_SCHOOL:
        from recordsdesk.render.transcript_pesc_hs import render_pesc_hs

        return render_pesc_hs(transcript, options, recipient, received).encode("utf-8")
    if fmt == "pesc":
        from recordsdesk.render.transcript_pesc import render_pesc

        return render_pesc(transcript, options, recipient, received).encode("utf-8")
    if fmt == "text":
        return render_text(transcript, options).encode("utf-8")
    raise ValidationFailed("format", f"{fmt!r} is not a transcript format ({', '.join(FORMATS)}).")


def check_official_allowed(session: Session, *, actor: Actor, student_id: int) -> None:
    """Raise TranscriptHeld naming every active hold that blocks transcripts."""
    holds = blocking_holds(session, actor=actor, student_id=student_id, blocks="transcript")
    if holds:
        named = "; ".join(
            f"{h.hold_type} hold placed {h.placed_at.date().isoformat()} by {h.placed_by}: "
            f"{h.reason}"
            for h in holds
        )
        raise TranscriptHeld(f"Official transcripts are held: {named}")


def release_transcript(
    session: Session,
    *,
    actor: Actor,
    student_number: str | None = None,
    student_id: int | None = None,
    fmt: str = "pdf",
    official: bool = False,
    recipient: str = "",
    weighted: bool = False,
    issued_on: date | None = None,
    purpose: str = "",
    basis: str | None = None,
    consent_id: int | None = None,
) -> ReleasedCopy:
    """Render and log one copy, with its row in the student's disclosure log (to `recipient`,
    for `purpose`, on `basis`, relying on consent `consent_id`; services.disclosure.log says
    the defaults). Raises PermissionDenied, TranscriptHeld, ValidationFailed."""
    authorize(actor, Action.TRANSCRIPT_OFFICIAL if official else Action.TRANSCRIPT_UNOFFICIAL)
    if fmt not in FORMATS:
        raise ValidationFailed(
            "format", f"{fmt!r} is not a transcript format ({', '.join(FORMATS)})."
        )
    recipient = recipient.strip()
    if len(recipient) > MAX_RECIPIENT:
        raise ValidationFailed("recipient", f"must be at most {MAX_RECIPIENT} characters.")
    refuse_control_characters("recipient", recipient)
    transcript = build_transcript(
        session, actor=actor, student_number=student_number, student_id=student_id
    )
    sid = transcript.student.student_id
    if fmt == "pesc" and transcript.student.program_level in PESC_NOT_YET:
        raise ValidationFailed(
            "format",
            f"a PESC copy is a College or High School Transcript; this is an "
            f"{transcript.student.program_level} record (not written as PESC).",
        )
    if official:
        check_official_allowed(session, actor=actor, student_id=sid)
    check_release(
        session,
        actor=actor,
        student_id=sid,
        document=DisclosedDocument.TRANSCRIPT.value,
        basis=basis,
        consent_id=consent_id,
        purpose=purpose,
    )
    issued = issued_on or date.today()
    now = utcnow()
    request = TranscriptRequest(
        student_id=sid,
        requested_at=now,
        requested_by_id=actor.id,
        official=official,
        recipient=recipient,
        format=TranscriptFormat(fmt).value,
        status=TranscriptRequestStatus.RELEASED.value,
        released_at=now,
        released_by_id=actor.id,
        note="weighted GPA" if weighted and transcript.weighted_available else "",
    )
    session.add(request)
    session.flush()  # the log entry's id is the copy's serial, part of its code
    assert request.id is not None
    options = render_options(
        session,
        transcript,
        official=official,
        weighted=weighted,
        issued_on=issued,
        fmt=fmt,
        serial=request.id,
        nonce=secrets.token_hex(16),
    )
    received = received_records(session, actor=actor, student_id=sid) if fmt == "pesc" else ()
    content = render_document(transcript, options, fmt, recipient, received)
    request.verification_code = options.verification_code
    request.content_digest = hashlib.sha256(content).hexdigest()
    request.record_digest = record_digest(transcript)
    session.add(request)
    audit.record(
        session,
        actor,
        action="release",
        entity=ENTITY,
        entity_id=request.id,
        student_id=sid,
        # The code itself stays out of the trail: the desk never lists codes.
        after=audit.snapshot(
            request, ["official", "recipient", "format", "status", "content_digest"]
        ),
    )
    record_disclosure(
        session,
        actor=actor,
        student_id=sid,
        document=DisclosedDocument.TRANSCRIPT.value,
        document_id=request.id,
        recipient=recipient,
        purpose=purpose,
        basis=basis,
        consent_id=consent_id,
        note=f"{'official' if official else 'unofficial'} {fmt} copy",
    )
    return ReleasedCopy(
        request_id=request.id,
        format=fmt,
        official=official,
        issued_on=issued,
        verification_code=options.verification_code,
        content=content,
        transcript=transcript,
    )


def release_to_file(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    overwrite: bool = False,
    create_folders: bool = True,
    field: str = "file",
    **release: Any,
) -> tuple[ReleasedCopy, Path]:
    """Release a copy (`release` are `release_transcript`'s arguments) and write it to `path`
    as an owner-only file. The target is checked before anything is logged, and the file is
    written in the caller's transaction, so a copy that could not be written is not logged as
    released. Raises OutputExists (the desk asks to overwrite) and the release's errors."""
    target = check_target(path, overwrite=overwrite, field=field)
    copy = release_transcript(session, actor=actor, **release)
    written = write_private(
        target, copy.content, overwrite=overwrite, create_folders=create_folders, field=field
    )
    return copy, written


def suggested_file_name(copy_of: Transcript, *, official: bool, fmt: str, on: date) -> str:
    """The file name the desk offers for a copy, built from the student number but reduced to
    safe characters, so a number like `/../../x` cannot point outside the exports folder."""
    kind = "official" if official else "unofficial"
    suffix = {"pdf": "pdf", "json": "json", "html": "html", "pesc": "xml"}.get(fmt, "txt")
    number = safe_file_name(copy_of.student.student_number, fallback="student")
    return f"transcript-{number}-{kind}-{on.isoformat()}.{suffix}"


def print_transcript(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    official: bool = False,
    weighted: bool = False,
    recipient: str = "",
    printer: str | None = None,
    purpose: str = "",
    basis: str | None = None,
    consent_id: int | None = None,
) -> tuple[ReleasedCopy, PrintJob]:
    """Release a copy to the printer. The log is written in the caller's transaction, so when
    CUPS refuses the job the exception rolls it back and no copy is recorded as released."""
    copy = release_transcript(
        session,
        actor=actor,
        student_id=student_id,
        fmt="print",
        official=official,
        weighted=weighted,
        recipient=recipient,
        purpose=purpose,
        basis=basis,
        consent_id=consent_id,
    )
    title = printable(f"Transcript {copy.transcript.student.student_number}")
    return copy, print_pdf(copy.content, title=title, printer=printer)


@dataclass(frozen=True)
class Preview:
    """What the preview screen draws from: the transcript, the registrar's name for the
    signature line, and why an official copy would be refused (empty when it would not)."""

    transcript: Transcript
    registrar_name: str
    held: str
    may_release_official: bool


def preview_transcript(session: Session, *, actor: Actor, student_id: int) -> Preview:
    """Read everything the preview needs in one short session (nothing is logged)."""
    transcript = build_transcript(session, actor=actor, student_id=student_id)
    held = ""
    try:
        check_official_allowed(session, actor=actor, student_id=student_id)
    except TranscriptHeld as exc:
        held = str(exc)
    registrar = session.exec(select(Institution.registrar_name)).first() or ""
    return Preview(
        transcript=transcript,
        registrar_name=registrar,
        held=held,
        may_release_official=allowed(actor, Action.TRANSCRIPT_OFFICIAL),
    )


#: What the preview prints where a released copy carries its code (given on release).
PREVIEW_CODE = "given on release"


def preview_options(
    preview: Preview, *, official: bool, weighted: bool, issued_on: date
) -> RenderOptions:
    """The options a copy released today would carry. Each copy's code is made when it is
    released (it covers the copy's serial), so the preview says so in its place."""
    return RenderOptions(
        official=official,
        weighted=weighted,
        issued_on=issued_on,
        verification_code=PREVIEW_CODE,
        registrar_name=preview.registrar_name,
    )


@dataclass(frozen=True)
class CopyCheck:
    """What the log says about a verification code: the copy released under it."""

    found: bool
    student_number: str = ""
    official: bool = False
    format: str = ""
    released_on: date | None = None
    recipient: str = ""
    matches: bool | None = None  # None: no document given (or none recorded) to compare


def check_copy(
    session: Session, *, actor: Actor, code: str, content: bytes | None = None
) -> CopyCheck:
    """Is this document genuine? The copy released under `code`, and when `content` is given,
    whether it is byte for byte the copy released (its digest is kept per copy)."""
    authorize(actor, Action.TRANSCRIPT_UNOFFICIAL)
    wanted = code.strip().upper()
    request = session.exec(
        select(TranscriptRequest).where(TranscriptRequest.verification_code == wanted)
    ).first()
    if request is None:
        return CopyCheck(found=False)
    number = session.exec(
        select(Student.student_number).where(Student.id == request.student_id)
    ).first()
    matches = None
    if content is not None and request.content_digest:
        matches = hashlib.sha256(content).hexdigest() == request.content_digest
    return CopyCheck(
        found=True,
        student_number=number or "",
        official=request.official,
        format=request.format,
        released_on=request.released_at.date() if request.released_at else None,
        recipient=request.recipient,
        matches=matches,
    )

"""Releasing a transcript: the copy itself, the hold check, and the log of every copy.

Every copy that leaves the desk (file, printer, screen export) goes through `release_transcript`:
it checks the role (clerk for unofficial, registrar for official), refuses an official copy
while a transcript hold is active (naming the hold), renders the document with a verification
code derived from its content, and logs a TranscriptRequest with an audit event in the same
transaction, so the student's record lists every copy released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from recordsdesk.models import Institution, TranscriptFormat, TranscriptRequestStatus, utcnow
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.render.transcript_html import render_html
from recordsdesk.render.transcript_json import render_json, verification_code
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_text import render_text
from recordsdesk.services import audit
from recordsdesk.services.actor import Actor
from recordsdesk.services.errors import RecordsError, ValidationFailed
from recordsdesk.services.hold import blocking_holds
from recordsdesk.services.permissions import Action, allowed, authorize
from recordsdesk.services.printing import PrintJob, print_pdf
from recordsdesk.services.transcript import Transcript, build_transcript

ENTITY = "transcript_request"
MAX_RECIPIENT = 200
FORMATS = ("text", "json", "pdf", "html", "print")


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
    session: Session, transcript: Transcript, *, official: bool, weighted: bool, issued_on: date
) -> RenderOptions:
    """The options a released copy is drawn with (the preview uses the same, so it matches)."""
    registrar = session.exec(select(Institution.registrar_name)).first() or ""
    return RenderOptions(
        official=official,
        weighted=weighted,
        issued_on=issued_on,
        verification_code=verification_code(transcript, issued_on),
        registrar_name=registrar,
    )


def render_document(transcript: Transcript, options: RenderOptions, fmt: str) -> bytes:
    """The copy's bytes in `fmt` (print sends the PDF). The PDF and font code is imported only
    when a PDF is made: it is the slowest part of starting the transcript command."""
    if fmt in ("pdf", "print"):
        from recordsdesk.render.transcript_pdf import render_pdf

        return render_pdf(transcript, options)
    if fmt == "json":
        return render_json(transcript, options).encode("utf-8")
    if fmt == "html":
        return render_html(transcript, options).encode("utf-8")
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
) -> ReleasedCopy:
    """Render and log one copy. Raises PermissionDenied, TranscriptHeld, ValidationFailed."""
    authorize(actor, Action.TRANSCRIPT_OFFICIAL if official else Action.TRANSCRIPT_UNOFFICIAL)
    if fmt not in FORMATS:
        raise ValidationFailed(
            "format", f"{fmt!r} is not a transcript format ({', '.join(FORMATS)})."
        )
    recipient = recipient.strip()
    if len(recipient) > MAX_RECIPIENT:
        raise ValidationFailed("recipient", f"must be at most {MAX_RECIPIENT} characters.")
    transcript = build_transcript(
        session, actor=actor, student_number=student_number, student_id=student_id
    )
    sid = transcript.student.student_id
    if official:
        check_official_allowed(session, actor=actor, student_id=sid)
    issued = issued_on or date.today()
    options = render_options(
        session, transcript, official=official, weighted=weighted, issued_on=issued
    )
    content = render_document(transcript, options, fmt)
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
        verification_code=options.verification_code,
        note="weighted GPA" if weighted and transcript.weighted_available else "",
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    audit.record(
        session,
        actor,
        action="release",
        entity=ENTITY,
        entity_id=request.id,
        student_id=sid,
        after=audit.snapshot(
            request, ["official", "recipient", "format", "status", "verification_code"]
        ),
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


def print_transcript(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    official: bool = False,
    weighted: bool = False,
    recipient: str = "",
    printer: str | None = None,
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
    )
    title = f"Transcript {copy.transcript.student.student_number}"
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


def preview_options(
    preview: Preview, *, official: bool, weighted: bool, issued_on: date
) -> RenderOptions:
    """The options a copy released today would carry, so the preview shows the same code."""
    return RenderOptions(
        official=official,
        weighted=weighted,
        issued_on=issued_on,
        verification_code=verification_code(preview.transcript, issued_on),
        registrar_name=preview.registrar_name,
    )

"""Enrollment verification letters: "I need proof that I am enrolled".

A letter certifies, per requested term, the student's enrollment status (full-time, half-time,
less than half-time, from the credits registered against the institution's thresholds for the
student's level, or not enrolled), the term's dates, the program and level, the expected
graduation and any degree conferred. It is laid out on the transcript's page grid (preview =
print, PDF with the shipped fonts), signed with the registrar's name and title, and carries a
verification code of its own. Every copy is logged (a `verification_letter` row, its audit
event and its disclosure). A confidential (directory opt-out) student's letter to a third party
needs the student's consent on file covering enrollment, or the desk refuses and says why.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    DisclosedDocument,
    Enrollment,
    EnrollmentStatus,
    Institution,
    LegalBasis,
    Program,
    ProgramLevel,
    Section,
    Student,
    Term,
    TranscriptFormat,
    VerificationLetter,
    utcnow,
)
from recordsdesk.render.letter_layout import (
    NOT_ENROLLED,
    Letter,
    LetterTerm,
    letter_dict,
    letter_digest,
    letter_json,
    letter_pages,
)
from recordsdesk.render.transcript_text import page_text
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.disclosure.log import check_release, choose_basis, record_disclosure
from recordsdesk.services.shared.clean_text import printable, refuse_control_characters
from recordsdesk.services.shared.errors import NotFound, ValidationFailed
from recordsdesk.services.shared.private_files import check_target, safe_file_name, write_private
from recordsdesk.services.transcripts.printing import PrintJob, print_pdf

ENTITY = "verification_letter"
FORMATS = ("text", "json", "pdf", "html", "print")
MAX_RECIPIENT = 200
MAX_TERMS = 12
#: What the preview prints where a released letter carries its code.
PREVIEW_CODE = "given on release"
#: Enrollments whose credits count toward a term's load (a withdrawal shows W and does not).
COUNTED = (EnrollmentStatus.REGISTERED.value, EnrollmentStatus.COMPLETED.value)


@dataclass(frozen=True)
class ReleasedLetter:
    letter_id: int
    format: str
    verification_code: str
    content: bytes
    letter: Letter


def _student(session: Session, student_number: str | None, student_id: int | None) -> Student:
    if student_id is not None:
        student = session.get(Student, student_id)
    else:
        number = (student_number or "").strip()
        student = session.exec(select(Student).where(Student.student_number == number)).first()
    if student is None:
        raise NotFound(f"There is no student {student_number or student_id!r}.")
    return student


def _thresholds(inst: Institution, level: str) -> tuple[Decimal, Decimal] | None:
    """(full-time, half-time) credits for a level; None where a term's load has no grades of
    status (elementary and secondary pupils are enrolled full-time)."""
    if level == ProgramLevel.GRADUATE.value:
        return Decimal(inst.full_time_credits_graduate), Decimal(inst.half_time_credits_graduate)
    if level in (ProgramLevel.ELEMENTARY.value, ProgramLevel.SECONDARY.value):
        return None
    return (
        Decimal(inst.full_time_credits_undergraduate),
        Decimal(inst.half_time_credits_undergraduate),
    )


def enrollment_status(load: Decimal, thresholds: tuple[Decimal, Decimal] | None) -> str:
    """The status `load` (credits registered in a term) gives under (full, half) thresholds."""
    if load <= 0:
        return NOT_ENROLLED
    if thresholds is None:
        return "full-time"
    full, half = thresholds
    if load >= full:
        return "full-time"
    if load >= half:
        return "half-time"
    return "less than half-time"


def _term_credits(session: Session, student_id: int, term_ids: list[int]) -> dict[int, Decimal]:
    rows = session.exec(
        select(col(Section.term_id), col(Enrollment.credits), col(Course.credits))
        .join(Section, col(Section.id) == col(Enrollment.section_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .where(
            Enrollment.student_id == student_id,
            col(Enrollment.status).in_(COUNTED),
            col(Section.term_id).in_(term_ids),
        )
    ).all()
    totals: dict[int, Decimal] = {}
    for term_id, own, course in rows:
        totals[term_id] = totals.get(term_id, Decimal("0")) + Decimal(
            own if own is not None else course
        )
    return totals


def _terms(session: Session, student_id: int, codes: Sequence[str], today: date) -> list[Term]:
    """The terms asked for, in date order; none asked: the term under way today, else the
    student's latest term with a registration."""
    wanted = [c.strip().upper() for c in codes if c.strip()]
    if len(wanted) > MAX_TERMS:
        raise ValidationFailed("term", f"a letter certifies at most {MAX_TERMS} terms.")
    if wanted:
        found = session.exec(select(Term).where(col(Term.code).in_(wanted))).all()
        missing = sorted(set(wanted) - {t.code for t in found})
        if missing:
            raise ValidationFailed("term", f"there is no term {', '.join(missing)}.")
        return sorted(found, key=lambda t: t.start_date)
    current = session.exec(
        select(Term).where(col(Term.start_date) <= today, col(Term.end_date) >= today)
    ).first()
    if current is not None:
        return [current]
    latest = session.exec(
        select(Term)
        .join(Section, col(Section.term_id) == col(Term.id))
        .join(Enrollment, col(Enrollment.section_id) == col(Section.id))
        .where(Enrollment.student_id == student_id, col(Enrollment.status).in_(COUNTED))
        .order_by(col(Term.start_date).desc())
    ).first()
    if latest is None:
        raise ValidationFailed("term", "no term is under way today: name the term(s) to certify.")
    return [latest]


#: A regular term lasts at least ten weeks; shorter ones (summer sessions) are not counted in
#: a program's normal length.
REGULAR_TERM_DAYS = 70
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def expected_graduation(session: Session, student: Student, program: Program | None) -> str:
    """When the student should finish, as the letter states it: the program's normal length
    (`program.normal_terms` regular terms, summers not counted) from the student's entry term
    (else the first term they enrolled in), as the graduating term's name and month, e.g.
    "Spring 2029 (May 2029)". Beyond the terms on file the calendar's last year of regular
    terms repeats, and the month alone is given. Without a program length or a first term it
    is the class year, as before; a conferred degree needs no expectation."""
    fallback = str(student.class_year) if student.class_year else ""
    if student.degree_conferred or program is None or not program.normal_terms:
        return "" if student.degree_conferred else fallback
    entry = session.get(Term, student.entry_term_id) if student.entry_term_id else None
    if entry is None:
        entry = session.exec(
            select(Term)
            .join(Section, col(Section.term_id) == col(Term.id))
            .join(Enrollment, col(Enrollment.section_id) == col(Section.id))
            .where(Enrollment.student_id == student.id, col(Enrollment.status).in_(COUNTED))
            .order_by(col(Term.start_date))
        ).first()
    if entry is None:
        return fallback
    regular_on_file = [
        t
        for t in session.exec(select(Term).order_by(col(Term.start_date), col(Term.id))).all()
        if (t.end_date - t.start_date).days >= REGULAR_TERM_DAYS
    ]
    regular = [t for t in regular_on_file if t.start_date >= entry.start_date]
    if not regular:
        return fallback
    index = program.normal_terms - 1
    if index < len(regular):
        term = regular[index]
        return f"{term.name} ({MONTHS[term.end_date.month - 1]} {term.end_date.year})"
    last = regular_on_file[-1].start_date
    per_year = max(1, sum(1 for t in regular_on_file if (last - t.start_date).days < 365))
    year_of_terms = regular_on_file[-per_year:]
    beyond = index - len(regular)  # 0 for the first term after the last on file
    term = year_of_terms[beyond % per_year]
    year = term.end_date.year + beyond // per_year + 1
    return f"{MONTHS[term.end_date.month - 1]} {year}"


def build_letter(
    session: Session,
    *,
    actor: Actor,
    student_number: str | None = None,
    student_id: int | None = None,
    terms: Sequence[str] = (),
    recipient: str = "",
    today: date | None = None,
) -> Letter:
    """The letter's facts as the record stands (nothing is logged). Raises NotFound,
    ValidationFailed('term')."""
    authorize(actor, Action.LETTER_ISSUE)
    student = _student(session, student_number, student_id)
    assert student.id is not None
    day = today or date.today()
    inst = session.exec(select(Institution)).one()
    program = session.get(Program, student.program_id) if student.program_id else None
    level = program.level if program else ""
    chosen = _terms(session, student.id, terms, day)
    loads = _term_credits(session, student.id, [t.id for t in chosen if t.id is not None])
    thresholds = _thresholds(inst, level)
    contact = "  ·  ".join(x for x in (inst.phone, inst.email, inst.website) if x)
    name = " ".join(
        x
        for x in (student.legal_first_name, student.legal_middle_name, student.legal_last_name)
        if x
    )
    return Letter(
        institution_name=inst.name,
        institution_address=inst.address,
        institution_contact=contact,
        registrar_name=inst.registrar_name,
        student_name=name,
        student_number=student.student_number,
        student_status=student.status,
        program_name=program.name if program else "",
        program_code=program.code if program else "",
        level=level,
        expected_graduation=expected_graduation(session, student, program),
        degree_conferred=student.degree_conferred,
        conferral_date=student.conferral_date,
        terms=tuple(
            LetterTerm(
                code=t.code,
                name=t.name,
                start_date=t.start_date,
                end_date=t.end_date,
                credits=loads.get(t.id or 0, Decimal("0")),
                status=enrollment_status(loads.get(t.id or 0, Decimal("0")), thresholds),
            )
            for t in chosen
        ),
        recipient=recipient,
        issued_on=day,
        practice=inst.practice,
    )


def render_letter(letter: Letter, fmt: str) -> bytes:
    """The letter's bytes in `fmt` (print sends the PDF); PDF code is imported only here."""
    if fmt in ("pdf", "print"):
        from recordsdesk.render.transcript_pdf import pages_pdf

        return pages_pdf(
            letter_pages(letter),
            title=f"Enrollment verification: {letter.student_name}",
            official=True,
            practice=letter.practice,
        )
    if fmt == "json":
        return letter_json(letter).encode("utf-8")
    if fmt == "html":
        from recordsdesk.render.transcript_html import pages_html

        return pages_html(
            letter_pages(letter),
            title=f"Enrollment verification: {letter.student_name}",
            official=True,
            practice=letter.practice,
        ).encode("utf-8")
    if fmt == "text":
        return "".join(page_text(p) + "\n" for p in letter_pages(letter)).encode("utf-8")
    raise ValidationFailed("format", f"{fmt!r} is not a letter format ({', '.join(FORMATS)}).")


def letter_code(letter: Letter, *, fmt: str, serial: int, nonce: str) -> str:
    """The copy's code: SHA-256 of its facts, issue date, recipient, format, serial and a
    random nonce, shortened to XXXX-XXXX-XXXX-XXXX (looked up, never recomputed)."""
    canonical = json.dumps(
        {
            "letter": letter_dict(letter),
            "issued_on": letter.issued_on.isoformat() if letter.issued_on else None,
            "copy": {"recipient": letter.recipient, "format": fmt, "serial": serial},
            "nonce": nonce,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest().upper()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def _check_confidential(
    student: Student, recipient: str, basis: str | None, consent_id: int | None
) -> None:
    """A confidential student's letter leaves for a third party only on consent (or another
    legal basis than the student's own request or directory information)."""
    chosen = choose_basis(basis, consent_id)
    plain = (LegalBasis.STUDENT_REQUEST.value, LegalBasis.DIRECTORY.value)
    if student.confidential and recipient and chosen in plain:
        raise ValidationFailed(
            "consent",
            f"the student is confidential (directory opt-out): a letter to {recipient} needs "
            "the student's consent on file covering enrollment (name it), or another legal "
            "basis; a letter handed to the student needs no recipient.",
        )


def release_letter(
    session: Session,
    *,
    actor: Actor,
    student_number: str | None = None,
    student_id: int | None = None,
    terms: Sequence[str] = (),
    fmt: str = "pdf",
    recipient: str = "",
    purpose: str = "",
    basis: str | None = None,
    consent_id: int | None = None,
    issued_on: date | None = None,
) -> ReleasedLetter:
    """Render and log one letter: its row, audit event and disclosure, in the caller's
    transaction. Raises PermissionDenied, NotFound, ValidationFailed (naming the field: a
    confidential student's letter without consent is refused on 'consent')."""
    authorize(actor, Action.LETTER_ISSUE)
    if fmt not in FORMATS:
        raise ValidationFailed("format", f"{fmt!r} is not a letter format ({', '.join(FORMATS)}).")
    who = recipient.strip()
    if len(who) > MAX_RECIPIENT:
        raise ValidationFailed("recipient", f"must be at most {MAX_RECIPIENT} characters.")
    refuse_control_characters("recipient", who)
    student = _student(session, student_number, student_id)
    assert student.id is not None
    _check_confidential(student, who, basis, consent_id)
    check_release(
        session,
        actor=actor,
        student_id=student.id,
        document=DisclosedDocument.VERIFICATION_LETTER.value,
        basis=basis,
        consent_id=consent_id,
        purpose=purpose,
    )
    draft = build_letter(
        session, actor=actor, student_id=student.id, terms=terms, recipient=who, today=issued_on
    )
    row = VerificationLetter(
        student_id=student.id,
        issued_at=utcnow(),
        issued_by_id=actor.id,
        recipient=who,
        terms=" ".join(t.code for t in draft.terms),
        format=TranscriptFormat(fmt).value,
    )
    session.add(row)
    session.flush()  # the row's id is the copy's serial, part of its code
    assert row.id is not None
    code = letter_code(draft, fmt=fmt, serial=row.id, nonce=secrets.token_hex(16))
    letter = Letter(**{**draft.__dict__, "verification_code": code})
    content = render_letter(letter, fmt)
    row.verification_code = code
    row.content_digest = hashlib.sha256(content).hexdigest()
    row.record_digest = letter_digest(letter)
    session.add(row)
    audit.record(
        session,
        actor,
        action="release",
        entity=ENTITY,
        entity_id=row.id,
        student_id=student.id,
        after=audit.snapshot(row, ["recipient", "terms", "format", "content_digest"]),
    )
    record_disclosure(
        session,
        actor=actor,
        student_id=student.id,
        document=DisclosedDocument.VERIFICATION_LETTER.value,
        document_id=row.id,
        recipient=who,
        purpose=purpose,
        basis=basis,
        consent_id=consent_id,
        note=f"{fmt} letter for {row.terms}",
    )
    return ReleasedLetter(row.id, fmt, code, content, letter)


def release_letter_to_file(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    overwrite: bool = False,
    create_folders: bool = True,
    field: str = "file",
    student_id: int,
    fmt: str = "pdf",
    terms: Sequence[str] = (),
    recipient: str = "",
    purpose: str = "",
    basis: str | None = None,
    consent_id: int | None = None,
) -> tuple[ReleasedLetter, Path]:
    """Release a letter and write it as an owner-only file, in the caller's transaction (a
    letter that could not be written is not logged). Raises OutputExists and the release's
    errors."""
    target = check_target(path, overwrite=overwrite, field=field)
    copy = release_letter(
        session,
        actor=actor,
        student_id=student_id,
        terms=terms,
        fmt=fmt,
        recipient=recipient,
        purpose=purpose,
        basis=basis,
        consent_id=consent_id,
    )
    written = write_private(
        target, copy.content, overwrite=overwrite, create_folders=create_folders, field=field
    )
    return copy, written


def print_letter(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    terms: Sequence[str] = (),
    recipient: str = "",
    printer: str | None = None,
    purpose: str = "",
    basis: str | None = None,
    consent_id: int | None = None,
) -> tuple[ReleasedLetter, PrintJob]:
    """Release a letter to the printer (logged with its purpose, basis and consent, as a
    file's copy is); when CUPS refuses, the log rolls back with it."""
    copy = release_letter(
        session,
        actor=actor,
        student_id=student_id,
        terms=terms,
        fmt="print",
        recipient=recipient,
        purpose=purpose,
        basis=basis,
        consent_id=consent_id,
    )
    title = printable(f"Enrollment verification {copy.letter.student_number}")
    return copy, print_pdf(copy.content, title=title, printer=printer)


def suggested_letter_name(letter: Letter, *, fmt: str, on: date) -> str:
    """The file name the desk offers, from the student number reduced to safe characters."""
    suffix = {"pdf": "pdf", "json": "json", "html": "html"}.get(fmt, "txt")
    number = safe_file_name(letter.student_number, fallback="student")
    return f"enrollment-{number}-{on.isoformat()}.{suffix}"


def preview_letter(
    session: Session, *, actor: Actor, student_id: int, terms: Sequence[str] = ()
) -> Letter:
    """The letter as a copy released today would read (nothing is logged); its code is
    given on release, so the preview says so in its place."""
    letter = build_letter(session, actor=actor, student_id=student_id, terms=terms)
    return Letter(**{**letter.__dict__, "verification_code": PREVIEW_CODE})

"""The disclosure log: one row for every release of a student's record outside the office.

FERPA (34 CFR 99.32) asks the office to keep, with the student's record, each disclosure: to
whom, why, on what legal basis, and the consent it relied on. Rows are written by the release
itself, in its transaction, with an audit event in the chain; they are never changed or deleted
(the desk has no function for it and its database role no grant for it).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from recordsdesk.models import (
    ConsentScope,
    DisclosedDocument,
    Disclosure,
    Institution,
    LegalBasis,
    ReleaseConsent,
    StaffUser,
    Student,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.disclosure.consents import MAX_PURPOSE, consent_in_force
from recordsdesk.services.shared.clean_text import refuse_control_characters, spreadsheet_safe
from recordsdesk.services.shared.errors import NotFound, ValidationFailed

ENTITY = "disclosure"
MAX_RECIPIENT = 200
BASES = tuple(basis.value for basis in LegalBasis)

#: The legal basis in words for the screen and the printed log.
BASIS_WORDS: dict[str, str] = {
    LegalBasis.STUDENT_REQUEST.value: "student's own request",
    LegalBasis.CONSENT.value: "consent on file",
    LegalBasis.DIRECTORY.value: "directory information",
    LegalBasis.SCHOOL_OFFICIAL.value: "school official",
    LegalBasis.OTHER_SCHOOL.value: "school the student is enrolling in",
    LegalBasis.FINANCIAL_AID.value: "financial aid",
    LegalBasis.COURT_ORDER.value: "court order or subpoena",
    LegalBasis.HEALTH_SAFETY.value: "health or safety emergency",
}

#: Which records a consent must cover for each kind of document.
DOCUMENT_SCOPE: dict[str, str] = {
    DisclosedDocument.TRANSCRIPT.value: ConsentScope.TRANSCRIPT.value,
    DisclosedDocument.VERIFICATION_LETTER.value: ConsentScope.ENROLLMENT.value,
    DisclosedDocument.EXPORT.value: ConsentScope.ALL.value,
    DisclosedDocument.REPORT.value: ConsentScope.ALL.value,
    DisclosedDocument.ORAL.value: ConsentScope.GRADES.value,
}

CSV_COLUMNS = (
    "disclosed_at",
    "disclosed_by",
    "document",
    "recipient",
    "purpose",
    "basis",
    "consent",
    "note",
)


@dataclass(frozen=True)
class DisclosureView:
    """One row of the log as the desk shows it (no verification codes: the desk never lists
    them)."""

    id: int
    student_id: int
    disclosed_at: datetime
    disclosed_by: str
    document: str
    document_id: int | None
    recipient: str
    purpose: str
    basis: str
    consent_id: int | None
    consent: str
    note: str

    @property
    def basis_words(self) -> str:
        return BASIS_WORDS.get(self.basis, self.basis)


def choose_basis(basis: str | None, consent_id: int | None) -> str:
    """The basis a release is logged under: the one given, else 'consent' when a consent is
    named, else the student's own request (the request the student signed at the counter)."""
    if basis:
        value = basis.strip().lower().replace("-", "_").replace(" ", "_")
        if value not in BASES:
            raise ValidationFailed("basis", f"{basis!r} is not a legal basis ({', '.join(BASES)}).")
        return value
    return LegalBasis.CONSENT.value if consent_id is not None else LegalBasis.STUDENT_REQUEST.value


def check_release(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    document: str,
    basis: str | None = None,
    consent_id: int | None = None,
    purpose: str = "",
    on: date | None = None,
) -> tuple[str, str]:
    """Check, before anything is written, that a release may be logged: the basis is known, a
    consent basis names a consent in force covering the document, and directory information
    is not released for a confidential (opted-out) student. Returns (basis, purpose).
    Raises ValidationFailed naming 'basis', 'consent' or 'purpose'."""
    chosen = choose_basis(basis, consent_id)
    if chosen == LegalBasis.CONSENT.value and consent_id is None:
        raise ValidationFailed("consent", "a release on consent names the consent it relies on.")
    if consent_id is not None and chosen != LegalBasis.CONSENT.value:
        raise ValidationFailed("consent", f"a consent is named, but the basis is {chosen}.")
    if consent_id is not None:
        consent_in_force(
            session,
            actor=actor,
            consent_id=consent_id,
            student_id=student_id,
            scope=DOCUMENT_SCOPE[document],
            on=on,
        )
    if chosen == LegalBasis.DIRECTORY.value:
        confidential = session.exec(
            select(Student.confidential).where(Student.id == student_id)
        ).first()
        if confidential:
            raise ValidationFailed(
                "basis",
                "the student opted out of directory information (confidential): "
                "nothing is released as directory information.",
            )
    text = purpose.strip() if isinstance(purpose, str) else ""
    if len(text) > MAX_PURPOSE:
        raise ValidationFailed("purpose", f"must be at most {MAX_PURPOSE} characters.")
    refuse_control_characters("purpose", text)
    return chosen, text


def record_disclosure(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    document: str,
    document_id: int | None = None,
    recipient: str = "",
    purpose: str = "",
    basis: str | None = None,
    consent_id: int | None = None,
    note: str = "",
) -> DisclosureView:
    """Append one row to the student's disclosure log, and its audit event, in the caller's
    transaction (the release and its log commit together or not at all). The caller has
    authorized the release itself; ValidationFailed as `check_release`."""
    authorize(actor, Action.STUDENT_READ)
    if document not in DOCUMENT_SCOPE:
        raise ValidationFailed("document", f"{document!r} is not a kind of document.")
    chosen, why = check_release(
        session,
        actor=actor,
        student_id=student_id,
        document=document,
        basis=basis,
        consent_id=consent_id,
        purpose=purpose,
    )
    who = recipient.strip()
    if len(who) > MAX_RECIPIENT:
        raise ValidationFailed("recipient", f"must be at most {MAX_RECIPIENT} characters.")
    refuse_control_characters("recipient", who)
    row = Disclosure(
        student_id=student_id,
        disclosed_at=utcnow(),
        disclosed_by_id=actor.id,
        document=document,
        document_id=document_id,
        recipient=who,
        purpose=why,
        basis=chosen,
        consent_id=consent_id,
        note=note,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    audit.record(
        session,
        actor,
        action="disclose",
        entity=ENTITY,
        entity_id=row.id,
        student_id=student_id,
        after=audit.snapshot(
            row, ["document", "document_id", "recipient", "purpose", "basis", "consent_id"]
        ),
    )
    return _views(session, col(Disclosure.id) == row.id)[0]


def _views(session: Session, *conditions: object) -> list[DisclosureView]:
    staff = aliased(StaffUser)
    query = (
        select(Disclosure, staff.username, ReleaseConsent)
        .join(staff, col(staff.id) == col(Disclosure.disclosed_by_id))
        .outerjoin(ReleaseConsent, col(ReleaseConsent.id) == col(Disclosure.consent_id))
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(col(Disclosure.disclosed_at).desc(), col(Disclosure.id).desc())
    )
    views = []
    for row, username, consent in session.exec(query).all():
        assert row.id is not None
        views.append(
            DisclosureView(
                id=row.id,
                student_id=row.student_id,
                disclosed_at=row.disclosed_at,
                disclosed_by=username,
                document=row.document,
                document_id=row.document_id,
                recipient=row.recipient,
                purpose=row.purpose,
                basis=row.basis,
                consent_id=row.consent_id,
                consent=(
                    f"{consent.recipient} ({consent.records}, signed {consent.signed_on})"
                    if consent is not None
                    else ""
                ),
                note=row.note,
            )
        )
    return views


def list_disclosures(
    session: Session,
    *,
    actor: Actor,
    student_id: int | None = None,
    student_number: str | None = None,
) -> list[DisclosureView]:
    """The student's disclosure log, newest first. Raises NotFound for an unknown student."""
    authorize(actor, Action.DISCLOSURE_VIEW)
    if student_id is None:
        student_id = session.exec(
            select(Student.id).where(Student.student_number == (student_number or "").strip())
        ).first()
        if student_id is None:
            raise NotFound(f"There is no student numbered {student_number!r}.")
    elif session.get(Student, student_id) is None:
        raise NotFound(f"There is no student with id {student_id}.")
    return _views(session, col(Disclosure.student_id) == student_id)


#: The first line of the log printed or written on a practice desk.
PRACTICE_LINE = "PRACTICE - made on a practice desk - not a record of any student"


def on_practice_desk(session: Session) -> bool:
    """Whether this database is a practice desk: what the log prints then says PRACTICE."""
    return bool(session.exec(select(Institution.practice)).first())


def disclosures_csv(rows: list[DisclosureView], *, practice: bool = False) -> str:
    """The log as CSV, every text cell neutralised so a spreadsheet never runs it (on a
    practice desk, one PRACTICE line above the header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if practice:
        writer.writerow([PRACTICE_LINE])
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.disclosed_at.isoformat(),
                spreadsheet_safe(row.disclosed_by),
                row.document,
                spreadsheet_safe(row.recipient),
                spreadsheet_safe(row.purpose),
                row.basis,
                spreadsheet_safe(row.consent),
                spreadsheet_safe(row.note),
            ]
        )
    return buffer.getvalue()


def disclosures_text(rows: list[DisclosureView], *, practice: bool = False) -> str:
    """The log as plain lines for a terminal (stored text made printable by the caller)."""
    lines = [PRACTICE_LINE] if practice else []
    if not rows:
        return "\n".join([*lines, "No disclosures recorded."]) + "\n"
    for row in rows:
        consent = f"; consent: {row.consent}" if row.consent else ""
        purpose = f"; purpose: {row.purpose}" if row.purpose else ""
        lines.append(
            f"{row.disclosed_at.isoformat(timespec='seconds')}  {row.document}  "
            f"to {row.recipient or '(not named)'}  by {row.disclosed_by}  "
            f"basis: {row.basis_words}{purpose}{consent}"
        )
    return "\n".join(lines) + "\n"


#: Students per INSERT ... SELECT: well under SQLite's bound-parameter limit, few statements.
BULK_CHUNK = 5000
_COLUMNS = Disclosure.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BulkRelease:
    """Who a report or an export goes to, as the disclosure log records it for each student
    it names. No consent: a consent is one student's, and a list is released on one basis
    for everyone on it."""

    recipient: str = ""
    purpose: str = ""
    basis: str = LegalBasis.SCHOOL_OFFICIAL.value


def check_bulk_release(release: BulkRelease) -> BulkRelease:
    """The release checked before anything is written: a known basis other than consent, and
    recipient and purpose within their lengths and free of control characters.
    ValidationFailed names 'basis', 'recipient' or 'purpose'."""
    basis = choose_basis(release.basis or LegalBasis.SCHOOL_OFFICIAL.value, None)
    if basis == LegalBasis.CONSENT.value:
        raise ValidationFailed(
            "basis",
            "a consent is one student's: a list naming several students is released on "
            "another basis (school official, directory, court order, ...).",
        )
    who = release.recipient.strip() if isinstance(release.recipient, str) else ""
    if len(who) > MAX_RECIPIENT:
        raise ValidationFailed("recipient", f"must be at most {MAX_RECIPIENT} characters.")
    refuse_control_characters("recipient", who)
    why = release.purpose.strip() if isinstance(release.purpose, str) else ""
    if len(why) > MAX_PURPOSE:
        raise ValidationFailed("purpose", f"must be at most {MAX_PURPOSE} characters.")
    refuse_control_characters("purpose", why)
    return BulkRelease(recipient=who, purpose=why, basis=basis)


def record_bulk_disclosure(
    session: Session,
    *,
    actor: Actor,
    document: str,
    release: BulkRelease,
    student_ids: Iterable[int] = (),
    student_numbers: Iterable[str] = (),
    note: str = "",
) -> int:
    """One disclosure row per student a report or an export names, written with one
    INSERT ... SELECT per chunk of students (a 20,000-student list is four statements, not
    20,000), and one audit event for the whole release carrying the row count and a digest
    of the students named, so the chain vouches for every row. Runs in the caller's
    transaction, beside the write's own audit event. The students are named by id or, for a
    report that lists them by number, by student number. Returns the rows written.
    ValidationFailed as `check_bulk_release`; directory information is refused when the
    list names a confidential student."""
    authorize(actor, Action.STUDENT_READ)
    if document not in (DisclosedDocument.REPORT.value, DisclosedDocument.EXPORT.value):
        raise ValidationFailed("document", f"{document!r} is not released as a list.")
    checked = check_bulk_release(release)
    key: Any
    ids: list[Any]
    if student_numbers:
        key, ids = col(Student.student_number), sorted({str(n) for n in student_numbers if n})
    else:
        key, ids = col(Student.id), sorted(set(student_ids))
    if not ids:
        return 0
    if checked.basis == LegalBasis.DIRECTORY.value:
        for start in range(0, len(ids), BULK_CHUNK):
            chunk = ids[start : start + BULK_CHUNK]
            if session.exec(
                select(func.count())
                .select_from(Student)
                .where(key.in_(chunk), col(Student.confidential))
            ).one():
                raise ValidationFailed(
                    "basis",
                    "the list names confidential students (directory opt-outs): it is not "
                    "directory information; leave them out or choose another basis.",
                )
    at = utcnow()
    values = (
        ("disclosed_at", at),
        ("disclosed_by_id", actor.id),
        ("document", document),
        ("recipient", checked.recipient),
        ("purpose", checked.purpose),
        ("basis", checked.basis),
        ("note", note),
    )
    written = 0
    for start in range(0, len(ids), BULK_CHUNK):
        chunk = ids[start : start + BULK_CHUNK]
        chosen = select(col(Student.id), *(literal(v, _COLUMNS[k].type) for k, v in values)).where(
            key.in_(chunk)
        )
        result = session.execute(
            insert(Disclosure).from_select(["student_id", *(k for k, _ in values)], chosen)
        )
        count = int(getattr(result, "rowcount", -1))
        if count < 0:  # the driver did not say (psycopg, for an INSERT ... SELECT): ask
            count = session.exec(
                select(func.count()).select_from(Student).where(key.in_(chunk))
            ).one()
        written += count
    digest = hashlib.sha256(",".join(str(i) for i in ids).encode("utf-8")).hexdigest()
    audit.record(
        session,
        actor,
        action="disclose",
        entity=ENTITY,
        entity_id=f"{document}:{note}"[:200],
        after={
            "document": document,
            "rows": written,
            "disclosed_at": at.isoformat(),
            "recipient": checked.recipient,
            "purpose": checked.purpose,
            "basis": checked.basis,
            "students_sha256": digest,
        },
    )
    return written

"""Release consents: the student's written permission to release named records to a named party.

A clerk adds one from the signed form (to whom, which records, purpose, signed, valid until) and
revokes it with a reason; both are audited with the change. A consent is relied on only while it
is in force (signed, not yet expired, not revoked) and only for the records it names, and the
disclosure that relied on it names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from recordsdesk.models import ConsentScope, ReleaseConsent, StaffUser, Student, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.clean_text import refuse_control_characters
from recordsdesk.services.shared.errors import NotFound, StaleRecord, ValidationFailed

ENTITY = "release_consent"
MAX_RECIPIENT = 200
MAX_PURPOSE = 500
MAX_REASON = 500
SCOPES = tuple(scope.value for scope in ConsentScope)


@dataclass(frozen=True)
class ConsentView:
    """A consent as the desk shows it, with staff usernames resolved."""

    id: int
    student_id: int
    recipient: str
    records: tuple[str, ...]
    purpose: str
    signed_on: date
    valid_until: date | None
    added_by: str
    added_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    revoke_reason: str

    def in_force(self, on: date) -> bool:
        """Signed by `on`, not expired on `on`, not revoked."""
        return (
            self.revoked_at is None
            and self.signed_on <= on
            and (self.valid_until is None or on <= self.valid_until)
        )

    def covers(self, scope: str) -> bool:
        return ConsentScope.ALL.value in self.records or scope in self.records

    def state(self, on: date) -> str:
        """'in force', 'revoked', 'expired' or 'not yet signed', for a table cell."""
        if self.revoked_at is not None:
            return "revoked"
        if self.valid_until is not None and on > self.valid_until:
            return "expired"
        if self.signed_on > on:
            return "not yet signed"
        return "in force"

    @property
    def summary(self) -> str:
        """'mother - grades, until 2027-06': what the band shows for a consent in force."""
        until = f", until {self.valid_until.isoformat()[:7]}" if self.valid_until else ""
        return f"{self.recipient} - {', '.join(self.records)}{until}"


def parse_records(records: str | Iterable[str]) -> tuple[str, ...]:
    """The covered scopes in their fixed order, from 'grades, transcript' or a list; 'all'
    stands alone. ValidationFailed('records') names the unknown word."""
    words = records.replace(",", " ").split() if isinstance(records, str) else list(records)
    chosen: set[str] = set()
    for word in words:
        value = word.strip().lower()
        if value not in SCOPES:
            raise ValidationFailed(
                "records", f"{word!r} is not a kind of record ({', '.join(SCOPES)})."
            )
        chosen.add(value)
    if not chosen:
        raise ValidationFailed("records", f"name the records it covers ({', '.join(SCOPES)}).")
    if ConsentScope.ALL.value in chosen:
        return (ConsentScope.ALL.value,)
    return tuple(scope for scope in SCOPES if scope in chosen)


def _text(field: str, value: str, limit: int, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationFailed(field, "is required.")
    if len(text) > limit:
        raise ValidationFailed(field, f"must be at most {limit} characters.")
    refuse_control_characters(field, text)
    return text


def _views(session: Session, *conditions: Any) -> list[ConsentView]:
    adder = aliased(StaffUser)
    revoker = aliased(StaffUser)
    query = (
        select(ReleaseConsent, adder.username, revoker.username)
        .join(adder, col(adder.id) == col(ReleaseConsent.added_by_id))
        .outerjoin(revoker, col(revoker.id) == col(ReleaseConsent.revoked_by_id))
        .where(*conditions)
        .order_by(col(ReleaseConsent.signed_on), col(ReleaseConsent.id))
    )
    views = []
    for consent, added_by, revoked_by in session.exec(query).all():
        assert consent.id is not None
        views.append(
            ConsentView(
                id=consent.id,
                student_id=consent.student_id,
                recipient=consent.recipient,
                records=tuple(consent.records.split()),
                purpose=consent.purpose,
                signed_on=consent.signed_on,
                valid_until=consent.valid_until,
                added_by=added_by,
                added_at=consent.added_at,
                revoked_by=revoked_by,
                revoked_at=consent.revoked_at,
                revoke_reason=consent.revoke_reason,
            )
        )
    return views


def _view(session: Session, consent_id: int) -> ConsentView:
    found = _views(session, col(ReleaseConsent.id) == consent_id)
    if not found:
        raise NotFound(f"There is no release consent with id {consent_id}.")
    return found[0]


def add_consent(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    recipient: str,
    records: str | Iterable[str],
    signed_on: date,
    valid_until: date | None = None,
    purpose: str = "",
    today: date | None = None,
) -> ConsentView:
    """Put a signed consent on the student's record. ValidationFailed names the field (a
    consent signed in the future, or one that ends before it was signed, is refused)."""
    authorize(actor, Action.CONSENT_MANAGE)
    if session.get(Student, student_id) is None:
        raise NotFound(f"There is no student with id {student_id}.")
    who = _text("recipient", recipient, MAX_RECIPIENT, required=True)
    scopes = parse_records(records)
    why = _text("purpose", purpose, MAX_PURPOSE, required=False)
    if signed_on > (today or date.today()):
        raise ValidationFailed("signed_on", "a consent cannot be signed in the future.")
    if valid_until is not None and valid_until < signed_on:
        raise ValidationFailed("valid_until", "must be on or after the day it was signed.")
    consent = ReleaseConsent(
        student_id=student_id,
        recipient=who,
        records=" ".join(scopes),
        purpose=why,
        signed_on=signed_on,
        valid_until=valid_until,
        added_by_id=actor.id,
        added_at=utcnow(),
    )
    session.add(consent)
    session.flush()
    assert consent.id is not None
    audit.record(
        session,
        actor,
        action="add",
        entity=ENTITY,
        entity_id=consent.id,
        student_id=student_id,
        after=audit.snapshot(
            consent, ["recipient", "records", "purpose", "signed_on", "valid_until"]
        ),
    )
    return _view(session, consent.id)


def revoke_consent(
    session: Session,
    *,
    actor: Actor,
    consent_id: int,
    reason: str,
    student_id: int | None = None,
) -> ConsentView:
    """Revoke a consent in force, with the reason. StaleRecord when it was revoked already (at
    this desk or another), so who revoked it and why is never overwritten. With `student_id`,
    a consent on another student's record is NotFound (a number typed at a command line)."""
    authorize(actor, Action.CONSENT_MANAGE)
    why = _text("reason", reason, MAX_REASON, required=True)
    consent = session.get(ReleaseConsent, consent_id, populate_existing=True)
    if consent is None or (student_id is not None and consent.student_id != student_id):
        raise NotFound(f"There is no release consent {consent_id} on this record.")
    now = utcnow()
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(ReleaseConsent)
        .where(col(ReleaseConsent.id) == consent_id, col(ReleaseConsent.revoked_at).is_(None))
        .values(revoked_at=now, revoked_by_id=actor.id, revoke_reason=why)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleRecord(f"Consent {consent_id}", ["revoked_at", "revoked_by", "revoke_reason"])
    session.refresh(consent)
    audit.record(
        session,
        actor,
        action="revoke",
        entity=ENTITY,
        entity_id=consent_id,
        student_id=consent.student_id,
        before={"revoked_at": None, "revoke_reason": ""},
        after={"revoked_at": now.isoformat(), "revoke_reason": why},
        reason=why,
    )
    return _view(session, consent_id)


def student_id_for(session: Session, *, actor: Actor, student_number: str) -> int:
    """The student a command line names by number; NotFound in words otherwise."""
    authorize(actor, Action.STUDENT_READ)
    found = session.exec(
        select(Student.id).where(Student.student_number == student_number.strip())
    ).first()
    if found is None:
        raise NotFound(f"There is no student numbered {student_number!r}.")
    return found


def list_consents(session: Session, *, actor: Actor, student_id: int) -> list[ConsentView]:
    """Every consent on the student's record, oldest signature first (revoked and expired
    ones too: the disclosures that relied on them still name them)."""
    authorize(actor, Action.STUDENT_READ)
    return _views(session, col(ReleaseConsent.student_id) == student_id)


def consent_in_force(
    session: Session,
    *,
    actor: Actor,
    consent_id: int,
    student_id: int,
    scope: str,
    on: date | None = None,
) -> ConsentView:
    """The consent a release relies on, checked: this student's, in force on `on` (today),
    and covering `scope`. ValidationFailed('consent') says which of these fails."""
    authorize(actor, Action.STUDENT_READ)
    day = on or date.today()
    found = _views(session, col(ReleaseConsent.id) == consent_id)
    if not found or found[0].student_id != student_id:
        raise ValidationFailed("consent", f"there is no consent {consent_id} on this record.")
    consent = found[0]
    state = consent.state(day)
    if state != "in force":
        raise ValidationFailed("consent", f"consent {consent_id} ({consent.recipient}) is {state}.")
    if not consent.covers(scope):
        raise ValidationFailed(
            "consent",
            f"consent {consent_id} ({consent.recipient}) covers {', '.join(consent.records)}, "
            f"not {scope}.",
        )
    return consent

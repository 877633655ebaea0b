"""Student records: enroll a new student, read a profile, change a record.

Every change is validated field by field before anything is written, is guarded by the record's
`version` (two desks never overwrite each other silently) and writes its audit event in the same
transaction as the change. Callers own the transaction (`db.session_scope`): a refusal raised here
leaves it with nothing written by this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from recordsdesk.models import (
    AuditEvent,
    Institution,
    Student,
    StudentStatus,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.people.profile import StudentProfile as StudentProfile
from recordsdesk.services.people.profile import profile_of
from recordsdesk.services.people.validation import (
    DATE_FIELDS as DATE_FIELDS,
)
from recordsdesk.services.people.validation import (
    EDITABLE_FIELDS,
    MAX_LENGTHS,
    check_record,
    clean_field,
)
from recordsdesk.services.people.validation import (
    EMAIL as EMAIL,
)
from recordsdesk.services.people.validation import (
    TEXT_FIELDS as TEXT_FIELDS,
)
from recordsdesk.services.shared.errors import NotFound, RecordsError, StaleRecord, ValidationFailed

ENTITY = "student"
#: Fields that say where the student is in their life at the institution: changed by admission
#: decisions and departures, or by a registrar correcting the record.
LIFECYCLE_FIELDS = frozenset(
    {
        "status",
        "admission_date",
        "departure_date",
        "departure_reason",
        "degree_conferred",
        "conferral_date",
        "honours",
        "leave_start",
        "leave_expected_return",
        "leave_reason",
    }
)
MAX_NUMBER_ATTEMPTS = 10_000


@dataclass(frozen=True, kw_only=True)
class StudentCreate:
    """What the admission form collects; every field but the last name may stay empty.

    `student_number` is normally left out so the institution's numbering assigns one; imports
    that carry numbers from another system pass them in.
    """

    legal_last_name: str = ""
    legal_first_name: str = ""
    legal_middle_name: str = ""
    preferred_name: str = ""
    former_names: str = ""
    birth_date: date | str | None = None
    email: str = ""
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    guardian_name: str = ""
    guardian_relationship: str = ""
    guardian_phone: str = ""
    guardian_email: str = ""
    program_id: int | None = None
    grade_level: str = ""
    class_year: int | None = None
    status: str = StudentStatus.APPLICANT.value
    entry_term_id: int | None = None
    admission_date: date | str | None = None
    departure_date: date | str | None = None
    departure_reason: str = ""
    degree_conferred: str = ""
    conferral_date: date | str | None = None
    honours: str = ""
    leave_start: date | str | None = None
    leave_expected_return: date | str | None = None
    leave_reason: str = ""
    confidential: bool = False
    student_number: str | None = None


def _reject_unknown(names: set[str] | list[str]) -> None:
    unknown = sorted(set(names) - EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(unknown[0], "is not a field of the student record that can change.")


# --- student numbers ----------------------------------------------------------------------------


def _number_taken(session: Session, number: str) -> bool:
    query = select(Student.id).where(Student.student_number == number)
    return session.exec(query).first() is not None


def _allocate_student_number(session: Session, today: date) -> str:
    """The next free number from the institution's pattern and sequence.

    The sequence is bumped with an UPDATE first, which takes the write lock, so two desks
    creating students at once queue here and never get the same number. The sequence only grows,
    so a number is never issued twice; numbers already taken (imported) are skipped.
    """
    institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
    if institution is None or institution.id is None:
        raise RecordsError(
            "The database has no institution settings; run `recordsdesk db upgrade`."
        )
    pattern = institution.student_number_pattern
    for _ in range(MAX_NUMBER_ATTEMPTS):
        session.execute(
            update(Institution)
            .where(col(Institution.id) == institution.id)
            .values(student_number_seq=col(Institution.student_number_seq) + 1)
            .execution_options(synchronize_session=False)
        )
        seq = session.exec(
            select(Institution.student_number_seq).where(Institution.id == institution.id)
        ).one()
        try:
            number = pattern.format(year=today.year, seq=seq)
        except (KeyError, IndexError, ValueError) as exc:
            raise RecordsError(
                f"The institution's student number pattern {pattern!r} is not valid ({exc}); "
                "use {year} and {seq}, e.g. {year}{seq:05d}."
            ) from None
        if len(number) > MAX_LENGTHS["student_number"]:
            raise RecordsError(
                f"The student number pattern {pattern!r} makes {number!r}: too long."
            )
        if not _number_taken(session, number):
            return number
    raise RecordsError("No free student number was found; check the institution's pattern.")


# --- services -----------------------------------------------------------------------------------


def create_student(session: Session, *, actor: Actor, data: StudentCreate) -> StudentProfile:
    """Add a student record and its `create` audit event in the caller's transaction.

    Raises ValidationFailed (naming the field) before anything is written.
    """
    authorize(actor, Action.STUDENT_CREATE)
    today = date.today()
    values = {name: clean_field(name, getattr(data, name)) for name in EDITABLE_FIELDS}
    check_record(session, values, today, EDITABLE_FIELDS)
    if data.student_number is not None:
        number = data.student_number.strip()
        if not number:
            raise ValidationFailed("student_number", "must not be blank when given.")
        if len(number) > MAX_LENGTHS["student_number"]:
            raise ValidationFailed("student_number", "must be at most 20 characters.")
        if _number_taken(session, number):
            raise ValidationFailed("student_number", f"{number} already belongs to a student.")
    else:
        number = _allocate_student_number(session, today)
    now = utcnow()
    row = Student(student_number=number, created_at=now, updated_at=now, version=1, **values)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="create",
        entity=ENTITY,
        entity_id=row.id,
        student_id=row.id,
        after=audit.snapshot(row),
    )
    return profile_of(session, row)


def get_student_profile(session: Session, *, actor: Actor, student_id: int) -> StudentProfile:
    """The student's record as stored now; NotFound when there is no such student."""
    authorize(actor, Action.STUDENT_READ)
    row = session.get(Student, student_id, populate_existing=True)
    if row is None:
        raise NotFound(f"There is no student with id {student_id}.")
    return profile_of(session, row)


def update_student(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    expected_version: int,
    changes: dict[str, object],
) -> StudentProfile:
    """Apply `changes` to the record the caller saw at `expected_version`.

    Writes only fields whose value differs, bumps `version` and `updated_at`, and records an
    `update` audit event holding just those fields before and after (plus the version, which is
    how a later StaleRecord can name what changed). Raises ValidationFailed for an unknown field
    or a bad value and StaleRecord when another desk saved first; either way nothing is written.
    Changing the status or the departure and leave fields is a departure decision: it needs
    the registrar role (services.people.departure is the usual way in).
    """
    authorize(actor, Action.STUDENT_UPDATE)
    _reject_unknown(list(changes))
    if LIFECYCLE_FIELDS & set(changes):
        authorize(actor, Action.STUDENT_DEPART)
    return apply_changes(
        session,
        actor=actor,
        student_id=student_id,
        expected_version=expected_version,
        changes=changes,
    )


def apply_changes(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    expected_version: int,
    changes: dict[str, object],
    action: str = "update",
    reason: str = "",
) -> StudentProfile:
    """The write behind `update_student`, for services that have authorized their own action
    (admission decisions, departures): same validation, version guard and audit event, with the
    event named `action` and carrying `reason`."""
    _reject_unknown(list(changes))
    row = session.get(Student, student_id, populate_existing=True)
    if row is None:
        raise NotFound(f"There is no student with id {student_id}.")
    label = f"Student {row.student_number}"
    if row.version != expected_version:
        raise StaleRecord(label, changed_since(session, student_id, expected_version))
    cleaned = {name: clean_field(name, value) for name, value in changes.items()}
    current = {name: getattr(row, name) for name in EDITABLE_FIELDS}
    check_record(session, current | cleaned, date.today(), set(cleaned))
    changed = {name: value for name, value in cleaned.items() if current[name] != value}
    if not changed:
        return profile_of(session, row)

    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Student)
        .where(col(Student.id) == student_id, col(Student.version) == expected_version)
        .values(**changed, version=expected_version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # another desk saved between our read and this write
        raise StaleRecord(label, changed_since(session, student_id, expected_version))
    session.refresh(row)
    before = {name: current[name] for name in changed} | {"version": expected_version}
    after = {name: getattr(row, name) for name in changed} | {"version": row.version}
    audit.record(
        session,
        actor,
        action=action,
        entity=ENTITY,
        entity_id=student_id,
        student_id=student_id,
        before=_json_ready(before),
        after=_json_ready(after),
        reason=reason,
    )
    return profile_of(session, row)


@dataclass(frozen=True)
class FieldConflict:
    """One field another desk changed while this desk was editing: what this desk saw when it
    opened the record, what is stored now (theirs) and what this desk wanted (yours)."""

    field: str
    seen: object
    theirs: object
    yours: object


def describe_conflict(
    seen: StudentProfile, current: StudentProfile, changes: dict[str, object]
) -> list[FieldConflict]:
    """The fields that differ between the record as the desk loaded it and as stored now,
    each with the value this desk was about to save (or, if it left the field alone, the value
    it saw): what a refused stale edit shows so nothing is overwritten blindly."""
    conflicts = []
    for name in sorted(EDITABLE_FIELDS | LIFECYCLE_FIELDS):
        before, now = getattr(seen, name), getattr(current, name)
        if before != now:
            conflicts.append(FieldConflict(name, before, now, changes.get(name, before)))
    return conflicts


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text, as audit snapshots store them."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def changed_since(session: Session, student_id: int, version: int) -> list[str]:
    """Fields saved by updates after `version`, read from the audit trail (newest first)."""
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.entity == ENTITY,
            AuditEvent.entity_id == str(student_id),
            AuditEvent.action != "create",
        )
        .order_by(col(AuditEvent.id).desc())
    )
    changed: set[str] = set()
    for event in events:
        after = json.loads(event.after) if event.after else {}
        if int(after.get("version", 0)) <= version:
            break
        changed.update(name for name in after if name != "version")
    return sorted(changed)

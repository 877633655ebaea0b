"""The audit viewer's queries: who did what, when, to which record.

An administrator may read the whole log; a registrar only the events of one student's record
(the `student_id` filter is then required). Reading the log is not itself audited: it changes
nothing, and auditing reads would bury the changes the log is for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, allowed, authorize
from recordsdesk.services.shared.errors import NotFound, ValidationFailed

DEFAULT_LIMIT = 200
MAX_LIMIT = 2000


@dataclass(frozen=True)
class AuditFilter:
    """Every field narrows the result; `until` is inclusive (the whole day)."""

    student_id: int | None = None
    #: A student number, for people at the desk (they know numbers, not ids).
    student_number: str = ""
    staff: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: datetime
    actor_username: str
    action: str
    entity: str
    entity_id: str
    student_id: int | None
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    truncated: bool
    #: The filtered student's number and name, and whether they opted out of the directory.
    student_label: str = ""
    student_confidential: bool = False


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def query_audit(
    session: Session, *, actor: Actor, filters: AuditFilter, limit: int = DEFAULT_LIMIT
) -> AuditPage:
    """The newest events matching `filters`, newest first, at most `limit` of them."""
    if filters.student_number.strip() and filters.student_id is None:
        number = filters.student_number.strip()
        found = session.exec(select(Student.id).where(Student.student_number == number)).first()
        if found is None:
            raise ValidationFailed("student", f"there is no student numbered {number!r}.")
        filters = replace(filters, student_id=found)
    if filters.student_id is None or allowed(actor, Action.AUDIT_VIEW):
        authorize(actor, Action.AUDIT_VIEW)
    else:
        authorize(actor, Action.STUDENT_AUDIT_VIEW)
    if filters.since and filters.until and filters.since > filters.until:
        raise ValidationFailed("since", "is after the end date.")
    limit = max(1, min(limit, MAX_LIMIT))
    conditions: list[Any] = []
    label, confidential = "", False
    if filters.student_id is not None:
        student = session.get(Student, filters.student_id)
        if student is None:
            raise NotFound(f"There is no student with id {filters.student_id}.")
        label = f"{student.student_number} {student.legal_first_name} {student.legal_last_name}"
        confidential = student.confidential
        conditions.append(col(AuditEvent.student_id) == filters.student_id)
    if filters.staff.strip():
        conditions.append(col(AuditEvent.actor_username) == filters.staff.strip())
    if filters.action.strip():
        conditions.append(col(AuditEvent.action) == filters.action.strip())
    if filters.since:
        start = datetime.combine(filters.since, time.min, tzinfo=UTC)
        conditions.append(col(AuditEvent.occurred_at) >= start)
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC)
        conditions.append(col(AuditEvent.occurred_at) < end)
    query = (
        select(AuditEvent).where(*conditions).order_by(col(AuditEvent.id).desc()).limit(limit + 1)
    )
    events = session.exec(query).all()
    rows = tuple(_row(event) for event in events[:limit])
    return AuditPage(rows, len(events) > limit, label.strip(), confidential)


def _row(event: AuditEvent) -> AuditRow:
    assert event.id is not None
    return AuditRow(
        id=event.id,
        occurred_at=_as_utc(event.occurred_at),
        actor_username=event.actor_username,
        action=event.action,
        entity=event.entity,
        entity_id=event.entity_id,
        student_id=event.student_id,
        before=event.before or "",
        after=event.after or "",
        reason=event.reason,
    )

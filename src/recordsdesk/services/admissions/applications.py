"""Admission screening: the office's document checklist, an application per student, each
document marked received, and the decision (admit, deny, waitlist).

The checklist itself (services.admissions.checklist) is copied onto an application when it is
opened, so changing the checklist later never rewrites what an application was screened
against.

Admitting makes the student `admitted` (with the decision date as admission date); the first
registration makes them `active` through `activate_on_first_registration`. Every change is
authorized and audited in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from recordsdesk.models import (
    AdmissionApplication,
    ApplicationDecision,
    Program,
    ScreeningItem,
    StaffRole,
    StaffUser,
    Student,
    StudentStatus,
    Term,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.admissions.checklist import checklist_items
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.people.student import apply_changes
from recordsdesk.services.shared.errors import NotFound, StaleRecord, ValidationFailed

ENTITY = "admission_application"
MAX_TEXT = 500


@dataclass(frozen=True)
class ScreeningItemView:
    id: int
    item: str
    required: bool
    received_on: date | None
    recorded_by: str
    note: str

    @property
    def missing(self) -> bool:
        return self.required and self.received_on is None


@dataclass(frozen=True)
class ApplicationView:
    id: int
    student_id: int
    program_code: str
    program_name: str
    entry_term_code: str
    applied_on: date
    decision: str
    decision_date: date | None
    decided_by: str
    notes: str
    version: int
    items: tuple[ScreeningItemView, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        """Required documents not yet received."""
        return tuple(i.item for i in self.items if i.missing)

    @property
    def open(self) -> bool:
        """Still to be decided (pending) or waiting for a place (waitlisted)."""
        return self.decision in (ApplicationDecision.PENDING, ApplicationDecision.WAITLIST)


# --- applications -------------------------------------------------------------------------------


def _view(session: Session, application: AdmissionApplication) -> ApplicationView:
    assert application.id is not None
    program = session.get(Program, application.program_id)
    term = session.get(Term, application.entry_term_id) if application.entry_term_id else None
    decider = (
        session.get(StaffUser, application.decided_by_id) if application.decided_by_id else None
    )
    recorder = aliased(StaffUser)
    rows = session.exec(
        select(ScreeningItem, recorder.username)
        .outerjoin(recorder, col(recorder.id) == col(ScreeningItem.recorded_by_id))
        .where(ScreeningItem.application_id == application.id)
        .order_by(col(ScreeningItem.id))
    ).all()
    return ApplicationView(
        id=application.id,
        student_id=application.student_id,
        program_code=program.code if program else "",
        program_name=program.name if program else "",
        entry_term_code=term.code if term else "",
        applied_on=application.applied_on,
        decision=application.decision,
        decision_date=application.decision_date,
        decided_by=decider.username if decider else "",
        notes=application.notes,
        version=application.version,
        items=tuple(
            ScreeningItemView(
                id=item.id or 0,
                item=item.item,
                required=item.required,
                received_on=item.received_on,
                recorded_by=username or "",
                note=item.note,
            )
            for item, username in rows
        ),
    )


def open_application(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    program_id: int,
    entry_term_id: int | None = None,
    applied_on: date | None = None,
) -> ApplicationView:
    """Open an application with the program's checklist copied onto it.

    A student has at most one open (pending or waitlisted) application at a time.
    """
    authorize(actor, Action.ADMISSION_MANAGE)
    if session.get(Student, student_id) is None:
        raise NotFound(f"There is no student with id {student_id}.")
    if session.get(Program, program_id) is None:
        raise ValidationFailed("program", f"there is no program with id {program_id}.")
    if entry_term_id is not None and session.get(Term, entry_term_id) is None:
        raise ValidationFailed("entry_term", f"there is no term with id {entry_term_id}.")
    still_open = session.exec(
        select(AdmissionApplication.id).where(
            AdmissionApplication.student_id == student_id,
            col(AdmissionApplication.decision).in_(
                [ApplicationDecision.PENDING.value, ApplicationDecision.WAITLIST.value]
            ),
        )
    ).first()
    if still_open is not None:
        raise ValidationFailed(
            "program", "the student already has an application awaiting a decision."
        )
    application = AdmissionApplication(
        student_id=student_id,
        program_id=program_id,
        entry_term_id=entry_term_id,
        applied_on=applied_on or date.today(),
    )
    session.add(application)
    session.flush()
    assert application.id is not None
    for item, required in checklist_items(session, program_id):
        session.add(ScreeningItem(application_id=application.id, item=item, required=required))
    session.flush()
    audit.record(
        session,
        actor,
        action="open",
        entity=ENTITY,
        entity_id=application.id,
        student_id=student_id,
        after=audit.snapshot(application, ["program_id", "entry_term_id", "applied_on"]),
    )
    return _view(session, application)


def current_application(
    session: Session, *, actor: Actor, student_id: int
) -> ApplicationView | None:
    """The student's latest application with its checklist, or None."""
    authorize(actor, Action.STUDENT_READ)
    application = session.exec(
        select(AdmissionApplication)
        .where(AdmissionApplication.student_id == student_id)
        .order_by(col(AdmissionApplication.id).desc())
    ).first()
    return _view(session, application) if application else None


def _application(session: Session, application_id: int) -> AdmissionApplication:
    application = session.get(AdmissionApplication, application_id, populate_existing=True)
    if application is None:
        raise NotFound(f"There is no application with id {application_id}.")
    return application


def mark_received(
    session: Session,
    *,
    actor: Actor,
    item_id: int,
    received: bool = True,
    received_on: date | None = None,
    note: str = "",
) -> ApplicationView:
    """Mark a checklist document received (dated, by the actor) or not received after all."""
    authorize(actor, Action.ADMISSION_MANAGE)
    item = session.get(ScreeningItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"There is no checklist item with id {item_id}.")
    application = _application(session, item.application_id)
    if (
        application.decision != ApplicationDecision.PENDING
        and application.decision != ApplicationDecision.WAITLIST
    ):
        raise ValidationFailed("item", f"the application was decided ({application.decision}).")
    day = received_on or date.today()
    if received and day > date.today():
        raise ValidationFailed("received_on", f"{day.isoformat()} is in the future.")
    if len(note) > MAX_TEXT:
        raise ValidationFailed("note", f"must be at most {MAX_TEXT} characters.")
    before = audit.snapshot(item, ["item", "received_on", "note"])
    item.received_on = day if received else None
    item.recorded_by_id = actor.id if received else None
    item.note = note.strip() if received else ""
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor,
        action="receive" if received else "unreceive",
        entity="screening_item",
        entity_id=item_id,
        student_id=application.student_id,
        before=before,
        after=audit.snapshot(item, ["item", "received_on", "note"]),
    )
    return _view(session, application)


def decide(
    session: Session,
    *,
    actor: Actor,
    application_id: int,
    expected_version: int,
    decision: str,
    decided_on: date | None = None,
    notes: str = "",
    override_reason: str = "",
) -> ApplicationView:
    """Record the decision on an open application.

    Admit refuses while required documents are missing unless a registrar gives an
    `override_reason` (audited). Admitting makes the student `admitted` from the decision date,
    with the application's program and entry term. Deny and waitlist leave the student an
    applicant; a waitlisted application can later be admitted or denied. StaleRecord when
    another desk decided first.
    """
    authorize(actor, Action.ADMISSION_MANAGE)
    try:
        chosen = ApplicationDecision(decision)
    except ValueError:
        chosen = ApplicationDecision.PENDING
    if chosen == ApplicationDecision.PENDING:
        raise ValidationFailed(
            "decision", f"{decision!r} is not a decision (admit, deny, waitlist)."
        )
    application = _application(session, application_id)
    if application.version != expected_version:
        raise StaleRecord(f"Application {application_id}", ["decision"])
    view = _view(session, application)
    if not view.open:
        raise ValidationFailed(
            "decision", f"the application was already decided ({view.decision})."
        )
    if (
        chosen == ApplicationDecision.WAITLIST
        and application.decision == ApplicationDecision.WAITLIST
    ):
        raise ValidationFailed("decision", "the application is already waitlisted.")
    day = decided_on or date.today()
    if day > date.today():
        raise ValidationFailed("decided_on", f"{day.isoformat()} is in the future.")
    if day < view.applied_on:
        raise ValidationFailed("decided_on", "is before the application date.")
    reason = override_reason.strip()
    if chosen == ApplicationDecision.ADMIT and view.missing:
        if not reason:
            raise ValidationFailed(
                "decision",
                "cannot admit: missing " + ", ".join(view.missing) + " (a registrar may admit "
                "anyway with a reason).",
            )
        actor.require(StaffRole.REGISTRAR, "Admitting with documents missing")
    student = session.get(Student, application.student_id, populate_existing=True)
    assert student is not None
    if chosen == ApplicationDecision.ADMIT and student.status != StudentStatus.APPLICANT:
        raise ValidationFailed(
            "decision", f"the student is {student.status.replace('_', ' ')}, not an applicant."
        )
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(AdmissionApplication)
        .where(
            col(AdmissionApplication.id) == application_id,
            col(AdmissionApplication.version) == expected_version,
        )
        .values(
            decision=chosen.value,
            decision_date=day,
            decided_by_id=actor.id,
            notes=notes.strip()[:MAX_TEXT] or application.notes,
            version=expected_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleRecord(f"Application {application_id}", ["decision"])
    session.refresh(application)
    audit.record(
        session,
        actor,
        action=chosen.value,
        entity=ENTITY,
        entity_id=application_id,
        student_id=application.student_id,
        before={"decision": view.decision},
        after={
            "decision": chosen.value,
            "decision_date": day.isoformat(),
            "missing": list(view.missing),
        },
        reason=reason,
    )
    if chosen == ApplicationDecision.ADMIT:
        apply_changes(
            session,
            actor=actor,
            student_id=student.id or 0,
            expected_version=student.version,
            changes={
                "status": StudentStatus.ADMITTED.value,
                "admission_date": day,
                "program_id": application.program_id,
                "entry_term_id": application.entry_term_id,
            },
            action="admit",
            reason=reason,
        )
    return _view(session, application)


def activate_on_first_registration(session: Session, student_id: int, actor: Actor) -> bool:
    """Make an admitted student `active`: registration calls this when it registers them.

    Returns True when the status changed (audited as `activate`), False when the student was
    not `admitted` (already active, or a status registration refuses on its own).
    """
    authorize(actor, Action.REGISTRATION_MANAGE)
    student = session.get(Student, student_id, populate_existing=True)
    if student is None:
        raise NotFound(f"There is no student with id {student_id}.")
    if student.status != StudentStatus.ADMITTED:
        return False
    apply_changes(
        session,
        actor=actor,
        student_id=student_id,
        expected_version=student.version,
        changes={"status": StudentStatus.ACTIVE.value},
        action="activate",
        reason="first registration",
    )
    return True

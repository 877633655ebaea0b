"""A program's settings an administrator keeps: its normal length in regular terms, from which
an enrollment verification letter states when the student is expected to graduate."""

from __future__ import annotations

from sqlmodel import Session, select

from recordsdesk.models import Program
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import ValidationFailed

MAX_TERMS = 40


def set_program_length(
    session: Session, *, actor: Actor, program_code: str, terms: int | None
) -> Program:
    """Set (or clear, with None) how many regular terms a full-time student takes to finish
    the program; audited with the value before. ValidationFailed names 'program' or 'terms'."""
    authorize(actor, Action.CATALOG_MANAGE)
    program = session.exec(
        select(Program).where(Program.code == program_code.strip().upper())
    ).first()
    if program is None:
        raise ValidationFailed("program", f"there is no program {program_code.strip()!r}.")
    if terms is not None and not 1 <= terms <= MAX_TERMS:
        raise ValidationFailed("terms", f"must be a whole number from 1 to {MAX_TERMS}, or none.")
    before = program.normal_terms
    program.normal_terms = terms
    session.add(program)
    session.flush()
    audit.record(
        session,
        actor,
        action="update",
        entity="program",
        entity_id=program.id,
        before={"normal_terms": before},
        after={"normal_terms": terms},
    )
    return program

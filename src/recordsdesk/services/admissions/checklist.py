"""The admission checklist: which documents an application needs before a decision.

It lives in `screening_requirement`: rows without a program apply to every application, a
program's own rows add to them (a program row with the same item name overrides whether it is
required). A new database starts with DEFAULT_CHECKLIST; an admin changes it with
`recordsdesk admission checklist add|remove`, audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from recordsdesk.models import Program, ScreeningRequirement
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import NotFound, ValidationFailed

MAX_ITEM = 80

#: The checklist a new database starts with (item, required). Proof of residence matters to
#: school districts more than to colleges, so it starts optional; an office requires it for a
#: program with `recordsdesk admission checklist add "Proof of residence" --program CODE`.
DEFAULT_CHECKLIST: tuple[tuple[str, bool], ...] = (
    ("Identity document", True),
    ("Prior transcript", True),
    ("Immunisation record", True),
    ("Proof of residence", False),
    ("Language proficiency", False),
)


@dataclass(frozen=True)
class RequirementView:
    id: int
    program_code: str  # "" when the row applies to every program
    item: str
    required: bool
    position: int


# --- the checklist ------------------------------------------------------------------------------


def seed_default_checklist(session: Session) -> None:
    """Give a new database the default checklist (called by reference seeding, once)."""
    for position, (item, required) in enumerate(DEFAULT_CHECKLIST, start=1):
        session.add(ScreeningRequirement(item=item, required=required, position=position))
    session.flush()


def _program_by_code(session: Session, code: str, field: str = "program") -> Program:
    program = session.exec(select(Program).where(Program.code == code.strip().upper())).first()
    if program is None:
        program = session.exec(select(Program).where(Program.code == code.strip())).first()
    if program is None:
        raise ValidationFailed(field, f"there is no program {code.strip()!r}.")
    return program


def list_requirements(
    session: Session, *, actor: Actor, program_code: str | None = None
) -> list[RequirementView]:
    """The checklist rows: every row, or those an application to `program_code` is screened
    against (the all-program rows and the program's own)."""
    authorize(actor, Action.STUDENT_READ)
    query = select(ScreeningRequirement, Program.code).outerjoin(
        Program, col(Program.id) == col(ScreeningRequirement.program_id)
    )
    if program_code:
        program = _program_by_code(session, program_code)
        query = query.where(
            (col(ScreeningRequirement.program_id).is_(None))
            | (col(ScreeningRequirement.program_id) == program.id)
        )
    query = query.order_by(
        col(ScreeningRequirement.program_id).is_not(None),
        col(ScreeningRequirement.position),
        col(ScreeningRequirement.id),
    )
    return [
        RequirementView(
            id=row.id or 0,
            program_code=code or "",
            item=row.item,
            required=row.required,
            position=row.position,
        )
        for row, code in session.exec(query).all()
    ]


def checklist_items(session: Session, program_id: int) -> list[tuple[str, bool]]:
    """The items an application to the program copies: program rows override same-named
    all-program rows; order by position, all-program rows first."""
    rows = session.exec(
        select(ScreeningRequirement)
        .where(
            (col(ScreeningRequirement.program_id).is_(None))
            | (col(ScreeningRequirement.program_id) == program_id)
        )
        .order_by(
            col(ScreeningRequirement.program_id).is_not(None),
            col(ScreeningRequirement.position),
            col(ScreeningRequirement.id),
        )
    ).all()
    items: dict[str, bool] = {}
    for row in rows:
        items[row.item] = row.required
    return list(items.items())


def add_requirement(
    session: Session,
    *,
    actor: Actor,
    item: str,
    program_code: str | None = None,
    required: bool = True,
) -> RequirementView:
    """Add a document to the checklist (for every program, or one): admin only, audited."""
    authorize(actor, Action.SETTINGS_CHANGE)
    text = item.strip() if isinstance(item, str) else ""
    if not text:
        raise ValidationFailed("item", "name the document.")
    if len(text) > MAX_ITEM:
        raise ValidationFailed("item", f"must be at most {MAX_ITEM} characters.")
    program = _program_by_code(session, program_code) if program_code else None
    program_id = program.id if program else None
    existing = session.exec(
        select(ScreeningRequirement).where(
            col(ScreeningRequirement.program_id).is_(None)
            if program_id is None
            else col(ScreeningRequirement.program_id) == program_id,
            col(ScreeningRequirement.item) == text,
        )
    ).first()
    if existing is not None:
        where = f"program {program.code}" if program else "every program"
        raise ValidationFailed("item", f"{text!r} is already on the checklist for {where}.")
    last = session.exec(
        select(ScreeningRequirement.position).order_by(col(ScreeningRequirement.position).desc())
    ).first()
    row = ScreeningRequirement(
        program_id=program_id, item=text, required=required, position=(last or 0) + 1
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="add",
        entity="screening_requirement",
        entity_id=row.id,
        after={"item": text, "program": program.code if program else None, "required": required},
    )
    assert row.id is not None
    return RequirementView(row.id, program.code if program else "", text, required, row.position)


def remove_requirement(
    session: Session, *, actor: Actor, item: str, program_code: str | None = None
) -> None:
    """Take a document off the checklist; applications already opened keep their copy."""
    authorize(actor, Action.SETTINGS_CHANGE)
    program = _program_by_code(session, program_code) if program_code else None
    row = session.exec(
        select(ScreeningRequirement).where(
            col(ScreeningRequirement.program_id).is_(None)
            if program is None
            else col(ScreeningRequirement.program_id) == program.id,
            col(ScreeningRequirement.item) == item.strip(),
        )
    ).first()
    if row is None:
        where = f"program {program.code}" if program else "every program"
        raise NotFound(f"{item.strip()!r} is not on the checklist for {where}.")
    audit.record(
        session,
        actor,
        action="remove",
        entity="screening_requirement",
        entity_id=row.id,
        before={"item": row.item, "program": program.code if program else None},
    )
    session.delete(row)
    session.flush()

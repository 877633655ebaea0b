"""Who is acting: every service that reads or changes records is told, so it can check the role
and write the audit event in the same transaction as the change."""

from __future__ import annotations

from sqlmodel import Session, select

from recordsdesk.models import StaffRole, StaffUser
from recordsdesk.services.access.acting import SYSTEM_USERNAME as SYSTEM_USERNAME
from recordsdesk.services.access.acting import Actor as Actor
from recordsdesk.services.shared.errors import NotFound, PermissionDenied


def actor_for(session: Session, username: str) -> Actor:
    """The Actor for an active staff account, or NotFound naming the username."""
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or user.id is None:
        raise NotFound(f"There is no staff account named {username!r}.")
    if not user.active:
        raise PermissionDenied(f"The staff account {username!r} is disabled.")
    return Actor(
        id=user.id, username=user.username, role=StaffRole(user.role), full_name=user.full_name
    )


def system_actor(session: Session) -> Actor:
    """The built-in account command-line maintenance (migrations, demo build) acts as."""
    return actor_for(session, SYSTEM_USERNAME)

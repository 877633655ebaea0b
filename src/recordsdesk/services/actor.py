"""Who is acting: every service that reads or changes records is told, so it can check the role
and write the audit event in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from recordsdesk.models import StaffRole, StaffUser
from recordsdesk.services.errors import NotFound, PermissionDenied

SYSTEM_USERNAME = "system"

_RANK = {StaffRole.CLERK: 1, StaffRole.REGISTRAR: 2, StaffRole.ADMIN: 3}


@dataclass(frozen=True)
class Actor:
    """The acting staff member as the services see them (a plain value, safe across threads)."""

    id: int
    username: str
    role: StaffRole
    full_name: str = ""

    def at_least(self, role: StaffRole) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: StaffRole, action: str) -> None:
        """Refuse `action` unless the actor holds `role` or a higher one."""
        if not self.at_least(role):
            raise PermissionDenied(
                f"{action} needs the {role.value} role; {self.username} is a {self.role.value}."
            )


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

"""Who is acting, as a plain value: `Actor` without the database code that finds one.

Kept apart from `actor` (which reads staff accounts with SQLModel) so the sign-in screen and the
role checks can be imported before SQLAlchemy is; `actor` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from recordsdesk.roles import StaffRole
from recordsdesk.services.shared.errors import PermissionDenied

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

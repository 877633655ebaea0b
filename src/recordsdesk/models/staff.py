"""Staff accounts: who may act at the desk and in which role."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from recordsdesk.models.base import StaffRole, one_of, utcnow


class StaffUser(SQLModel, table=True):
    """A staff member. `password_hash` is empty for accounts that cannot sign in (the built-in
    `system` account that command-line maintenance acts as)."""

    __tablename__ = "staff_user"
    __table_args__ = (one_of("role", StaffRole),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    full_name: str = ""
    role: str
    password_hash: str = ""
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None

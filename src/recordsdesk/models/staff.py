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


class ApiToken(SQLModel, table=True):
    """A personal token a staff member makes for unattended command-line jobs.

    Only the SHA-256 of the token is stored (a token is 32 random bytes, so a slow hash adds
    nothing); `prefix` is its first characters, enough to tell tokens apart in a listing. A
    token acts as its owner, only while the owner's account is active and unlocked, and only
    until it expires or is revoked.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

"""Staff sign-in and staff accounts.

Sign-in is the one service called before anyone is acting, so it takes the engine rather than a
session: a failed attempt must be audited (and counted towards the lockout) even though the
caller is refused, which means committing the failure before raising. Every answer to a wrong
username or a wrong password reads the same, and an unknown username costs the same scrypt work
as a known one, so the sign-in screen never tells a passer-by which usernames exist.

Lockout: after `LOCK_AFTER` consecutive failures an account is locked for `BASE_LOCK_SECONDS`,
doubling with every further failure up to `MAX_LOCK_SECONDS`. A successful sign-in clears the
count. Passwords are hashed by services.passwords (scrypt) and never logged or audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from recordsdesk.db import session_scope
from recordsdesk.models import Institution, StaffRole, StaffUser, utcnow
from recordsdesk.services import audit
from recordsdesk.services.actor import SYSTEM_USERNAME, Actor, system_actor
from recordsdesk.services.errors import NotFound, PermissionDenied, RecordsError, ValidationFailed
from recordsdesk.services.passwords import hash_password, verify_password
from recordsdesk.services.permissions import Action, authorize

ENTITY = "staff_user"
LOCK_AFTER = 5
BASE_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 3600
MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 64
REFUSED = "The username or password is wrong."


@cache
def _dummy_hash() -> str:
    """Verified against for unknown usernames so a miss costs the same time as a wrong
    password (made on first use: hashing at import would slow every command)."""
    return hash_password("recordsdesk-no-such-account")


class SignInRefused(RecordsError):
    """The sign-in did not succeed; the message never says whether the username exists."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as the desk lists it (never the password hash)."""

    id: int
    username: str
    full_name: str
    role: StaffRole
    active: bool
    last_login_at: datetime | None
    locked_until: datetime | None


def lock_seconds(failures: int) -> int:
    """How long the account stays locked after `failures` consecutive failures (0: not locked)."""
    if failures < LOCK_AFTER:
        return 0
    return int(min(MAX_LOCK_SECONDS, BASE_LOCK_SECONDS * 2 ** (failures - LOCK_AFTER)))


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _actor(user: StaffUser) -> Actor:
    assert user.id is not None
    return Actor(
        id=user.id, username=user.username, role=StaffRole(user.role), full_name=user.full_name
    )


def _find(session: Session, username: str) -> StaffUser | None:
    query = select(StaffUser).where(StaffUser.username == username).with_for_update()
    return session.exec(query).first()


def _refusal_text(locked_until: datetime, now: datetime) -> str:
    seconds = max(1, int((locked_until - now).total_seconds()))
    wait = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    return f"Too many failed sign-ins: this account is locked for {wait}."


def sign_in(engine: Engine, username: str, password: str, *, now: datetime | None = None) -> Actor:
    """The Actor for a correct username and password; SignInRefused otherwise.

    Success and failure are both audited (`sign_in` / `sign_in_failed`), committed before this
    returns or raises. A locked account is refused without checking the password, so guessing
    during the lock gains nothing.
    """
    moment = now or utcnow()
    name = username.strip()[:MAX_USERNAME_LENGTH]
    refused: SignInRefused | None = None
    with session_scope(engine) as session:
        user = _find(session, name) if name else None
        usable = user is not None and user.active and bool(user.password_hash)
        if user is None or not usable:
            verify_password(password, _dummy_hash())  # same cost as a real check
            _audit_failure(session, user, name, "unknown or disabled account")
            refused = SignInRefused(REFUSED)
        else:
            locked_until = _aware(user.locked_until)
            if locked_until is not None and locked_until > moment:
                _audit_failure(session, user, name, "account locked")
                refused = SignInRefused(_refusal_text(locked_until, moment), locked_until)
            elif not verify_password(password, user.password_hash):
                refused = _count_failure(session, user, moment)
            else:
                user.failed_logins = 0
                user.locked_until = None
                user.last_login_at = moment
                session.add(user)
                actor = _actor(user)
                audit.record(session, actor, action="sign_in", entity=ENTITY, entity_id=user.id)
                return actor
    raise refused


def confirm_password(engine: Engine, actor: Actor, password: str) -> Actor:
    """Check the signed-in actor's own password (the idle lock); the same lockout and audit as
    a sign-in, so the lock cannot be used to guess a password either."""
    return sign_in(engine, actor.username, password)


def _count_failure(session: Session, user: StaffUser, moment: datetime) -> SignInRefused:
    user.failed_logins += 1
    seconds = lock_seconds(user.failed_logins)
    user.locked_until = moment + timedelta(seconds=seconds) if seconds else None
    session.add(user)
    _audit_failure(session, user, user.username, "wrong password", user.failed_logins)
    if user.locked_until is not None:
        return SignInRefused(_refusal_text(user.locked_until, moment), user.locked_until)
    return SignInRefused(REFUSED)


def _audit_failure(
    session: Session, user: StaffUser | None, name: str, why: str, failures: int | None = None
) -> None:
    """A failed attempt, attributed to the account when it exists and to `system` otherwise;
    the attempted name is kept (an administrator needs it to see a guessing run)."""
    actor = _actor(user) if user is not None else system_actor(session)
    after = {"failed_logins": failures} if failures is not None else None
    audit.record(
        session,
        actor,
        action="sign_in_failed",
        entity=ENTITY,
        entity_id=name,
        after=after,
        reason=why,
    )


# --- accounts -----------------------------------------------------------------------------------


def _check_username(session: Session, username: str) -> str:
    name = username.strip()
    if not name:
        raise ValidationFailed("username", "must not be empty.")
    if len(name) > MAX_USERNAME_LENGTH:
        raise ValidationFailed("username", f"must be at most {MAX_USERNAME_LENGTH} characters.")
    if any(ch.isspace() for ch in name):
        raise ValidationFailed("username", "must not contain spaces.")
    if session.exec(select(StaffUser.id).where(StaffUser.username == name)).first() is not None:
        raise ValidationFailed("username", f"{name!r} is already taken.")
    return name


def check_password(password: str, field: str = "password") -> None:
    """The desk's password rule: long enough to resist guessing at the counter."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(field, f"must be at least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip() != password:
        raise ValidationFailed(field, "must not start or end with a space.")


def _role(role: str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        allowed = ", ".join(r.value for r in StaffRole)
        raise ValidationFailed("role", f"{role!r} is not a role ({allowed}).") from None


def _new_user(
    session: Session, actor: Actor, username: str, role: StaffRole, full_name: str, password: str
) -> StaffAccount:
    name = _check_username(session, username)
    check_password(password)
    user = StaffUser(
        username=name,
        full_name=full_name.strip(),
        role=role.value,
        password_hash=hash_password(password),
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        action="create",
        entity=ENTITY,
        entity_id=user.id,
        after=audit.snapshot(user, ["username", "full_name", "role", "active"]),
    )
    return _account(user)


def _account(user: StaffUser) -> StaffAccount:
    assert user.id is not None
    return StaffAccount(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=StaffRole(user.role),
        active=user.active,
        last_login_at=_aware(user.last_login_at),
        locked_until=_aware(user.locked_until),
    )


def needs_first_admin(session: Session) -> bool:
    """True on a database with no account anyone can sign in with (only `system`)."""
    query = (
        select(func.count())
        .select_from(StaffUser)
        .where(col(StaffUser.password_hash) != "", col(StaffUser.active).is_(True))
    )
    return session.exec(query).one() == 0


def create_first_admin(
    session: Session, *, username: str, full_name: str, password: str
) -> StaffAccount:
    """The first administrator of an empty database, created by `system`. Refused once any
    account can sign in, so the first-start form cannot be replayed to add an admin later."""
    if not needs_first_admin(session):
        raise PermissionDenied("This database already has staff accounts; ask an administrator.")
    return _new_user(session, system_actor(session), username, StaffRole.ADMIN, full_name, password)


def add_user(
    session: Session, *, actor: Actor, username: str, role: str, full_name: str, password: str
) -> StaffAccount:
    authorize(actor, Action.STAFF_MANAGE)
    return _new_user(session, actor, username, _role(role), full_name, password)


def list_users(session: Session, *, actor: Actor) -> tuple[StaffAccount, ...]:
    """Every account but `system`, by username."""
    authorize(actor, Action.STAFF_MANAGE)
    query = (
        select(StaffUser)
        .where(StaffUser.username != SYSTEM_USERNAME)
        .order_by(col(StaffUser.username))
    )
    return tuple(_account(user) for user in session.exec(query).all())


def _existing(session: Session, username: str) -> StaffUser:
    user = _find(session, username.strip())
    if user is None or user.username == SYSTEM_USERNAME:
        raise NotFound(f"There is no staff account named {username!r}.")
    return user


def disable_user(session: Session, *, actor: Actor, username: str) -> StaffAccount:
    """Disable an account (kept, never deleted: the audit trail names it)."""
    authorize(actor, Action.STAFF_MANAGE)
    user = _existing(session, username)
    if user.id == actor.id:
        raise ValidationFailed("username", "you cannot disable your own account.")
    if user.active:
        user.active = False
        session.add(user)
        audit.record(
            session,
            actor,
            action="disable",
            entity=ENTITY,
            entity_id=user.id,
            before={"active": True},
            after={"active": False},
        )
    return _account(user)


def set_password(
    session: Session,
    *,
    actor: Actor,
    username: str,
    new_password: str,
    current_password: str | None = None,
) -> StaffAccount:
    """Change a password: one's own with the current password, anyone's as an administrator.
    Clears a lockout (an administrator resetting a locked account is the way back in)."""
    user = _existing(session, username)
    own = user.id == actor.id
    if own and not actor.at_least(StaffRole.ADMIN):
        if current_password is None or not verify_password(current_password, user.password_hash):
            raise ValidationFailed("current_password", "is not your current password.")
    elif not own:
        authorize(actor, Action.STAFF_MANAGE)
    check_password(new_password, "new_password")
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    audit.record(
        session, actor, action="password", entity=ENTITY, entity_id=user.id, reason="changed"
    )
    return _account(user)


def idle_lock_minutes(session: Session) -> int:
    """The institution's idle-lock setting (0: never lock on idle)."""
    minutes = session.exec(select(Institution.idle_lock_minutes)).first()
    return 5 if minutes is None else int(minutes)

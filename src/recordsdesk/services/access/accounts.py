"""Staff sign-in and staff accounts.

Sign-in is the one service called before anyone is acting, so it takes the engine rather than a
session: a failed attempt must be audited (and counted towards the lockout) even though the
caller is refused, which means committing the failure before raising.

One answer: a wrong password, an unknown username, a disabled account and a locked one all get
the same words (REFUSED) after the same scrypt work (a dummy hash stands in for a missing or
unusable one), so the sign-in never tells a passer-by which usernames exist or that a run of
guesses has locked someone out. Only the audit log, for an administrator, says which it was.

Lockout: every attempt on a usable account is counted *before* its password is checked, by one
atomic `UPDATE ... SET failed_logins = failed_logins + 1 ... RETURNING` that also refuses while
the account is locked. Parallel guessers therefore get exactly `LOCK_AFTER` checks before the
lock on both engines (SQLite ignores `FOR UPDATE`; the UPDATE takes its write lock). The attempt
that reaches `LOCK_AFTER` locks the account for `BASE_LOCK_SECONDS`, doubling with every further
failure up to `MAX_LOCK_SECONDS`; a correct password clears count and lock. A hash made at an
older scrypt cost is replaced at the next correct sign-in. Passwords are never logged or audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import Engine, func, or_, update
from sqlmodel import Session, col, select

from recordsdesk.db import session_scope
from recordsdesk.models import Institution, StaffRole, StaffUser, utcnow
from recordsdesk.services.access.actor import SYSTEM_USERNAME, Actor, system_actor
from recordsdesk.services.access.password_policy import check_password, min_length
from recordsdesk.services.access.passwords import (
    PRODUCTION_COST,
    ScryptCost,
    current_cost,
    hash_password,
    needs_rehash,
    verify_password,
)
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import (
    NotFound,
    PermissionDenied,
    RecordsError,
    ValidationFailed,
)

ENTITY = "staff_user"
LOCK_AFTER = 5
BASE_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 3600
MIN_PASSWORD_LENGTH = min_length(StaffRole.ADMIN)  # the first account is an administrator
MAX_USERNAME_LENGTH = 64
REFUSED = (
    "Sign-in refused: the username or password is wrong, or the account is disabled or "
    f"locked for a while after {LOCK_AFTER} failed sign-ins."
)
_STAFF = StaffUser.__table__  # type: ignore[attr-defined]


# A hash of a random password nobody kept, at the production cost: made once, shipped, so even
# the first refusal in a process (every command is one) costs one check, not a hash and a check.
_PRODUCTION_DUMMY = (
    "scrypt$131072$8$1$fMl0vfRYQDkjnizlLSOSpw==$NTgKuVShN5aKeyiCd3w01jkL6IJKiLlyAcIfKPxZfUE="
)


@cache
def _dummy_hash_at(cost: ScryptCost) -> str:
    if cost == PRODUCTION_COST:
        return _PRODUCTION_DUMMY
    return hash_password("recordsdesk-no-such-account")  # another cost: the test suite's


def _dummy_hash() -> str:
    """Verified against for unknown, disabled and locked accounts so a refusal costs the same
    scrypt work as a wrong password."""
    return _dummy_hash_at(current_cost())


class SignInRefused(RecordsError):
    """The sign-in did not succeed; the message never says why (see REFUSED)."""


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


@dataclass(frozen=True)
class _Attempt:
    """A counted attempt on a usable account, read back by the counting UPDATE."""

    actor: Actor
    password_hash: str
    failures: int


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


def account_locked(user: StaffUser, moment: datetime | None = None) -> bool:
    """True while `user` is locked out (for the token sign-in, which shares the lockout)."""
    locked_until = _aware(user.locked_until)
    return locked_until is not None and locked_until > (moment or utcnow())


def sign_in(engine: Engine, username: str, password: str, *, now: datetime | None = None) -> Actor:
    """The Actor for a correct username and password; SignInRefused (always REFUSED) otherwise.

    Success and failure are both audited (`sign_in` / `sign_in_failed`), committed before this
    returns or raises. A locked account is refused without checking its password, so guessing
    during the lock gains nothing.
    """
    moment = now or utcnow()
    name = username.strip()[:MAX_USERNAME_LENGTH]
    attempt = _count_attempt(engine, name, moment) if name else None
    if attempt is None:
        verify_password(password, _dummy_hash())  # same cost as a real check
        _audit_refusal(engine, name, moment)
        raise SignInRefused(REFUSED)
    if not verify_password(password, attempt.password_hash):
        with session_scope(engine) as session:
            _audit_failure(session, attempt.actor, name, "wrong password", attempt.failures)
        raise SignInRefused(REFUSED)
    rehashed = hash_password(password) if needs_rehash(attempt.password_hash) else None
    with session_scope(engine) as session:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        values["last_login_at"] = moment
        if rehashed is not None:
            values["password_hash"] = rehashed
        session.connection().execute(
            update(_STAFF).where(_STAFF.c.id == attempt.actor.id).values(**values)
        )
        reason = "password re-hashed at the current cost" if rehashed else ""
        audit.record(
            session,
            attempt.actor,
            action="sign_in",
            entity=ENTITY,
            entity_id=attempt.actor.id,
            reason=reason,
        )
    return attempt.actor


def _count_attempt(engine: Engine, name: str, moment: datetime) -> _Attempt | None:
    """Count one attempt on the active, password-holding, unlocked account `name` and return
    it; None (nothing counted) when there is no such account or it is locked.

    One UPDATE both checks the lock and counts, so no two attempts read the same count; the
    attempt that reaches LOCK_AFTER sets the lock in the same transaction, before its password
    is checked, so no parallel attempt slips in behind it.
    """
    counted = (
        update(_STAFF)
        .where(
            _STAFF.c.username == name,
            _STAFF.c.active.is_(True),
            _STAFF.c.password_hash != "",
            or_(_STAFF.c.locked_until.is_(None), _STAFF.c.locked_until <= moment),
        )
        .values(failed_logins=_STAFF.c.failed_logins + 1)
        .returning(
            _STAFF.c.id,
            _STAFF.c.username,
            _STAFF.c.role,
            _STAFF.c.full_name,
            _STAFF.c.password_hash,
            _STAFF.c.failed_logins,
        )
    )
    with session_scope(engine) as session:
        connection = session.connection()
        row = connection.execute(counted).first()
        if row is None:
            return None
        seconds = lock_seconds(row.failed_logins)
        if seconds:
            connection.execute(
                update(_STAFF)
                .where(_STAFF.c.id == row.id)
                .values(locked_until=moment + timedelta(seconds=seconds))
            )
    actor = Actor(
        id=row.id, username=row.username, role=StaffRole(row.role), full_name=row.full_name
    )
    return _Attempt(actor=actor, password_hash=row.password_hash, failures=row.failed_logins)


def _audit_refusal(engine: Engine, name: str, moment: datetime) -> None:
    """Audit an attempt refused before any password check, saying why (for the administrator
    only: the person at the desk was told REFUSED)."""
    with session_scope(engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == name)).first()
        if user is None or user.id is None:
            _audit_failure(session, None, name, "unknown account")
        elif not user.active or not user.password_hash:
            _audit_failure(session, _actor(user), name, "disabled account")
        else:
            _audit_failure(session, _actor(user), name, "account locked")


def confirm_password(engine: Engine, actor: Actor, password: str) -> Actor:
    """Check the signed-in actor's own password (the idle lock); the same lockout and audit as
    a sign-in, so the lock cannot be used to guess a password either."""
    return sign_in(engine, actor.username, password)


def _audit_failure(
    session: Session, actor: Actor | None, name: str, why: str, failures: int | None = None
) -> None:
    """A failed attempt, attributed to the account when it exists and to `system` otherwise;
    the attempted name is kept (an administrator needs it to see a guessing run)."""
    after = {"failed_logins": failures} if failures is not None else None
    audit.record(
        session,
        actor or system_actor(session),
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
    check_password(password, role, name)
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
    current_password_checked: bool = False,
) -> StaffAccount:
    """Change a password: one's own with the current password (or `current_password_checked`
    when the caller has just signed in with it), anyone's as an administrator. Clears a lockout
    (an administrator resetting a locked account is the way back in)."""
    user = _existing(session, username)
    own = user.id == actor.id
    if own and not actor.at_least(StaffRole.ADMIN) and not current_password_checked:
        if current_password is None or not verify_password(current_password, user.password_hash):
            raise ValidationFailed("current_password", "is not your current password.")
    elif not own:
        authorize(actor, Action.STAFF_MANAGE)
    check_password(new_password, StaffRole(user.role), user.username, "new_password")
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

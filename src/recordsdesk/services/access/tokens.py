"""Personal API tokens: how an unattended job (a nightly export, a cron report) signs in
without a password in a script.

A token is made by its owner (`recordsdesk user token create`), shown once, and stored only as
its SHA-256 (32 random bytes need no slow hash: there is nothing to guess). It acts as its owner
with the owner's role, only while the owner's account is active and not locked out, and only
until it expires (at most a year) or is revoked. Creating, revoking and every use are audited.
A token that does not work gets one answer whatever the reason, like a password.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.db import session_scope
from recordsdesk.models import ApiToken, StaffRole, StaffUser, utcnow
from recordsdesk.services.access.accounts import SignInRefused, account_locked
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.access.permissions import Action, allowed
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import NotFound, ValidationFailed

ENTITY = "api_token"
TOKEN_START = "rdt_"
PREFIX_LENGTH = 12  # "rdt_" and 8 characters of the secret: enough to tell tokens apart
DEFAULT_DAYS = 90
MAX_DAYS = 366
MAX_NAME_LENGTH = 80
TOKEN_REFUSED = (
    "Sign-in refused: the token is not valid (unknown, expired or revoked), or its account is "
    "disabled or locked."
)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never the token itself)."""

    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or utcnow()) else "active"


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _info(token: ApiToken, username: str) -> TokenInfo:
    assert token.id is not None
    expires = _aware(token.expires_at)
    created = _aware(token.created_at)
    assert expires is not None and created is not None
    return TokenInfo(
        id=token.id,
        username=username,
        name=token.name,
        prefix=token.prefix,
        created_at=created,
        expires_at=expires,
        last_used_at=_aware(token.last_used_at),
        revoked_at=_aware(token.revoked_at),
    )


def create_token(
    session: Session, *, actor: Actor, name: str, days: int = DEFAULT_DAYS
) -> tuple[TokenInfo, str]:
    """A new token for the actor's own account: (its listing, the token). The token is
    returned this once and cannot be shown again."""
    label = name.strip()
    if not label:
        raise ValidationFailed("name", "must say what the token is for (e.g. 'nightly export').")
    if len(label) > MAX_NAME_LENGTH or not label.isprintable():
        raise ValidationFailed("name", f"must be at most {MAX_NAME_LENGTH} printable characters.")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed("days", f"must be from 1 to {MAX_DAYS}.")
    secret = TOKEN_START + secrets.token_urlsafe(32)
    moment = utcnow()
    token = ApiToken(
        staff_user_id=actor.id,
        name=label,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=token_digest(secret),
        created_at=moment,
        expires_at=moment + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        action="token_create",
        entity=ENTITY,
        entity_id=token.id,
        after={"name": label, "prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
    )
    return _info(token, actor.username), secret


def list_tokens(session: Session, *, actor: Actor, everyone: bool = False) -> tuple[TokenInfo, ...]:
    """The actor's own tokens, or (administrators, `everyone`) every account's, newest first."""
    query = select(ApiToken, StaffUser.username).join(
        StaffUser, col(StaffUser.id) == col(ApiToken.staff_user_id)
    )
    if not (everyone and allowed(actor, Action.STAFF_MANAGE)):
        query = query.where(ApiToken.staff_user_id == actor.id)
    rows = session.exec(query.order_by(col(ApiToken.id).desc())).all()
    return tuple(_info(token, username) for token, username in rows)


def revoke_token(session: Session, *, actor: Actor, prefix: str) -> TokenInfo:
    """Revoke a token named by its prefix (as `list` shows it): one's own, or anyone's as an
    administrator (a leaving clerk's, a leaked one). Revoking twice changes nothing."""
    wanted = prefix.strip()
    if len(wanted) < len(TOKEN_START) + 4:
        raise ValidationFailed("token", "give the token's prefix as `user token list` shows it.")
    query = select(ApiToken, StaffUser.username).join(
        StaffUser, col(StaffUser.id) == col(ApiToken.staff_user_id)
    )
    query = query.where(col(ApiToken.prefix).startswith(wanted[:PREFIX_LENGTH]))
    if not allowed(actor, Action.STAFF_MANAGE):
        query = query.where(ApiToken.staff_user_id == actor.id)
    matches = session.exec(query).all()
    if len(matches) != 1:
        raise NotFound(f"No single token of yours starts with {wanted!r}.")
    token, username = matches[0]
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        audit.record(
            session,
            actor,
            action="token_revoke",
            entity=ENTITY,
            entity_id=token.id,
            before={"owner": username, "prefix": token.prefix},
        )
    return _info(token, username)


def sign_in_with_token(engine: Engine, token: str, *, now: datetime | None = None) -> Actor:
    """The owner of a valid token as the Actor, the use audited; SignInRefused otherwise."""
    moment = now or utcnow()
    digest = token_digest(token.strip())
    with session_scope(engine) as session:
        found = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
        user = session.get(StaffUser, found.staff_user_id) if found is not None else None
        why = _unusable(found, user, moment)
        if why is not None or found is None or user is None or user.id is None:
            audit.record(
                session,
                system_actor(session),
                action="sign_in_failed",
                entity=ENTITY,
                entity_id=found.prefix if found is not None else token.strip()[:PREFIX_LENGTH],
                reason=f"token: {why}",
            )
            refused = SignInRefused(TOKEN_REFUSED)
        else:
            found.last_used_at = moment
            session.add(found)
            actor = Actor(
                id=user.id,
                username=user.username,
                role=StaffRole(user.role),
                full_name=user.full_name,
            )
            audit.record(
                session,
                actor,
                action="sign_in",
                entity=ENTITY,
                entity_id=found.id,
                reason=f"token {found.prefix} ({found.name})",
            )
            return actor
    raise refused


def _unusable(token: ApiToken | None, user: StaffUser | None, moment: datetime) -> str | None:
    if token is None or user is None:
        return "unknown"
    if token.revoked_at is not None:
        return "revoked"
    expires = _aware(token.expires_at)
    if expires is None or expires <= moment:
        return "expired"
    if not user.active:
        return "account disabled"
    if account_locked(user, moment):
        return "account locked"
    return None

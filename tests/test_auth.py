"""Staff sign-in, lockout with a growing delay, audited attempts, and staff accounts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import AuditEvent, StaffUser
from recordsdesk.services.access import accounts as auth
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.access.passwords import hash_password
from recordsdesk.services.shared.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import make_staff

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse"


@pytest.fixture
def clerk(engine: Engine) -> str:
    with session_scope(engine) as session:
        make_staff(session, username="jdoe", role="clerk", password_hash=hash_password(PASSWORD))
    return "jdoe"


def events(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def account(engine: Engine, username: str) -> StaffUser:
    with Session(engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
        return user


def test_sign_in_returns_the_actor_and_is_audited(engine: Engine, clerk: str) -> None:
    actor = auth.sign_in(engine, clerk, PASSWORD, now=T0)
    assert (actor.username, actor.role.value) == ("jdoe", "clerk")
    [event] = events(engine, "sign_in")
    assert event.actor_username == "jdoe"
    assert account(engine, clerk).last_login_at is not None


def test_wrong_password_and_unknown_user_read_the_same_and_are_audited(
    engine: Engine, clerk: str
) -> None:
    with pytest.raises(auth.SignInRefused) as wrong:
        auth.sign_in(engine, clerk, "nope", now=T0)
    with pytest.raises(auth.SignInRefused) as unknown:
        auth.sign_in(engine, "ghost", "nope", now=T0)
    with pytest.raises(auth.SignInRefused) as system:
        auth.sign_in(engine, "system", "", now=T0)
    assert str(wrong.value) == str(unknown.value) == str(system.value) == auth.REFUSED
    failures = events(engine, "sign_in_failed")
    assert [e.entity_id for e in failures] == ["jdoe", "ghost", "system"]
    assert failures[1].actor_username == "system"  # an unknown name is attributed to no one
    assert all("nope" not in (e.before or "") + (e.after or "") + e.reason for e in failures)


def test_lockout_grows_and_a_success_clears_it(engine: Engine, clerk: str) -> None:
    for _attempt in range(auth.LOCK_AFTER - 1):
        with pytest.raises(auth.SignInRefused, match="username or password is wrong"):
            auth.sign_in(engine, clerk, "wrong", now=T0)
        assert account(engine, clerk).locked_until is None
    with pytest.raises(auth.SignInRefused) as locked:
        auth.sign_in(engine, clerk, "wrong", now=T0)
    first_lock = account(engine, clerk).locked_until
    assert first_lock is not None
    assert auth._aware(first_lock) == T0 + timedelta(seconds=auth.BASE_LOCK_SECONDS)
    assert str(locked.value) == auth.REFUSED  # the same words as any other refusal
    # During the lock even the right password is refused, and not counted.
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(engine, clerk, PASSWORD, now=T0 + timedelta(seconds=10))
    assert account(engine, clerk).failed_logins == auth.LOCK_AFTER
    # After the lock a further failure locks for twice as long.
    later = T0 + timedelta(seconds=auth.BASE_LOCK_SECONDS + 1)
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(engine, clerk, "wrong", now=later)
    again = auth._aware(account(engine, clerk).locked_until)
    assert again == later + timedelta(seconds=2 * auth.BASE_LOCK_SECONDS)
    assert auth.lock_seconds(50) == auth.MAX_LOCK_SECONDS
    # The right password after the lock signs in and clears the count.
    auth.sign_in(engine, clerk, PASSWORD, now=later + timedelta(hours=1))
    user = account(engine, clerk)
    assert (user.failed_logins, user.locked_until) == (0, None)
    reasons = [e.reason for e in events(engine, "sign_in_failed")]
    assert reasons.count("account locked") == 1 and reasons.count("wrong password") == 6


def test_disabled_account_cannot_sign_in(engine: Engine, system: Actor, clerk: str) -> None:
    with session_scope(engine) as session:
        auth.disable_user(session, actor=system, username=clerk)
    with pytest.raises(auth.SignInRefused, match="username or password is wrong"):
        auth.sign_in(engine, clerk, PASSWORD)


def test_first_admin_only_on_an_empty_database(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert auth.needs_first_admin(session)
        admin = auth.create_first_admin(
            session, username="root.admin", full_name="Ana Åström", password="s3cret passphrase"
        )
    assert admin.role.value == "admin"
    assert auth.sign_in(engine, "root.admin", "s3cret passphrase").role.value == "admin"
    with session_scope(engine) as session:
        assert not auth.needs_first_admin(session)
        with pytest.raises(PermissionDenied):
            auth.create_first_admin(
                session, username="x", full_name="", password="s3cret passphrase"
            )


def test_account_rules_and_password_changes(engine: Engine, system: Actor, clerk: str) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed) as short:
            auth.add_user(
                session, actor=system, username="b", role="clerk", full_name="", password="short"
            )
        assert short.value.field == "password"
        with pytest.raises(ValidationFailed) as taken:
            auth.add_user(
                session, actor=system, username=clerk, role="clerk", full_name="", password="x" * 9
            )
        assert taken.value.field == "username"
        with pytest.raises(ValidationFailed) as role:
            auth.add_user(
                session, actor=system, username="d", role="dean", full_name="", password="x" * 9
            )
        assert role.value.field == "role"
    with session_scope(engine) as session:
        me = actor_for(session, clerk)
        with pytest.raises(ValidationFailed) as wrong:
            auth.set_password(
                session,
                actor=me,
                username=clerk,
                new_password="new password",
                current_password="no",
            )
        assert wrong.value.field == "current_password"
        auth.set_password(
            session,
            actor=me,
            username=clerk,
            new_password="new password",
            current_password=PASSWORD,
        )
        with pytest.raises(NotFound):
            auth.disable_user(session, actor=system, username="system")
    assert auth.sign_in(engine, clerk, "new password").username == clerk
    stored = account(engine, clerk).password_hash
    assert stored.startswith("scrypt$") and "new password" not in stored


def test_user_commands(
    database_url: str,
    cli_admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    args = ["--database", database_url, "--new-password-stdin"]
    assert (
        main(["user", "add", "mlopez", "--role", "registrar", "--name", "María López", *args]) == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("tiny\n"))
    assert main(["user", "add", "shorty", "--role", "clerk", *args]) == 2
    assert main(["user", "list", "--database", database_url]) == 0
    out = capsys.readouterr()
    assert "mlopez" in out.out and "registrar" in out.out and "María López" in out.out
    assert "a long password" not in out.out + out.err
    assert "password: must be at least 8" in out.err
    monkeypatch.setattr("sys.stdin", io.StringIO("changed password\n"))
    assert main(["user", "passwd", "mlopez", *args]) == 0
    assert auth.sign_in(open_database(database_url), "mlopez", "changed password")
    assert main(["user", "disable", "mlopez", "--database", database_url]) == 0
    assert "disabled" in capsys.readouterr().out

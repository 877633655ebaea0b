"""Sign-in strength: an exact lockout under parallel guessing on both engines, one answer (same
words, same scrypt work) for wrong, unknown, disabled and locked, scrypt at today's cost with
re-hashing of older hashes, and the password rule on every path that sets a password."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, StaffUser
from recordsdesk.services.access import accounts as auth
from recordsdesk.services.access import passwords
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.password_policy import weakness
from recordsdesk.services.access.passwords import PRODUCTION_COST, ScryptCost, hash_password
from recordsdesk.services.shared.errors import ValidationFailed
from tests.factories import make_staff

PASSWORD = "the real passphrase"
GUESSERS = 8


@pytest.fixture
def target(engine: Engine) -> str:
    with session_scope(engine) as session:
        make_staff(session, username="target", role="clerk", password_hash=hash_password(PASSWORD))
    return "target"


def account(engine: Engine, username: str) -> StaffUser:
    with Session(engine) as session:
        return session.exec(select(StaffUser).where(StaffUser.username == username)).one()


def counting_checks(
    monkeypatch: pytest.MonkeyPatch, real_hash: str, pause: float = 0.0
) -> list[str]:
    """Record every scrypt check sign-in makes ('real' against the account's own hash, 'dummy'
    otherwise); `pause` widens the window between reading the count and writing it back."""
    checks: list[str] = []
    verify = passwords.verify_password

    def counted(password: str, stored: str) -> bool:
        checks.append("real" if stored == real_hash else "dummy")
        if pause:
            threading.Event().wait(pause)
        return verify(password, stored)

    monkeypatch.setattr(auth, "verify_password", counted)
    return checks


def test_parallel_guessers_get_exactly_five_checks(
    engine: Engine, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = counting_checks(monkeypatch, account(engine, target).password_hash, pause=0.05)
    start = threading.Barrier(GUESSERS)
    refused: list[str] = []
    errors: list[BaseException] = []

    def guess(number: int) -> None:
        start.wait()
        try:
            auth.sign_in(engine, target, f"guess {number}")
        except auth.SignInRefused as exc:
            refused.append(str(exc))
        except BaseException as exc:  # noqa: BLE001 - a database error must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert checks.count("real") == auth.LOCK_AFTER
    assert len(refused) == GUESSERS and set(refused) == {auth.REFUSED}
    user = account(engine, target)
    assert user.failed_logins == auth.LOCK_AFTER and user.locked_until is not None
    with Session(engine) as session:
        failed = session.exec(
            select(AuditEvent.reason).where(AuditEvent.action == "sign_in_failed")
        ).all()
    assert sorted(failed) == ["account locked"] * 3 + ["wrong password"] * 5
    # Locked now: even the right password is not checked against the account.
    with pytest.raises(auth.SignInRefused):
        auth.sign_in(engine, target, PASSWORD)
    assert checks.count("real") == auth.LOCK_AFTER


def test_one_answer_and_the_same_work_for_wrong_unknown_disabled_and_locked(
    engine: Engine, system: Actor, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="gone", password_hash=hash_password(PASSWORD), active=False)
        make_staff(session, username="locked.out", password_hash=hash_password(PASSWORD))
    for _ in range(auth.LOCK_AFTER):
        with pytest.raises(auth.SignInRefused):
            auth.sign_in(engine, "locked.out", "wrong guess")
    checks = counting_checks(monkeypatch, account(engine, target).password_hash)
    answers = {}
    for username, password in [
        (target, "wrong guess"),
        ("nobody", "wrong guess"),
        ("gone", PASSWORD),
        ("locked.out", PASSWORD),
    ]:
        with pytest.raises(auth.SignInRefused) as refused:
            auth.sign_in(engine, username, password)
        answers[username] = str(refused.value)
    assert set(answers.values()) == {auth.REFUSED}
    assert "locked" not in auth.REFUSED.split(",")[0]  # no "this account is locked" tell
    # Exactly one scrypt check each; the stand-in hash is made at the same cost as real ones.
    assert checks == ["real", "dummy", "dummy", "dummy"]
    assert auth._dummy_hash().split("$")[1:4] == hash_password("x").split("$")[1:4]


def test_new_hashes_use_the_production_cost() -> None:
    assert PRODUCTION_COST == ScryptCost(n=2**17, r=8, p=1)  # OWASP's advice for scrypt
    previous = passwords.set_cost(PRODUCTION_COST)
    try:
        stored = hash_password(PASSWORD)  # 128 MiB: within the memory limit verification allows
    finally:
        passwords.set_cost(previous)
    assert stored.startswith("scrypt$131072$8$1$")
    # The stand-in for missing accounts is shipped at the same cost (no hashing on first use).
    assert auth._dummy_hash_at(PRODUCTION_COST).split("$")[:4] == stored.split("$")[:4]


def test_an_older_hash_is_replaced_at_the_next_sign_in(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raising the cost (the desk used n=2**14) upgrades each account as it signs in; shown
    here one step up from the suite's cheap cost."""
    current = passwords.current_cost()
    older = ScryptCost(n=current.n // 4, r=current.r, p=current.p)
    previous = passwords.set_cost(older)
    old = hash_password(PASSWORD)
    passwords.set_cost(previous)
    with session_scope(engine) as session:
        make_staff(session, username="veteran", password_hash=old)
    assert passwords.needs_rehash(old)
    auth.sign_in(engine, "veteran", PASSWORD)
    stored = account(engine, "veteran").password_hash
    assert stored.startswith(f"scrypt${current.n}$8$1$") and stored != old
    assert not passwords.needs_rehash(stored)
    auth.sign_in(engine, "veteran", PASSWORD)  # the new hash signs in
    assert account(engine, "veteran").password_hash == stored  # and is kept
    with Session(engine) as session:
        reasons = session.exec(
            select(AuditEvent.reason)
            .where(AuditEvent.action == "sign_in")
            .order_by(col(AuditEvent.id))
        ).all()
    assert reasons == ["password re-hashed at the current cost", ""]


@pytest.mark.parametrize(
    ("password", "role", "problem"),
    [
        ("password1", "admin", "at least 12"),
        ("Password2026!", "admin", "too common"),
        ("qwertyuiop12", "registrar", "too common"),
        ("123456789012", "registrar", "too common"),
        ("aaaaaaaaaaaaaa", "admin", "too common"),
        ("short7!", "clerk", "at least 8"),
        ("sunshine", "clerk", "too common"),
        ("mlopez-is-here", "registrar", "username"),
        (" padded passphrase", "admin", "space"),
    ],
)
def test_the_password_rule(password: str, role: str, problem: str) -> None:
    from recordsdesk.models import StaffRole

    found = weakness(password, StaffRole(role), "mlopez")
    assert found is not None and problem in found


def test_a_good_password_passes_for_every_role() -> None:
    from recordsdesk.models import StaffRole

    for role in StaffRole:
        assert weakness("tram lamp orchard 42", role, "mlopez") is None
    assert weakness("clerk pw 9", StaffRole.CLERK) is None


def test_every_way_of_setting_a_password_applies_the_rule(engine: Engine, system: Actor) -> None:
    calls: list[Callable[[Session], object]] = [
        lambda s: auth.add_user(
            s, actor=system, username="a1", role="admin", full_name="", password="password1"
        ),
        lambda s: auth.create_first_admin(s, username="a2", full_name="", password="password1"),
    ]
    for call in calls:
        with session_scope(engine) as session, pytest.raises(ValidationFailed) as refused:
            call(session)
        assert refused.value.field == "password"
    with session_scope(engine) as session:
        auth.add_user(
            session,
            actor=system,
            username="reg",
            role="registrar",
            full_name="",
            password="tram lamp orchard",
        )
    with session_scope(engine) as session, pytest.raises(ValidationFailed) as refused:
        auth.set_password(session, actor=system, username="reg", new_password="letmein123")
    assert refused.value.field == "new_password"

"""Every command signs in: no implicit administrator, no `--user` without a password, locked
and disabled accounts refused, the audit log naming who really acted, API tokens for jobs."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.cli import build_parser, main
from recordsdesk.commands.signin import NO_SIGN_IN, TOKEN_ENV
from recordsdesk.db import session_scope
from recordsdesk.models import ApiToken, AuditEvent, StaffRole, StaffUser, TranscriptRequest
from recordsdesk.services.access import accounts as auth
from recordsdesk.services.access import tokens
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.passwords import hash_password, verify_password
from tests.factories import make_staff
from tests.transcript_data import seed_transcript

ADMIN_PASSWORD = "admin passphrase 42"
REGISTRAR_PASSWORD = "registrar passphrase 7"
CLERK_PASSWORD = "clerk pass 9"


@pytest.fixture
def office(engine: Engine) -> dict[str, int]:
    """An administrator, a registrar and a clerk who can sign in, and a student to release."""
    with session_scope(engine) as session:
        seed_transcript(session)
        made = {
            name: make_staff(
                session, username=name, role=name, password_hash=hash_password(password)
            ).id
            for name, password in (
                ("admin", ADMIN_PASSWORD),
                ("registrar", REGISTRAR_PASSWORD),
                ("clerk", CLERK_PASSWORD),
            )
        }
    return {name: int(staff_id or 0) for name, staff_id in made.items()}


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def staff(engine: Engine, username: str) -> StaffUser:
    with Session(engine) as session:
        return session.exec(select(StaffUser).where(StaffUser.username == username)).one()


def last_event(engine: Engine, action: str) -> AuditEvent:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        return session.exec(query.order_by(col(AuditEvent.id).desc())).first()  # type: ignore[return-value]


def actor_of(engine: Engine, username: str) -> Actor:
    user = staff(engine, username)
    assert user.id is not None
    return Actor(user.id, user.username, StaffRole(user.role), user.full_name)


def leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.extend(leaf_parsers(child) or [child])
    return found


def test_every_sub_command_signs_in_but_the_few_that_act_as_no_one() -> None:
    leaves = {leaf.prog: leaf for leaf in leaf_parsers(build_parser())}
    assert {"recordsdesk user passwd", "recordsdesk transcript", "recordsdesk backup"} <= set(
        leaves
    )
    for prog, leaf in leaves.items():
        signs_in = leaf.get_default("sign_in") is True
        assert signs_in == (prog not in NO_SIGN_IN | {"recordsdesk open"}), prog


def test_no_credentials_and_no_terminal_fails_at_once_naming_the_ways_in(
    database_url: str,
    office: dict[str, int],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The takeover: `user passwd admin --password-stdin` used to set anyone's password."""
    before = staff(engine, "admin").password_hash
    stdin(monkeypatch, "taken over password\n")
    argv = ["user", "passwd", "admin", "--new-password-stdin", "--database", database_url]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--password-stdin" in err and TOKEN_ENV in err
    assert staff(engine, "admin").password_hash == before


def test_a_named_user_without_the_password_acts_as_no_one(
    database_url: str,
    office: dict[str, int],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`transcript N --official --user registrar` used to release a copy in their name."""
    stdin(monkeypatch, "")
    argv = ["transcript", "T0001", "--official", "--user", "registrar", "--database", database_url]
    assert main(argv) == 2
    stdin(monkeypatch, "a guess\n")
    assert main([*argv, "--password-stdin"]) == 2
    assert "Sign-in refused" in capsys.readouterr().err
    with Session(engine) as session:
        assert session.exec(select(TranscriptRequest)).all() == []
    monkeypatch.setenv("REGISTRAR_PW", REGISTRAR_PASSWORD)
    assert main([*argv, "--password-env", "REGISTRAR_PW"]) == 0
    with Session(engine) as session:
        [released] = session.exec(select(TranscriptRequest)).all()
        assert released.official and released.requested_by_id == office["registrar"]
    assert last_event(engine, "sign_in").actor_username == "registrar"


def test_the_audit_log_names_who_signed_in(
    database_url: str, office: dict[str, int], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, f"{ADMIN_PASSWORD}\n")
    argv = ["settings", "set", "gpa_decimals", "3", "--user", "admin", "--password-stdin"]
    assert main([*argv, "--database", database_url]) == 0
    event = last_event(engine, "settings.set")
    assert event.actor_username == "admin" and event.actor_id == office["admin"]


def test_a_clerk_cannot_take_over_another_account(
    database_url: str, office: dict[str, int], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = staff(engine, "admin").password_hash
    stdin(monkeypatch, f"{CLERK_PASSWORD}\nclerk owns admin now\n")
    argv = ["user", "passwd", "admin", "--user", "clerk", "--password-stdin"]
    assert main([*argv, "--new-password-stdin", "--database", database_url]) == 2
    assert staff(engine, "admin").password_hash == before
    # Their own password, yes: signing in with it proved the current one.
    stdin(monkeypatch, f"{CLERK_PASSWORD}\na new desk secret\n")
    argv = ["user", "passwd", "clerk", "--user", "clerk", "--password-stdin"]
    assert main([*argv, "--new-password-stdin", "--database", database_url]) == 0
    assert verify_password("a new desk secret", staff(engine, "clerk").password_hash)


def test_locked_and_disabled_accounts_are_refused_on_the_command_line(
    database_url: str,
    office: dict[str, int],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PW", REGISTRAR_PASSWORD)
    argv = ["report", "holds", "--user", "registrar", "--password-env", "PW"]
    for _ in range(auth.LOCK_AFTER):
        with pytest.raises(auth.SignInRefused):
            auth.sign_in(engine, "registrar", "not it")
    capsys.readouterr()
    assert main([*argv, "--database", database_url]) == 2
    assert auth.REFUSED in capsys.readouterr().err
    with session_scope(engine) as session:
        registrar = actor_of(engine, "registrar")
        _info, secret = tokens.create_token(session, actor=registrar, name="job")
    monkeypatch.setenv(TOKEN_ENV, secret)
    assert main(["report", "holds", "--database", database_url]) == 2  # the token is locked too
    assert tokens.TOKEN_REFUSED in capsys.readouterr().err

    monkeypatch.setenv("PW", CLERK_PASSWORD)
    with session_scope(engine) as session:
        admin = actor_of(engine, "admin")
        auth.disable_user(session, actor=admin, username="clerk")
    monkeypatch.delenv(TOKEN_ENV)
    argv = ["transcript", "T0001", "--user", "clerk", "--password-env", "PW"]
    assert main([*argv, "--database", database_url]) == 2
    assert auth.REFUSED in capsys.readouterr().err


def test_api_token_lifecycle(
    database_url: str,
    office: dict[str, int],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ["--database", database_url]
    monkeypatch.setenv("PW", REGISTRAR_PASSWORD)
    me = ["--user", "registrar", "--password-env", "PW"]
    assert main(["user", "token", "create", "nightly export", "--days", "30", *me, *db]) == 0
    printed = capsys.readouterr()
    secret = printed.out.strip()
    assert secret.startswith(tokens.TOKEN_START) and "shown only now" in printed.err
    with Session(engine) as session:
        [stored] = session.exec(select(ApiToken)).all()
    assert stored.token_hash == tokens.token_digest(secret) and secret not in stored.token_hash
    assert last_event(engine, "token_create").actor_username == "registrar"

    monkeypatch.setenv("JOB_TOKEN", secret)
    assert main(["report", "holds", "--token-env", "JOB_TOKEN", *db]) == 0
    assert last_event(engine, "sign_in").reason.startswith(f"token {stored.prefix}")
    assert main(["user", "token", "list", "--token-env", "JOB_TOKEN", *db]) == 0
    listing = capsys.readouterr().out
    assert stored.prefix in listing and "nightly export" in listing and secret not in listing
    # A token cannot make another (a leaked one would outlive its revocation).
    assert main(["user", "token", "create", "more", "--token-env", "JOB_TOKEN", *db]) == 2
    assert "needs your password" in capsys.readouterr().err
    # A token acts as its owner only: it cannot be passed off as someone else's.
    argv = ["report", "holds", "--token-env", "JOB_TOKEN", "--user", "admin", *db]
    assert main(argv) == 2

    assert main(["user", "token", "revoke", stored.prefix, *me, *db]) == 0
    assert last_event(engine, "token_revoke").actor_username == "registrar"
    assert main(["report", "holds", "--token-env", "JOB_TOKEN", *db]) == 2
    assert tokens.TOKEN_REFUSED in capsys.readouterr().err

    with session_scope(engine) as session:
        owner = actor_of(engine, "clerk")
        _info, old = tokens.create_token(session, actor=owner, name="old", days=1)
    with pytest.raises(auth.SignInRefused):
        tokens.sign_in_with_token(engine, old, now=_info.expires_at + timedelta(seconds=1))
    reasons = [e.reason for e in _events(engine, "sign_in_failed")]
    assert reasons[-2:] == ["token: revoked", "token: expired"]


def _events(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def test_first_administrator_from_the_command_line_then_sign_in_needed(
    database_url: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ["--database", database_url]
    assert main(["backup", "office.backup", *db]) == 2  # nobody to act as yet
    assert "recordsdesk user add NAME --role admin" in capsys.readouterr().err
    stdin(monkeypatch, "password1\n")
    assert main(["user", "add", "ana", "--role", "admin", "--new-password-stdin", *db]) == 2
    stdin(monkeypatch, "her long passphrase\n")
    assert main(["user", "add", "ana", "--role", "admin", "--new-password-stdin", *db]) == 0
    stdin(monkeypatch, "another long passphrase\n")
    assert main(["user", "add", "eve", "--role", "admin", "--new-password-stdin", *db]) == 2
    assert staff(engine, "ana").role == "admin"
    with Session(engine) as session:
        assert session.exec(select(StaffUser).where(StaffUser.username == "eve")).first() is None


def test_a_command_with_no_terminal_and_no_credentials_never_waits(
    database_url: str, office: dict[str, int], tmp_path: Path
) -> None:
    """A cron job with no credentials must fail at once, not hang on a prompt."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    env.pop(TOKEN_ENV, None)
    done = subprocess.run(
        [sys.executable, "-m", "recordsdesk", "user", "list", "--database", database_url],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "sign in" in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--user", "ana"],
        ["open", "--user", "ana"],
        ["--user", "ana", "demo"],
        ["demo", "--user", "ana"],
    ],
)
def test_user_pre_fills_every_way_of_opening_the_desk(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[str | None, bool]] = []
    monkeypatch.setattr(
        "recordsdesk.cli.open_desk",
        lambda url, user, named=True: opened.append((user, named)) or 0,
    )
    built: list[str] = []
    monkeypatch.setattr(
        "recordsdesk.services.demo.build_demo_database",
        lambda url, **_: built.append(url) or _Summary(),
    )
    assert main(argv) == 0
    assert opened == [("ana", True)]  # named: the sign-in starts on the password
    assert bool(built) == ("demo" in argv)


class _Summary:
    def describe(self) -> str:
        return "demo built"

"""`recordsdesk consent NUMBER list|add|revoke`: the desk's checks and audit from the command
line, refusals naming the option, and the role it takes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, ReleaseConsent
from recordsdesk.services.access.actor import Actor
from tests.desk_data import DeskData, seed_desk

pytestmark = pytest.mark.db

GARCIA = "2025000101"
BOB = "2025000102"


@pytest.fixture
def desk(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        return seed_desk(session, system.id)


def _consents(engine: Engine) -> list[ReleaseConsent]:
    with session_scope(engine) as session:
        return list(session.exec(select(ReleaseConsent).order_by(col(ReleaseConsent.id))).all())


def test_a_clerk_adds_lists_and_revokes_a_consent(
    cli_login: Callable[..., Actor],
    database_url: str,
    engine: Engine,
    desk: DeskData,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_login("clk", "clerk")
    base = ["--database", database_url, "--user", "clk"]
    added = [
        "consent",
        GARCIA,
        "add",
        "--to",
        "mother",
        "--records",
        "grades, transcript",
        "--purpose",
        "tuition",
        "--signed",
        "2026-09-01",
        "--until",
        "2027-06-30",
        *base,
    ]
    assert main(added) == 0
    (consent,) = _consents(engine)
    assert capsys.readouterr().out.strip() == (
        f"Consent {consent.id} added: mother - grades, transcript, until 2027-06"
    )
    assert (consent.student_id, consent.records) == (desk.garcia_id, "grades transcript")

    assert main(["consent", GARCIA, "list", *base]) == 0
    listed = capsys.readouterr().out
    assert f"{consent.id:>5}  mother - grades, transcript; signed 2026-09-01" in listed
    assert "purpose: tuition" in listed

    # A consent number from another record is not this student's.
    assert main(["consent", BOB, "revoke", str(consent.id), "--reason", "x", *base]) != 0
    assert f"no release consent {consent.id} on this record" in capsys.readouterr().err
    assert main(["consent", GARCIA, "revoke", str(consent.id), "--reason", "phoned", *base]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["consent", GARCIA, "list", *base]) == 0
    assert "revoked" in capsys.readouterr().out and "phoned" in _consents(engine)[0].revoke_reason
    assert main(["consent", GARCIA, "revoke", str(consent.id), "--reason", "again", *base]) != 0
    capsys.readouterr()

    with session_scope(engine) as session:
        events = session.exec(
            select(AuditEvent.action, AuditEvent.actor_username, AuditEvent.after)
            .where(AuditEvent.entity == "release_consent")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(a, u) for a, u, _ in events] == [("add", "clk"), ("revoke", "clk")]
    assert json.loads(events[0][2] or "{}")["recipient"] == "mother"


TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--to", "mo\x1bther", "--records", "all"], "--to:"),
        (["--to", " ", "--records", "all"], "--to: is required."),
        (["--to", "mother", "--records", "gossip"], "--records: 'gossip' is not a kind of record"),
        (
            ["--to", "mother", "--records", "all", "--signed", "2026-02-30"],
            "--signed: '2026-02-30'",
        ),
        (
            ["--to", "mother", "--records", "all", "--until", "soon"],
            "--until: 'soon' is not a date",
        ),
        (
            ["--to", "mother", "--records", "all", "--signed", TOMORROW],
            "--signed: a consent cannot",
        ),
        (
            [
                "--to",
                "mother",
                "--records",
                "all",
                "--signed",
                "2026-01-02",
                "--until",
                "2026-01-01",
            ],
            "--until: must be on or after the day it was signed.",
        ),
        (["--to", "mother", "--records", "all", "--purpose", "a\x07b"], "--purpose:"),
    ],
)
def test_a_bad_consent_names_the_option_and_writes_nothing(
    cli_login: Callable[..., Actor],
    database_url: str,
    engine: Engine,
    desk: DeskData,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    cli_login("clk", "clerk")
    assert (
        main(["consent", GARCIA, "add", *flags, "--database", database_url, "--user", "clk"]) != 0
    )
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _consents(engine) == []


def test_unknown_student_and_bad_number_are_refused(
    cli_login: Callable[..., Actor],
    database_url: str,
    desk: DeskData,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli_login("clk", "clerk")
    base = ["--database", database_url, "--user", "clk"]
    assert main(["consent", "9999999999", "list", *base]) != 0
    assert "There is no student numbered '9999999999'" in capsys.readouterr().err
    assert main(["consent", GARCIA, "revoke", "x1", "--reason", "r", *base]) != 0
    assert "ID: 'x1' is not a consent number." in capsys.readouterr().err

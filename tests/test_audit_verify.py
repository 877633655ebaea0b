"""`recordsdesk audit verify` names the first broken link after rows are edited or deleted with
raw SQL outside the desk, and two desks appending at once leave an intact chain."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import AuditEvent
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.people.notes import add_note
from tests.factories import make_student


@pytest.fixture
def ten_events(engine: Engine, system: Actor) -> list[int]:
    ids = []
    for n in range(10):
        with session_scope(engine) as session:
            event = audit.record(
                session, system, action="update", entity="student", entity_id=n, reason=f"r{n}"
            )
            assert event.id is not None
            ids.append(event.id)
    return ids


def test_intact_chain_verifies(
    cli_admin: Actor,
    database_url: str,
    engine: Engine,
    system: Actor,
    ten_events: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with session_scope(engine) as session:
        report = verify_chain(session, actor=system)
    assert report.intact and report.checked >= 10 and report.last_id == ten_events[-1]
    assert main(["audit", "verify", "--database", database_url]) == 0
    assert "intact" in capsys.readouterr().out


def test_edited_row_is_named(
    cli_admin: Actor,
    database_url: str,
    engine: Engine,
    system: Actor,
    ten_events: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = ten_events[4]
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET reason = 'nothing to see' WHERE id = :id"), {"id": target}
        )
    with session_scope(engine) as session:
        report = verify_chain(session, actor=system)
    assert report.broken is not None and report.broken.event_id == target
    assert "edited" in report.broken.problem
    assert main(["audit", "verify", "--database", database_url]) == 1
    out = capsys.readouterr().out
    assert f"BROKEN at event {target}" in out


def test_edit_that_recomputes_its_own_hash_is_caught_at_the_next_row(
    engine: Engine, system: Actor, ten_events: list[int]
) -> None:
    """A forger who also rewrites the edited row's hash still breaks its successor's link."""
    target, successor = ten_events[2], ten_events[3]
    with Session(engine) as session:
        event = session.get(AuditEvent, target)
        assert event is not None
        event.reason = "forged"
        forged_hash = audit.entry_hash(event.prev_hash, event)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET reason = 'forged', entry_hash = :h WHERE id = :id"),
            {"h": forged_hash, "id": target},
        )
    with session_scope(engine) as session:
        report = verify_chain(session, actor=system)
    assert report.broken is not None
    assert (report.broken.event_id, report.broken.previous_id) == (successor, target)


def test_deleted_row_is_named_by_its_successor(
    cli_admin: Actor,
    database_url: str,
    engine: Engine,
    system: Actor,
    ten_events: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    gone, successor = ten_events[6], ten_events[7]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": gone})
    with session_scope(engine) as session:
        report = verify_chain(session, actor=system)
    assert report.broken is not None
    assert (report.broken.event_id, report.broken.previous_id) == (successor, ten_events[5])
    assert "deleted" in report.broken.problem
    assert main(["audit", "verify", "--database", database_url]) == 1
    assert f"BROKEN at event {successor}" in capsys.readouterr().out


def test_deleting_the_first_rows_is_named(
    engine: Engine, system: Actor, ten_events: list[int]
) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id < :id"), {"id": ten_events[3]})
    with session_scope(engine) as session:
        report = verify_chain(session, actor=system)
    assert report.broken is not None and report.broken.event_id == ten_events[3]


def test_two_desks_appending_at_once_keep_one_chain(
    database_url: str, engine: Engine, system: Actor
) -> None:
    """Two engines (two desks, two connection pools) add notes to the same student at once."""
    with session_scope(engine) as session:
        student = make_student(session)
        assert student.id is not None
        student_id = student.id
    desks = [open_database(database_url), open_database(database_url)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def desk(desk_engine: Engine, n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(15):
                with session_scope(desk_engine) as session:
                    add_note(session, actor=system, student_id=student_id, body=f"desk {n} #{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(e, n)) for n, e in enumerate(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for desk_engine in desks:
        desk_engine.dispose()
    assert not errors, errors
    with session_scope(engine) as session:
        report = verify_chain(session, actor=system)
    assert report.intact, report.describe()
    assert report.checked >= 30

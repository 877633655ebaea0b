"""The audit trail is a hash chain: each entry's hash covers its predecessor's, so editing or
deleting an entry outside the desk is detectable by recomputing the chain from the stored rows."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.people.student import StudentCreate, create_student, update_student
from tests.factories import make_student


def stored_chain(engine: Engine) -> list[AuditEvent]:
    """Every audit row as read back from the database (fresh session, nothing cached)."""
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def broken_links(events: list[AuditEvent]) -> list[int]:
    """Ids of events whose stored hashes do not follow from the rows before them."""
    broken: list[int] = []
    previous = ""
    for event in events:
        assert event.id is not None
        if event.prev_hash != previous or audit.entry_hash(event.prev_hash, event) != (
            event.entry_hash
        ):
            broken.append(event.id)
        previous = event.entry_hash
    return broken


@pytest.fixture
def chain(engine: Engine, system: Actor) -> list[AuditEvent]:
    """Five events written in three transactions through the services and `audit.record`."""
    with session_scope(engine) as session:
        profile = create_student(
            session,
            actor=system,
            data=StudentCreate(legal_first_name="An", legal_last_name="Nguyễn", email="n@x.org"),
        )
    with session_scope(engine) as session:
        update_student(
            session,
            actor=system,
            student_id=profile.id,
            expected_version=1,
            changes={"city": "Hà Nội"},
        )
        student = make_student(session, legal_last_name="Ó Súilleabháin")
        audit.record(
            session,
            system,
            action="create",
            entity="student",
            entity_id=student.id,
            student_id=student.id,
            after=audit.snapshot(student, ["student_number", "legal_last_name"]),
        )
    with session_scope(engine) as session:
        audit.record(session, system, action="export", entity="report", reason="dean's list")
        audit.record(
            session,
            system,
            action="update",
            entity="student",
            entity_id=profile.id,
            student_id=profile.id,
            before={"city": "Hà Nội"},
            after={"city": "Huế"},
            reason="typo",
        )
    return stored_chain(engine)


def test_each_entry_covers_its_predecessor(chain: list[AuditEvent]) -> None:
    assert len(chain) == 5
    assert chain[0].prev_hash == ""
    for earlier, later in zip(chain, chain[1:], strict=False):
        assert later.prev_hash == earlier.entry_hash
    assert len({event.entry_hash for event in chain}) == 5
    assert all(len(event.entry_hash) == 64 for event in chain)


def test_recomputing_the_stored_rows_reproduces_every_hash(chain: list[AuditEvent]) -> None:
    assert broken_links(chain) == []
    assert json.loads(chain[1].after or "")["city"] == "Hà Nội"


def test_the_hash_depends_on_the_predecessor(chain: list[AuditEvent]) -> None:
    event = chain[2]
    assert audit.entry_hash("0" * 64, event) != event.entry_hash


def test_editing_an_entry_outside_the_desk_breaks_the_chain(
    engine: Engine, chain: list[AuditEvent]
) -> None:
    target = chain[1]
    forged = json.dumps({"city": "Springfield", "version": 2})
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET after = :after WHERE id = :id"),
            {"after": forged, "id": target.id},
        )
    assert broken_links(stored_chain(engine)) == [target.id]


def test_rehashing_an_edited_entry_still_breaks_the_next_link(
    engine: Engine, chain: list[AuditEvent]
) -> None:
    """A forger who also recomputes the edited row's hash breaks its successor's prev_hash."""
    target = chain[1]
    target.after = json.dumps({"city": "Springfield", "version": 2})
    rehashed = audit.entry_hash(target.prev_hash, target)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET after = :after, entry_hash = :hash WHERE id = :id"),
            {"after": target.after, "hash": rehashed, "id": target.id},
        )
    assert broken_links(stored_chain(engine)) == [chain[2].id]


def test_deleting_an_entry_breaks_the_chain(engine: Engine, chain: list[AuditEvent]) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": chain[3].id})
    assert broken_links(stored_chain(engine)) == [chain[4].id]


def test_a_rolled_back_change_leaves_no_entry(engine: Engine, system: Actor) -> None:
    before = [event.id for event in stored_chain(engine)]
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            student = make_student(session)
            audit.record(session, system, action="create", entity="student", entity_id=student.id)
            raise RuntimeError("the desk lost power")
    assert [event.id for event in stored_chain(engine)] == before
    with Session(engine) as session:
        assert session.exec(select(Student)).first() is None


@pytest.mark.parametrize("write", [audit.record, audit.append], ids=["record", "append"])
def test_desks_appending_at_once_keep_one_chain(
    engine: Engine, system: Actor, write: Callable[..., object]
) -> None:
    """Four desks each commit ten events concurrently; none may link to a stale predecessor
    (before appends were serialised, this forked the chain on both engines). `append` here
    starts its transaction itself: no write came before it (a grade save's mark does)."""
    failures: list[BaseException] = []

    def desk(number: int) -> None:
        try:
            for step in range(10):
                with session_scope(engine) as session:
                    write(
                        session,
                        system,
                        action="export",
                        entity="report",
                        entity_id=f"{number}.{step}",
                    )
        except BaseException as exc:  # surfaced in the main thread below
            failures.append(exc)

    desks = [threading.Thread(target=desk, args=(n,)) for n in range(4)]
    for thread in desks:
        thread.start()
    for thread in desks:
        thread.join(timeout=120)
    assert failures == []
    events = stored_chain(engine)
    assert len(events) == 40
    assert broken_links(events) == []

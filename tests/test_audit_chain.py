"""The keyed audit chain against someone who holds the database but not the office's key:
cutting the newest events, deleting one and recomputing the rest, changing who acted, and
renumbering are all named by `audit verify`; a chain begun without a key goes on keyed after a
recorded switch-over; a desk with another key is refused rather than forking the chain."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from recordsdesk.cli import main
from recordsdesk.config import data_dir
from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.anchor import anchor_file, write_anchor
from recordsdesk.services.audit.key import KEY_FILE_ENV, AuditKeyProblem, load_key
from recordsdesk.services.audit.verify import ChainReport, verify_chain
from recordsdesk.services.upkeep.backup import backup_database, is_sqlite
from recordsdesk.services.upkeep.restore import restore_database


@pytest.fixture
def events(engine: Engine, system: Actor) -> list[int]:
    ids = []
    for n in range(12):
        with session_scope(engine) as session:
            event = audit.record(
                session, system, action="update", entity="student", entity_id=n, reason=f"r{n}"
            )
            assert event.id is not None
            ids.append(event.id)
    return ids


def verify(engine: Engine, actor: Actor) -> ChainReport:
    with session_scope(engine) as session:
        return verify_chain(session, actor=actor)


def stored(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cutting_the_newest_events_is_seen_through_the_anchor(
    database_url: str,
    engine: Engine,
    system: Actor,
    cli_admin: Actor,
    events: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_anchor(engine, "desk opened")
    anchors = anchor_file(engine.url)
    assert mode(anchors) == 0o600 and mode(anchors.parent) == 0o700
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id > :id"), {"id": events[5]})
    report = verify(engine, system)
    assert report.broken is not None, report.describe()
    assert report.broken.event_id == events[-1]
    assert "newest events were removed" in report.broken.problem
    assert main(["audit", "verify", "--database", database_url]) == 1
    assert f"BROKEN at event {events[-1]}" in capsys.readouterr().out


def test_a_rewrite_with_recomputed_hashes_is_caught(
    engine: Engine, system: Actor, events: list[int]
) -> None:
    """Delete one event and recompute every later link under a key of the forger's own, or
    turn the whole log back into an unkeyed one: both fail, for the forger has not the office's
    key and the head was anchored outside the database when the desk opened."""
    write_anchor(engine, "desk opened")
    gone = events[4]
    for forged_key in (b"k" * 32, None):
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": gone})
        chain = [e for e in stored(engine) if e.id != gone]
        previous = ""
        with engine.begin() as connection:
            for event in chain:
                event.prev_hash = previous
                if forged_key is None:
                    event.key_id = audit.UNKEYED
                    event.entry_hash = audit.legacy_hash(previous, event)
                else:
                    event.entry_hash = audit.keyed_hash(
                        forged_key, previous, *audit.fields_of(event)
                    )
                previous = event.entry_hash
                connection.execute(
                    text(
                        "UPDATE audit_event SET prev_hash = :p, entry_hash = :h, key_id = :k "
                        "WHERE id = :id"
                    ),
                    {
                        "p": event.prev_hash,
                        "h": event.entry_hash,
                        "k": event.key_id,
                        "id": event.id,
                    },
                )
        report = verify(engine, system)
        assert report.broken is not None, (forged_key, report.describe())


def test_the_actor_and_the_id_are_covered(engine: Engine, system: Actor, events: list[int]) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET actor_id = NULL WHERE id = :id"), {"id": events[3]}
        )
    report = verify(engine, system)
    assert report.broken is not None and report.broken.event_id == events[3]
    assert "content no longer matches" in report.broken.problem


def test_a_gap_in_event_ids_is_named(engine: Engine, system: Actor, events: list[int]) -> None:
    """The newest event renumbered past a gap (its links left as they were)."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_event SET id = :new WHERE id = :id"),
            {"new": events[-1] + 5, "id": events[-1]},
        )
    report = verify(engine, system)
    assert report.broken is not None and report.broken.event_id == events[-1] + 5
    assert "jump" in report.broken.problem


def legacy_events(engine: Engine, system: Actor, count: int) -> list[int]:
    """Events as a desk wrote them before the chain was keyed (the first rule, no key id)."""
    with Session(engine) as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
        previous = last.entry_hash if last else ""
        next_id = (last.id or 0) + 1 if last else 1
        ids = []
        for n in range(count):
            event = AuditEvent(
                occurred_at=utcnow(),
                actor_id=system.id,
                actor_username=system.username,
                action="update",
                entity="student",
                entity_id=str(n),
                after=json.dumps({"n": n}),
            )
            event.id, event.prev_hash = next_id + n, previous
            event.entry_hash = audit.legacy_hash(previous, event)
            previous = event.entry_hash
            session.add(event)
            ids.append(next_id + n)
        session.commit()
    return ids


def test_an_unkeyed_chain_goes_on_keyed_after_a_switch_over(engine: Engine, system: Actor) -> None:
    old = legacy_events(engine, system, 5)
    assert verify(engine, system).intact
    with session_scope(engine) as session:
        audit.record(session, system, action="update", entity="student", entity_id=1)
    chain = stored(engine)
    switch, keyed = chain[-2], chain[-1]
    assert switch.action == audit.SWITCH_OVER and switch.id == old[-1] + 1
    assert switch.key_id and keyed.key_id == switch.key_id and keyed.id == switch.id + 1
    assert json.loads(switch.after or "")["key_id"] == switch.key_id
    assert verify(engine, system).intact
    # An unkeyed event slipped in after the switch-over is a forgery.
    legacy_events(engine, system, 1)
    report = verify(engine, system)
    assert report.broken is not None and "unkeyed event after" in report.broken.problem


def test_the_key_file_is_made_private_at_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_FILE_ENV)
    key = load_key()
    assert key is not None and key.path == data_dir() / "keys" / "audit.key"
    assert mode(key.path) == 0o600 and mode(key.path.parent) == 0o700
    assert load_key() == key  # the same key, not a new one


def test_a_desk_with_another_key_is_refused(
    engine: Engine,
    system: Actor,
    events: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    office_key = os.environ[KEY_FILE_ENV]
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "other-desk" / "audit.key"))
    with session_scope(engine) as session, pytest.raises(AuditKeyProblem, match="copy it to"):
        audit.record(session, system, action="update", entity="student", entity_id=1)
    report = verify(engine, system)
    assert report.broken is not None and "verify with the office's key" in report.broken.problem
    monkeypatch.setenv(KEY_FILE_ENV, office_key)
    assert verify(engine, system).intact
    assert len(stored(engine)) == len(events)  # the refused event was not written


def test_a_restore_starts_the_anchors_anew(
    database_url: str, engine: Engine, system: Actor, events: list[int], tmp_path: Path
) -> None:
    """Restoring an older backup rewinds the log on purpose: the anchors made since describe
    the database set aside, and the restored log verifies."""
    if not is_sqlite(database_url) and os.system("which pg_dump >/dev/null") != 0:
        pytest.skip("pg_dump is not installed")
    file = backup_database(database_url, tmp_path / "older.backup")
    with session_scope(engine) as session:
        audit.record(session, system, action="update", entity="student", entity_id=99)
    write_anchor(engine, "desk opened")
    engine.dispose()
    restore_database(database_url, file)
    assert verify(engine, system).intact

"""The audit chain's head, written down outside the database.

A chain checks every event against the one before it, so removing the newest events leaves a
shorter chain that is still whole: only a record of the head kept elsewhere shows the cut. The
desk appends the newest event's id and hash to an anchor file beside the backups at every
backup and every time a desk opens; `audit verify` then requires each anchored event to still
be in the log, unchanged. A restore writes a `restore` line: anchors before it describe the
database that was replaced and are no longer checked.

The file is `<data dir>/backups/audit-anchor-<database>.log`, one JSON object per line, only
ever appended to, 0600 in the 0700 backups folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from recordsdesk.config import data_dir

RESTORE = "restore"


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: its newest event (None for an empty log)."""

    at: str
    event_id: int | None
    entry_hash: str
    why: str


def anchor_file(url: URL) -> Path:
    """This database's anchor file: named after the database, with a short hash of where it
    lives so two databases of the same name never share one."""
    if url.get_backend_name() == "sqlite":
        place = str(Path(url.database or "").expanduser().resolve())
        name = Path(place).stem
    else:
        place = f"{url.host or 'local'}:{url.port or 5432}/{url.database}"
        name = f"pg-{url.host or 'local'}-{url.database}"
    digest = hashlib.sha256(place.encode("utf-8")).hexdigest()[:8]
    folder = data_dir() / "backups"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"audit-anchor-{name}-{digest}.log"


def chain_head(engine: Engine) -> tuple[int | None, str]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT id, entry_hash FROM audit_event ORDER BY id DESC LIMIT 1")
        ).first()
    return (int(row[0]), str(row[1])) if row is not None else (None, "")


def write_anchor(engine: Engine, why: str, *, now: datetime | None = None) -> Anchor:
    """Append the chain's current head to the database's anchor file (fsynced)."""
    event_id, entry_hash = chain_head(engine)
    moment = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    anchor = Anchor(moment, event_id, entry_hash, why)
    line = json.dumps(
        {"at": anchor.at, "event_id": event_id, "entry_hash": entry_hash, "why": why},
        separators=(",", ":"),
    )
    path = anchor_file(engine.url)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)
    return anchor


def read_anchors(url: URL) -> list[Anchor]:
    """The anchors that still describe this database: those after its last restore (the
    restore's own line included). Unreadable lines are skipped."""
    path = anchor_file(url)
    if not path.exists():
        return []
    anchors: list[Anchor] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(raw)
            anchor = Anchor(
                str(data["at"]),
                None if data["event_id"] is None else int(data["event_id"]),
                str(data["entry_hash"]),
                str(data.get("why", "")),
            )
        except (ValueError, KeyError, TypeError):
            continue
        if anchor.why == RESTORE:
            anchors = []
        anchors.append(anchor)
    return anchors

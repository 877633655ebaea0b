"""A desk in a separate process for the fault tests, which kill it with SIGKILL mid-work.

`saves URL ENROLLMENT_ID...`: saves marks round the given enrollments for ever, printing
`saved <id> <mark>` after each commit (an acknowledged save). `import URL CSV`: runs a history
import, printing `started` first and `imported` once it committed.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from recordsdesk.db import open_database, session_scope
from recordsdesk.models import Enrollment
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.grades.marks import save_mark
from recordsdesk.services.interchange.imports.runner import run_import

MARKS = ("A", "B", "C", "D", "F", "A-", "B+", "C-")


def saves(url: str, ids: list[int]) -> None:
    engine = open_database(url, migrate=False)
    with session_scope(engine) as session:
        actor = system_actor(session)
    for n, eid in zip(itertools.count(), itertools.cycle(ids), strict=False):
        mark = MARKS[n % len(MARKS)]
        with session_scope(engine) as session:
            version = session.get_one(Enrollment, eid).version
            save_mark(session, actor=actor, enrollment_id=eid, expected_version=version, mark=mark)
        print(f"saved {eid} {mark}", flush=True)


def history_import(url: str, csv: Path) -> None:
    engine = open_database(url, migrate=False)
    with session_scope(engine) as session:
        actor = system_actor(session)
    print("started", flush=True)
    run_import(engine, actor=actor, kind="history", path=csv)
    print("imported", flush=True)


if __name__ == "__main__":
    command, url, *rest = sys.argv[1:]
    if command == "saves":
        saves(url, [int(i) for i in rest])
    else:
        history_import(url, Path(rest[0]))

"""Nothing committed is lost: a child process saving marks through the service is SIGKILLed right
after its second mark is confirmed committed, and both marks are in the database afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import Engine

from recordsdesk.db import session_scope
from recordsdesk.models import Enrollment
from recordsdesk.services.access.actor import Actor
from tests.grading_data import make_graded_section

CHILD = textwrap.dedent(
    """
    import sys
    from recordsdesk.db import open_database, session_scope
    from recordsdesk.services.access.actor import actor_for
    from recordsdesk.services.grades.marks import save_mark

    url, first, second = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    engine = open_database(url, migrate=False)
    with session_scope(engine) as session:
        actor = actor_for(session, "system")
    for number, (enrollment, mark) in enumerate(((first, "A"), (second, "B-")), start=1):
        with session_scope(engine) as session:
            save_mark(session, actor=actor, enrollment_id=enrollment, expected_version=1, mark=mark)
        print(f"committed {number}", flush=True)  # only after the commit returned
    version = 2
    while True:  # keep writing, so the kill lands in the middle of a transaction
        with session_scope(engine) as session:
            save_mark(session, actor=actor, enrollment_id=first, expected_version=version,
                      mark="A" if version % 2 else "B")
        version += 1
    """
)


def test_a_kill_between_marks_loses_no_committed_mark(
    engine: Engine, database_url: str, system: Actor
) -> None:
    with session_scope(engine) as session:
        graded = make_graded_section(session)
    first, second = graded.enrollment_ids["Zeller"], graded.enrollment_ids["Chen"]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, str(first), str(second)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "committed 1", child.stderr
        assert child.stdout.readline().strip() == "committed 2"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    engine.dispose()  # read through fresh connections, as a restarted desk would
    with session_scope(engine) as session:
        zeller = session.get(Enrollment, first)
        chen = session.get(Enrollment, second)
    assert zeller is not None and zeller.mark in ("A", "B") and zeller.version >= 2
    assert chen is not None and (chen.mark, chen.version) == ("B-", 2)

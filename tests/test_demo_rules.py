"""The demo obeys the rules the desk enforces: a new user who tries the desk on it must never meet
a record the desk itself would have refused (a time clash, a course taken twice at once, a hold
placed by a clerk, a change dated in the future).

The registration rules are checked by the registration service's own `situation` and
`run_checks`, so the demo and the desk cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from recordsdesk.db import open_database, session_scope
from recordsdesk.models import Enrollment, Section, StaffUser, Student
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.access.permissions import Action, allowed
from recordsdesk.services.demo import build_demo_database
from recordsdesk.services.lookup.search import search
from recordsdesk.services.registration.data import situation
from recordsdesk.services.registration.rules import Check, run_checks

TODAY = date(2026, 12, 7)
MIDNIGHT = datetime.combine(TODAY, time())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("demo-rules")
    url = f"sqlite:///{folder / 'demo.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECORDSDESK_DATA_DIR", str(folder / "data"))
        build_demo_database(
            url, students=2000, seed=2026, rebuild=False, progress=lambda _: None, today=TODAY
        )
        engine = open_database(url)
        yield engine
        engine.dispose()


def rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)).all())


def test_no_student_meets_two_classes_at_once(demo: Engine) -> None:
    """Registered or completed sections of one student in one term never overlap in time."""
    found = rows(
        demo,
        """
        SELECT e1.student_id, s1.id, s2.id, s1.meeting_days, s1.start_time, s1.end_time,
               s2.meeting_days, s2.start_time, s2.end_time
        FROM enrollment e1
        JOIN section s1 ON s1.id = e1.section_id
        JOIN enrollment e2 ON e2.student_id = e1.student_id AND e2.id > e1.id
        JOIN section s2 ON s2.id = e2.section_id AND s2.term_id = s1.term_id
        WHERE e1.status IN ('registered', 'completed') AND e2.status IN ('registered', 'completed')
          AND e1.override_reason = '' AND e2.override_reason = ''
          AND s1.start_time < s2.end_time AND s2.start_time < s1.end_time
        """,
    )
    clashes = [r for r in found if set(r[3]) & set(r[6])]
    assert clashes == [], f"{len(clashes)} clashes, e.g. {clashes[:3]}"


def test_no_course_is_taken_again_while_it_is_still_running(demo: Engine) -> None:
    """A course held without a mark yet (in progress, or waiting for grades) is not registered
    again in a later term: the student has not failed it."""
    found = rows(
        demo,
        """
        SELECT e1.student_id, s1.course_id FROM enrollment e1
        JOIN section s1 ON s1.id = e1.section_id
        JOIN term t1 ON t1.id = s1.term_id
        JOIN enrollment e2 ON e2.student_id = e1.student_id AND e2.id <> e1.id
        JOIN section s2 ON s2.id = e2.section_id AND s2.course_id = s1.course_id
        JOIN term t2 ON t2.id = s2.term_id AND t2.start_date > t1.start_date
        WHERE e1.status IN ('registered', 'waitlisted') AND e1.mark IS NULL
          AND e2.status IN ('registered', 'waitlisted', 'completed')
        """,
    )
    assert found == [], f"{len(found)} courses taken again while running, e.g. {found[:5]}"


def test_every_current_registration_passes_the_registration_rules(demo: Engine) -> None:
    """Each seat held in the term in progress or the one taking registrations passes every
    check the desk runs, except the ones that depend on the day it was taken (the window) or
    on seats filled since (capacity); overridden registrations say why."""
    failures: list[str] = []
    with session_scope(demo) as session:
        actor = system_actor(session)
        current = session.exec(
            select(Enrollment, Section)
            .join(Section, Section.id == Enrollment.section_id)  # type: ignore[arg-type]
            .where(
                text(
                    "section.term_id IN (SELECT id FROM term WHERE status IN "
                    "('in_progress', 'registration_open'))"
                ),
                Enrollment.status.in_(("registered", "waitlisted")),  # type: ignore[attr-defined]
            )
        ).all()
        assert len(current) > 500, "the demo has current registrations to check"
        # Every registration is a few queries through the service: an even sample of ~250
        # keeps this test to seconds; the SQL tests above cover every row for clashes.
        for enrollment, section in current[:: max(1, len(current) // 250)]:
            student = session.get(Student, enrollment.student_id)
            assert student is not None
            seen = situation(
                session,
                actor=actor,
                student=student,
                section=section,
                today=TODAY,
                exclude_enrollment_id=enrollment.id,
            )
            skip = frozenset({Check.WINDOW, Check.CAPACITY, Check.HOLD})
            if enrollment.status == "waitlisted":
                skip |= {Check.TIME_CONFLICT, Check.CREDIT_LOAD}
            broken = run_checks(seen, skip=skip)
            if broken and not enrollment.override_reason:
                failures.append(f"{student.student_number}: {broken[0].message}")
    assert failures == [], f"{len(failures)} registrations break the rules, e.g. {failures[:5]}"


def test_no_registration_blocking_hold_predates_a_current_registration(demo: Engine) -> None:
    found = rows(
        demo,
        """
        SELECT e.id FROM enrollment e
        JOIN section s ON s.id = e.section_id
        JOIN term t ON t.id = s.term_id AND t.status IN ('in_progress', 'registration_open')
        JOIN hold h ON h.student_id = e.student_id AND h.blocks_registration
        WHERE e.status IN ('registered', 'waitlisted') AND e.override_reason = ''
          AND h.placed_at <= e.registered_at
          AND (h.released_at IS NULL OR h.released_at > e.registered_at)
        """,
    )
    assert found == []


def test_free_seats_are_not_left_while_students_wait(demo: Engine) -> None:
    found = rows(
        demo,
        """
        SELECT s.id FROM section s
        WHERE EXISTS (SELECT 1 FROM enrollment w WHERE w.section_id = s.id
                      AND w.status = 'waitlisted' AND w.seat_offered_at IS NULL)
          AND s.capacity > (SELECT COUNT(*) FROM enrollment r WHERE r.section_id = s.id
                            AND r.status = 'registered')
        """,
    )
    assert found == []


def test_statuses_follow_registrations(demo: Engine) -> None:
    """An admitted student's first registration makes them active (as the desk does)."""
    found = rows(
        demo,
        """
        SELECT DISTINCT s.student_number FROM student s
        JOIN enrollment e ON e.student_id = s.id
        WHERE s.status = 'admitted' AND e.status IN ('registered', 'completed', 'withdrawn')
        """,
    )
    assert found == []


def staff_roles(engine: Engine) -> dict[int, Actor]:
    with session_scope(engine) as session:
        return {
            user.id: Actor(id=user.id, username=user.username, role=user.role)  # type: ignore[arg-type]
            for user in session.exec(select(StaffUser)).all()
            if user.id is not None
        }


@pytest.mark.parametrize(
    ("sql", "action"),
    [
        ("SELECT placed_by_id FROM hold", Action.HOLD_MANAGE),
        ("SELECT released_by_id FROM hold WHERE released_by_id IS NOT NULL", Action.HOLD_MANAGE),
        (
            "SELECT mark_entered_by_id FROM enrollment WHERE mark_entered_by_id IS NOT NULL",
            Action.GRADE_ENTER,
        ),
        ("SELECT posted_by_id FROM enrollment WHERE posted_by_id IS NOT NULL", Action.GRADE_POST),
        (
            "SELECT released_by_id FROM transcript_request WHERE released_by_id IS NOT NULL",
            Action.TRANSCRIPT_UNOFFICIAL,
        ),
        (
            "SELECT released_by_id FROM transcript_request WHERE released_by_id IS NOT NULL "
            "AND official",
            Action.TRANSCRIPT_OFFICIAL,
        ),
        (
            "SELECT decided_by_id FROM admission_application WHERE decided_by_id IS NOT NULL",
            Action.ADMISSION_MANAGE,
        ),
    ],
)
def test_every_act_was_done_by_a_role_allowed_to_do_it(
    demo: Engine, sql: str, action: Action
) -> None:
    actors = staff_roles(demo)
    done_by = {row[0] for row in rows(demo, sql)}
    assert done_by, "the demo has such acts"
    refused = sorted(actors[i].username for i in done_by if not allowed(actors[i], action))
    assert refused == []


STAMPS = [
    ("student", "created_at"),
    ("student", "updated_at"),
    ("enrollment", "registered_at"),
    ("enrollment", "status_changed_at"),
    ("enrollment", "mark_entered_at"),
    ("enrollment", "posted_at"),
    ("enrollment", "seat_offered_at"),
    ("hold", "placed_at"),
    ("hold", "released_at"),
    ("contact_note", "created_at"),
    ("transcript_request", "requested_at"),
    ("transcript_request", "released_at"),
    ("section", "grades_posted_at"),
    ("staff_user", "created_at"),
]


@pytest.mark.parametrize(("table", "column"), STAMPS)
def test_nothing_happened_after_the_demo_was_built(demo: Engine, table: str, column: str) -> None:
    """Every moment recorded is before the day the demo was built began, so no record reads as
    changed later than the clock on the wall whenever the demo is opened that day."""
    only_demo = " AND username <> 'system'" if table == "staff_user" else ""
    later = rows(demo, f"SELECT COUNT(*) FROM {table} WHERE {column} >= '{MIDNIGHT}'{only_demo}")[
        0
    ][0]
    assert later == 0


COUNTER_GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "counter.md"
#: Who the guide's lookup examples mean: the demo's example people come first.
EXPECTED_FIRST = {
    "gar jos": "García, José",
    "José García": "García, José",
    "Jon Smyth": "Smith, John",
    "202600001": "García, José",
    "jose.garcia@": "García, José",
    "jose.gar": "García, José",
    "2004-03-17": "García, José",
    "17/03/2004": "García, José",
    "03/17/2004": "García, José",
}


def guide_lookup_examples() -> list[str]:
    """Every query the guide's lookup table shows, in backticks in its first column."""
    text_ = COUNTER_GUIDE.read_text(encoding="utf-8")
    table = text_[text_.index("| type | finds |") :].split("\n\n", 1)[0]
    examples = []
    for line in table.splitlines()[2:]:
        first_cell = line.split("|")[1]
        examples += re.findall(r"`([^`]+)`", first_cell)
    return examples


def test_every_guide_lookup_example_finds_its_student_in_the_demo(demo: Engine) -> None:
    examples = guide_lookup_examples()
    assert len(examples) >= 15 and set(EXPECTED_FIRST) <= set(examples)
    with session_scope(demo) as session:
        actor = system_actor(session)
        for query in examples:
            result = search(session, actor=actor, query=query)
            assert result.rows, f"guide example {query!r} finds nobody in the demo"
            if query in EXPECTED_FIRST:
                assert result.rows[0].display_name == EXPECTED_FIRST[query], query


#: What the generator and the catalog write, and the lookup index built from them: the rows the
#: tests, the guide's examples and the snapshots rely on.
DIGESTED = (
    "institution", "staff_user", "program", "course", "prerequisite", "program_requirement",
    "term", "section", "student", "admission_application", "screening_item", "enrollment",
    "transfer_credit", "hold", "contact_note", "transcript_request", "academic_standing",
    "release_consent", "disclosure", "name_term", "student_name_fts_data",
    "student_name_fts_docsize", "student_name_fts_idx",
)  # fmt: skip
#: sha256 of each table's rows (first 16 hex digits) for this module's demo (2,000 students,
#: seed 2026, built on 2026-12-07). Speeding up the builder must leave every one of them as it
#: is; a change that means to alter the demo records the new values (the failure prints them).
DIGESTS = {
    "institution": "483fd28f008d6b99",
    "staff_user": "2b3e61f4a7986e57",
    "program": "efc68347ebc5094f",
    "course": "d659335decbeea25",
    "prerequisite": "390a02991442604a",
    "program_requirement": "e8da06f99059439a",
    "term": "6d8f912dc470e24a",
    "section": "cf5456e31641a592",
    "student": "3109f0720761b7b5",
    "admission_application": "10483400479af2b1",
    "screening_item": "53abc0b958620ffc",
    "enrollment": "11a5a70ec8f909bd",
    # Was 900d49f50291b7a9 before migration 0017 added the (blank) elective_level column;
    # the other columns' digest is unchanged.
    "transfer_credit": "6a71d367cfb28a36",
    "hold": "5fd223d2f33bdcb3",
    "contact_note": "2b9d8d2171f78320",
    "transcript_request": "2784897482902209",
    "academic_standing": "f5bb18079a35f687",
    "release_consent": "1a9e67465355082a",
    "disclosure": "774ba97f02fc100a",
    "name_term": "5a0d88f34238b1d4",
    "student_name_fts_data": "773ab7b3081ec589",
    "student_name_fts_docsize": "677e191daed993d6",
    "student_name_fts_idx": "d99d4da4630cfb18",
}


def table_digests(engine: Engine) -> dict[str, str]:
    """Each table's rows in order (of every column, the key first), hashed; the build-time
    parts (the `system` account made with the file, password hashes, which are salted) left
    out."""
    database = engine.url.database
    assert database
    digests = {}
    with sqlite3.connect(database) as connection:
        for table in DIGESTED:
            columns = [r[1] for r in connection.execute(f'PRAGMA table_info("{table}")')]
            where = ""
            if table == "staff_user":
                columns.remove("password_hash")
                where = " WHERE username <> 'system'"
            listed = ", ".join(f'"{c}"' for c in columns)
            order = ", ".join(str(n + 1) for n in range(len(columns)))
            query = f'SELECT {listed} FROM "{table}"{where} ORDER BY {order}'
            digest = hashlib.sha256()
            for row in connection.execute(query):
                digest.update(repr(row).encode())
            digests[table] = digest.hexdigest()[:16]
    connection.close()
    return digests


def test_the_demo_rows_are_the_ones_recorded(demo: Engine) -> None:
    """The same seed and day give the same demo, row for row, whatever the builder's speed-ups
    (one random stream in student order; see services/demo/history.py)."""
    found = table_digests(demo)
    changed = {table: value for table, value in found.items() if DIGESTS.get(table) != value}
    assert not changed, f"tables whose rows changed (new digests): {changed}"

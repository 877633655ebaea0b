"""An import audits each student once: one event listing every row it wrote for them, each with
its file line, the corrected rows' old values in `before`; the file's own event; the chain
verifies; the audit viewer and the record's Audit tab show the rows in words."""

from __future__ import annotations

import json
from pathlib import Path

from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import col, select
from textual.widgets import DataTable, Input

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Enrollment
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.detail import change_text, records_of
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.people.record import get_student_record
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.record_rows import audit_rows
from tests.factories import make_course, make_section, make_student, make_term
from tests.import_helpers import DATA, oneroster_fixtures


def _import_events(engine: Engine) -> list[AuditEvent]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == "import").order_by(col(AuditEvent.id))
            ).all()
        )


def _existing_h1001(engine: Engine) -> tuple[int, int]:
    """H1001 already in the records, enrolled in HIS101 of 2019FA (the file gives it A-)."""
    with session_scope(engine) as session:
        term = make_term(session, code="2019FA")
        course = make_course(session, code="HIS101")
        student = make_student(session, student_number="H1001", legal_last_name="García")
        section = make_section(session, term_id=term.id, course_id=course.id)
        enrollment = Enrollment(student_id=student.id or 0, section_id=section.id or 0, mark="B")
        session.add(enrollment)
        session.flush()
        assert student.id is not None and enrollment.id is not None
        return student.id, enrollment.id


def test_one_event_per_student_lists_each_row_with_its_line(engine: Engine, system: Actor) -> None:
    existing_id, enrollment_id = _existing_h1001(engine)
    report = run_import(engine, actor=system, kind="history", path=DATA / "history_good.csv")
    events = _import_events(engine)
    by_student = {e.student_id: e for e in events if e.entity == "student"}
    [summary] = [e for e in events if e.entity == "file"]
    assert len(by_student) == 2 == len(events) - 1  # one each, nothing per enrollment
    assert json.loads(summary.after or "") == {
        "kind": "history",
        "file": "history_good.csv",
        "rows": 4,
        "counts": {
            entity: {"new": c.new, "updated": c.updated, "unchanged": c.unchanged}
            for entity, c in report.counts.items()
        },
    }

    mine = by_student[existing_id]
    assert mine.entity_id == str(existing_id) and mine.reason == "import history_good.csv"
    after, before = json.loads(mine.after or ""), json.loads(mine.before or "")
    assert "student" not in after  # the record was there: only what the file wrote
    assert [
        (r["line"], r["term"], r["course"], r["mark"]) for r in records_of(after["enrollments"])
    ] == [
        (3, "2020WI", "MAT101", "B+"),
        (4, "2020SP", "ENG101", "W"),
    ]
    assert records_of(after["enrollments"])[1]["status"] == "withdrawn"
    assert records_of(after["enrollments"])[0]["section"] == "HIST"
    assert records_of(after["enrollments"])[0]["credits"] == "4"
    [old] = before["corrected"]
    [new] = after["corrected"]
    assert (old["line"], old["enrollment"], old["mark"], old["version"]) == (
        2,
        enrollment_id,
        "B",
        1,
    )
    assert (new["line"], new["mark"], new["version"]) == (2, "A-", 2)

    [created_id] = set(by_student) - {existing_id}
    created = json.loads(by_student[created_id].after or "")
    assert created["student"]["student_number"] == "H1002"
    assert created["student"]["line"] == 5
    assert [r["line"] for r in records_of(created["enrollments"])] == [5]
    with session_scope(engine) as session:
        assert verify_chain(session, actor=system).intact

    words = change_text(mine.before or "", mine.after or "")
    assert "line 3: term 2020WI, course MAT101, section HIST, mark B+, credits 4" in words
    assert "corrected: line 2: term 2019FA, course HIS101, mark B → A-" in words
    assert "version 1 → 2" in words


def test_the_record_audit_tab_shows_the_rows_in_words(engine: Engine, system: Actor) -> None:
    existing_id, _enrollment = _existing_h1001(engine)
    run_import(engine, actor=system, kind="history", path=DATA / "history_good.csv")
    with session_scope(engine) as session:
        record = get_student_record(session, actor=system, student_id=existing_id)
    rows = [[c.plain for c in row] for row in audit_rows(record)]
    imported = [r for r in rows if r[2] == "import"]
    assert len(imported) == 1
    assert imported[0][3] == "student" and imported[0][6] == "import history_good.csv"
    assert imported[0][5].startswith("corrected: line 2: term 2019FA, course HIS101")


def test_a_file_that_changes_nothing_writes_no_event(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    run_import(engine, actor=system, kind="history", path=DATA / "history_good.csv")
    first = len(_import_events(engine))
    again = run_import(engine, actor=system, kind="history", path=DATA / "history_good.csv")
    assert again.total_changes == 0 and len(_import_events(engine)) == first


async def test_the_audit_viewer_shows_an_import_line_by_line(engine: Engine, system: Actor) -> None:
    run_import(engine, actor=system, kind="history", path=DATA / "history_good.csv")
    app = make_app(engine, username="system")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#student", Input).value = "H1001"
        app.screen.query_one("#student", Input).focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#audit-table", DataTable)
        cells = [
            [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)]
            for i in range(table.row_count)
        ]
        [imported] = [r for r in cells if r[2] == "import"]
        assert imported[3] == "student"
        assert imported[6].startswith("enrollments: line 2: term 2019FA, course HIS101")


def test_oneroster_audits_each_student_once_with_file_and_line(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    source = oneroster_fixtures() / "Test_minimal_data_set"
    run_import(engine, actor=system, kind="oneroster", path=source)
    with session_scope(engine) as session:
        per_row = session.exec(select(AuditEvent).where(AuditEvent.entity == "enrollment")).all()
        assert per_row == []  # each enrollment is in its student's event
    events = [e for e in _import_events(engine) if e.entity == "student"]
    assert events and len({e.student_id for e in events}) == len(events)
    tables = [json.loads(e.after or "").get("enrollments", []) for e in events]
    rows = [r for table in tables for r in records_of(table)]
    assert rows and {r["file"] for r in rows} == {"enrollments.csv"}
    assert all(r["line"] > 1 and r["sourcedId"] and r["enrollment"] for r in rows)
    created = json.loads(events[0].after or "")["student"]
    assert created["file"] == "users.csv" and created["line"] > 1

    second = tmp_path / "second"
    second.mkdir()
    for path in source.iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name == "enrollments.csv":
            text = text.replace("enr-s-222-12345-987654,,", "enr-s-222-12345-987654,tobedeleted,")
        (second / path.name).write_text(text, encoding="utf-8")
    run_import(engine, actor=system, kind="oneroster", path=second)
    [dropped] = [e for e in _import_events(engine) if e.before]
    [old], [new] = (
        json.loads(dropped.before or "")["corrected"],
        json.loads(dropped.after or "")["corrected"],
    )
    assert (old["status"], new["status"]) == ("registered", "dropped")
    assert new["sourcedId"] == "enr-s-222-12345-987654" and new["line"] > 1
    with session_scope(engine) as session:
        assert verify_chain(session, actor=system).intact

"""Grade entry services on both engines: marks checked against the scale, saved with the
enrollment's version, posted, changed with a reason, imported all or nothing; all audited."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Enrollment, Section, StaffRole, Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.grades import marks as grading
from recordsdesk.services.grades import roster as roster_service
from recordsdesk.services.grades.marks import MarkConflict
from recordsdesk.services.grades.marks_import import ImportConflicts, apply_import, preview_import
from recordsdesk.services.grades.roster import (
    DbRosterStore,
    RosterRow,
    list_grading_sections,
    list_grading_terms,
    load_roster,
)
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from tests.factories import make_staff
from tests.grading_data import GradedSection, make_graded_section


@pytest.fixture
def graded(engine: Engine) -> GradedSection:
    with session_scope(engine) as session:
        return make_graded_section(session)


@pytest.fixture
def registrar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        staff = make_staff(session, role="registrar")
        assert staff.id is not None
        return Actor(staff.id, staff.username, StaffRole.REGISTRAR)


def _enrollment(engine: Engine, enrollment_id: int) -> Enrollment:
    with session_scope(engine) as session:
        row = session.get(Enrollment, enrollment_id)
        assert row is not None
        return row


def _audit(engine: Engine, action: str) -> list[AuditEvent]:
    with session_scope(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.exec(query).all())


def test_marks_normalise_against_the_scale() -> None:
    rules = grading.MarkRules("US-PM", ("A", "A-", "B+", "F"), ("I", "AU", "IP", "W"))
    assert grading.normalize_mark(rules, " a- ") == "A-"
    assert grading.normalize_mark(rules, "au") == "AU"
    with pytest.raises(ValidationFailed, match="A, A-, B\\+, F, I, AU, IP, W") as caught:
        grading.normalize_mark(rules, "87")
    assert caught.value.field == "mark"
    bands = (
        grading.Band("A", grading.Decimal("90"), grading.Decimal("100")),
        grading.Band("B", grading.Decimal("80"), grading.Decimal("89.99")),
        grading.Band("F", grading.Decimal("0"), grading.Decimal("79.99")),
    )
    pct = grading.MarkRules("PCT-SEC", ("A", "B", "F"), ("I",), bands)
    assert grading.normalize_mark(pct, "92") == "A"
    assert grading.normalize_mark(pct, "89.995") == "A"
    assert grading.normalize_mark(pct, "89.5%") == "B"
    assert grading.normalize_mark(pct, "0") == "F"
    with pytest.raises(ValidationFailed, match="between 0 and 100"):
        grading.normalize_mark(pct, "101")
    with pytest.raises(ValidationFailed, match="percentage"):
        grading.normalize_mark(pct, "Q")


def test_roster_sorted_by_last_name_with_previous_mark(
    engine: Engine, graded: GradedSection, registrar: Actor
) -> None:
    with session_scope(engine) as session:
        roster = load_roster(session, actor=registrar, section_id=graded.section_id)
        terms = list_grading_terms(session, actor=registrar)
        sections = list_grading_sections(session, actor=registrar, term_id=graded.term_id)
    names = [r.last_name for r in roster.rows]
    assert names == ["[b]Bob", "Álvarez", "Chen", "Moreau", "Okafor", "Zeller"]
    chen = roster.rows[2]
    assert chen.previous_mark == "F"
    assert not roster.rows[3].editable and roster.rows[3].mark == "W"
    assert roster.rules.scale_code == "US-PM" and "A-" in roster.rules.valid
    assert roster.incomplete_default == date.today() + timedelta(days=120)
    assert graded.term_id in [t.id for t in terms]
    assert [s.progress for s in sections] == ["0/5 entered"]


def test_previous_marks_are_the_same_whichever_way_they_are_found(
    engine: Engine, graded: GradedSection, registrar: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The earlier attempts come from the course's sections (few of them) or from the students'
    own enrollments (many): the same marks either way, the latest attempt winning, and an
    edited Incomplete policy is seen by the very next load."""
    from recordsdesk.models import Course
    from tests.factories import institution, make_enrollment, make_section, make_term

    with session_scope(engine) as session:
        section = session.get(Section, graded.section_id)
        assert section is not None
        course = session.get(Course, section.course_id)
        student = session.get(Student, graded.student_ids["Okafor"])
        assert course is not None and student is not None
        no_deadlines: dict[str, Any] = {"add_drop_deadline": None, "withdraw_deadline": None}
        for start, end, mark in (
            (date(2026, 1, 12), date(2026, 5, 1), "D"),  # the later attempt: its mark shows
            (date(2024, 1, 8), date(2024, 5, 1), "F"),
        ):
            term = make_term(session, start_date=start, end_date=end, **no_deadlines)
            make_enrollment(
                session,
                student,
                make_section(session, course, term),
                status="completed",
                mark=mark,
                grade_status="posted",
            )
        institution(session).incomplete_days = 30
    with session_scope(engine) as session:
        by_section = load_roster(session, actor=registrar, section_id=graded.section_id)
    monkeypatch.setattr(roster_service, "_FEW_EARLIER", 1)
    with session_scope(engine) as session:
        by_student = load_roster(session, actor=registrar, section_id=graded.section_id)
    assert by_student == by_section
    every_field = {f.name for f in dataclasses.fields(RosterRow)}
    assert all(vars(r).keys() == every_field and replace(r) == r for r in by_section.rows)
    previous = {r.last_name: r.previous_mark for r in by_section.rows}
    assert previous == {
        "[b]Bob": None,
        "Álvarez": None,
        "Chen": "F",
        "Moreau": None,
        "Okafor": "D",
        "Zeller": None,
    }
    assert by_section.incomplete_default == date.today() + timedelta(days=30)


def test_save_mark_is_versioned_and_audited(
    engine: Engine, graded: GradedSection, registrar: Actor
) -> None:
    store = DbRosterStore(engine, registrar)
    eid = graded.enrollment_ids["Zeller"]
    saved = store.save(eid, 1, "b+")
    assert (saved.mark, saved.version, saved.grade_status) == ("B+", 2, "entered")
    row = _enrollment(engine, eid)
    assert (row.mark, row.version, row.mark_entered_by_id) == ("B+", 2, registrar.id)
    [event] = _audit(engine, "grade.enter")
    assert event.entity == "enrollment" and event.entity_id == str(eid)
    assert event.student_id == graded.student_ids["Zeller"]
    assert json.loads(event.before or "{}")["mark"] is None
    assert json.loads(event.after or "{}")["mark"] == "B+"
    cleared = store.save(eid, 2, None)  # undo
    assert (cleared.mark, cleared.grade_status, cleared.version) == (None, "none", 3)


def test_bad_marks_change_nothing(engine: Engine, graded: GradedSection, registrar: Actor) -> None:
    store = DbRosterStore(engine, registrar)
    eid = graded.enrollment_ids["Chen"]
    with pytest.raises(ValidationFailed, match="not a mark on US-PM"):
        store.save(eid, 1, "E")
    with pytest.raises(ValidationFailed) as caught:
        store.save(eid, 1, "I")  # an Incomplete needs its expiry
    assert caught.value.field == "incomplete_expires"
    with pytest.raises(ValidationFailed, match="withdrawn"):
        store.save(graded.enrollment_ids["Moreau"], 1, "A")
    assert _enrollment(engine, eid).version == 1
    assert _audit(engine, "grade.enter") == []
    expiry = date.today() + timedelta(days=30)
    assert store.save(eid, 1, "i", expiry).incomplete_expires == expiry


def test_two_desks_conflict_instead_of_overwriting(
    engine: Engine, graded: GradedSection, registrar: Actor
) -> None:
    desk_a = DbRosterStore(engine, registrar)
    desk_b = DbRosterStore(engine, registrar)
    loaded_a = {r.enrollment_id: r.version for r in desk_a.roster(graded.section_id).rows}
    loaded_b = {r.enrollment_id: r.version for r in desk_b.roster(graded.section_id).rows}
    eid = graded.enrollment_ids["Okafor"]
    desk_a.save(eid, loaded_a[eid], "A")
    with pytest.raises(MarkConflict) as caught:
        desk_b.save(eid, loaded_b[eid], "C")
    assert (caught.value.current_mark, caught.value.current_version) == ("A", 2)
    assert "another desk" in str(caught.value)
    assert _enrollment(engine, eid).mark == "A"
    desk_b.save(eid, caught.value.current_version, "C")  # deliberately, having seen the A
    assert _enrollment(engine, eid).mark == "C"


def test_post_then_change_with_reason(
    engine: Engine, graded: GradedSection, registrar: Actor
) -> None:
    store = DbRosterStore(engine, registrar)
    for last, mark in (("Zeller", "A"), ("Chen", "C")):
        store.save(graded.enrollment_ids[last], 1, mark)
    with session_scope(engine) as session:
        missing = grading.students_without_mark(
            session, actor=registrar, section_id=graded.section_id
        )
        assert [m.split(" ", 1)[1] for m in missing] == [
            "[b]Bob, Robert",
            "Álvarez, José",
            "Okafor, Chidi",
        ]
        result = grading.post_section(session, actor=registrar, section_id=graded.section_id)
    assert result.posted == 2 and len(result.without_mark) == 3
    with session_scope(engine) as session:
        section = session.get(Section, graded.section_id)
        assert section is not None and section.grades_posted_at is not None
    eid = graded.enrollment_ids["Chen"]
    row = _enrollment(engine, eid)
    assert (row.grade_status, row.posted_by_id) == ("posted", registrar.id)
    with pytest.raises(ValidationFailed, match="posted"):
        store.save(eid, row.version, "B")
    with session_scope(engine) as session, pytest.raises(ValidationFailed) as caught:
        grading.change_grade(
            session,
            actor=registrar,
            enrollment_id=eid,
            expected_version=row.version,
            mark="B",
            reason="  ",
        )
    assert caught.value.field == "reason"
    with session_scope(engine) as session:
        clerk = Actor(registrar.id, "clerk1", StaffRole.CLERK)
        with pytest.raises(PermissionDenied):
            grading.change_grade(
                session,
                actor=clerk,
                enrollment_id=eid,
                expected_version=row.version,
                mark="B",
                reason="typo",
            )
        grading.change_grade(
            session,
            actor=registrar,
            enrollment_id=eid,
            expected_version=row.version,
            mark="b",
            reason="Regraded final",
        )
    changed = _enrollment(engine, eid)
    assert (changed.mark, changed.grade_status) == ("B", "posted")
    [event] = _audit(engine, "grade.change")
    assert event.reason == "Regraded final"
    assert json.loads(event.before or "{}")["mark"] == "C"
    assert json.loads(event.after or "{}")["mark"] == "B"
    assert len(_audit(engine, "grade.post")) == 3  # two students and the section


def test_clerk_may_not_enter_marks(engine: Engine, graded: GradedSection) -> None:
    with session_scope(engine) as session:
        staff = make_staff(session, role="clerk")
        clerk = Actor(staff.id or 0, staff.username, StaffRole.CLERK)
    with pytest.raises(PermissionDenied, match="registrar"):
        DbRosterStore(engine, clerk).save(graded.enrollment_ids["Chen"], 1, "A")


def test_import_previews_every_line_then_applies_all_or_nothing(
    engine: Engine, graded: GradedSection, registrar: Actor
) -> None:
    n = graded.student_numbers
    good = f"student_number,mark\n{n['Zeller']},a-\n{n['Chen']},91\n\n{n['Okafor']},I\n"
    bad = good + f"{n['Moreau']},B\nnobody,A\n{n['Zeller']},B\n{n['Álvarez']},Z\n{n['[b]Bob']}\n"
    with session_scope(engine) as session:
        preview = preview_import(session, actor=registrar, section_id=graded.section_id, text=bad)
    assert [(c.line, c.new_mark) for c in preview.changes] == [(2, "A-"), (5, "I")]
    lines = [(p.line, p.message) for p in preview.problems]
    assert [line for line, _ in lines] == [3, 6, 7, 8, 9, 10]
    assert "not a mark on US-PM" in lines[0][1]
    assert "withdrawn" in lines[1][1] and "not on this section" in lines[2][1]
    assert "line 2" in lines[3][1] and "found 1" in lines[5][1]
    with session_scope(engine) as session, pytest.raises(ValidationFailed) as caught:
        apply_import(
            session, actor=registrar, section_id=graded.section_id, text=bad, previewed=preview
        )
    assert caught.value.field == "line 3"
    assert _enrollment(engine, graded.enrollment_ids["Zeller"]).mark is None
    fixed = good.replace(",91", ",B")
    with session_scope(engine) as session:
        seen = preview_import(session, actor=registrar, section_id=graded.section_id, text=fixed)
    with session_scope(engine) as session:
        applied = apply_import(
            session, actor=registrar, section_id=graded.section_id, text=fixed, previewed=seen
        )
    assert len(applied.changes) == 3
    assert _enrollment(engine, graded.enrollment_ids["Chen"]).mark == "B"
    okafor = _enrollment(engine, graded.enrollment_ids["Okafor"])
    assert okafor.incomplete_expires == date.today() + timedelta(days=120)
    assert len(_audit(engine, "grade.enter")) == 3
    with session_scope(engine) as session:
        again = preview_import(session, actor=registrar, section_id=graded.section_id, text=fixed)
    assert (again.changes, again.unchanged) == ((), 3)


def test_import_refuses_rows_changed_at_another_desk_since_the_preview(
    engine: Engine, graded: GradedSection, registrar: Actor, system: Actor
) -> None:
    """Issue 13 item 6: a mark saved elsewhere between preview and apply is a conflict (theirs
    vs the file's), never overwritten; the import stays all or nothing."""
    n, ids = graded.student_numbers, graded.enrollment_ids
    text = f"{n['Chen']},D\n{n['Zeller']},B\n{n['Okafor']},A\n"
    store = DbRosterStore(engine, registrar)
    store.save(ids["Okafor"], 1, "A")  # the file's own mark: previewed as unchanged
    with session_scope(engine) as session:
        preview = preview_import(session, actor=registrar, section_id=graded.section_id, text=text)
    assert [c.student_number for c in preview.changes] == [n["Chen"], n["Zeller"]]
    other_desk = DbRosterStore(engine, system)
    other_desk.save(ids["Chen"], 1, "C")  # saved at another desk after the preview
    other_desk.save(ids["Okafor"], 2, "B")  # and one the preview thought needed nothing
    with session_scope(engine) as session, pytest.raises(ImportConflicts) as caught:
        apply_import(
            session, actor=registrar, section_id=graded.section_id, text=text, previewed=preview
        )
    found = [(c.line, c.student_number, c.theirs, c.yours) for c in caught.value.conflicts]
    assert found == [(1, n["Chen"], "C", "D"), (3, n["Okafor"], "B", "A")]
    assert "another desk saved C" in str(caught.value)
    assert _enrollment(engine, ids["Chen"]).mark == "C"
    assert _enrollment(engine, ids["Zeller"]).mark is None  # all or nothing
    assert _enrollment(engine, ids["Okafor"]).mark == "B"
    assert [e.actor_id for e in _audit(engine, "grade.enter")] == [
        registrar.id,
        system.id,
        system.id,
    ]
    with session_scope(engine) as session:  # previewed again, it applies as now seen
        again = preview_import(session, actor=registrar, section_id=graded.section_id, text=text)
        apply_import(
            session, actor=registrar, section_id=graded.section_id, text=text, previewed=again
        )
    assert _enrollment(engine, ids["Chen"]).mark == "D"


def test_cli_import_reports_conflicts_and_writes_nothing(
    engine: Engine,
    database_url: str,
    graded: GradedSection,
    system: Actor,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cli_login: Callable[..., Actor],
) -> None:
    """The command previews in one transaction and applies in another: a mark saved in
    between is reported by student (theirs vs the file's) and the import is refused."""
    from recordsdesk.services.grades import marks_import as grades_command

    cli_login("registrar", "registrar")
    n, ids = graded.student_numbers, graded.enrollment_ids
    csv_file = tmp_path / "marks.csv"
    csv_file.write_text(f"{n['Chen']},D\n{n['Zeller']},B\n", encoding="utf-8")
    real_preview = grades_command.preview_import

    def preview_then_other_desk(*args: Any, **kwargs: Any) -> Any:
        preview = real_preview(*args, **kwargs)
        DbRosterStore(engine, system).save(ids["Chen"], 1, "C")
        return preview

    monkeypatch.setattr(grades_command, "preview_import", preview_then_other_desk)
    code = main(
        ["grades", "import", str(graded.section_id), str(csv_file), "--database", database_url]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"CONFLICT line 1: {n['Chen']} Chen, Li: theirs C (was -), yours D" in err
    assert _enrollment(engine, ids["Chen"]).mark == "C"
    assert _enrollment(engine, ids["Zeller"]).mark is None


def test_a_posted_mark_changes_to_an_incomplete_with_its_expiry(
    engine: Engine, graded: GradedSection, registrar: Actor
) -> None:
    """Issue 13 item 7: I on a posted row needs its expiry; with it, the change is made and
    audited with the reason and the date."""
    eid = graded.enrollment_ids["Chen"]
    DbRosterStore(engine, registrar).save(eid, 1, "C")
    with session_scope(engine) as session:
        grading.post_section(session, actor=registrar, section_id=graded.section_id)
    version = _enrollment(engine, eid).version
    expiry = date.today() + timedelta(days=60)
    with session_scope(engine) as session, pytest.raises(ValidationFailed) as caught:
        grading.change_grade(
            session, actor=registrar, enrollment_id=eid, expected_version=version,
            mark="I", reason="Illness before the final",
        )  # fmt: skip
    assert caught.value.field == "incomplete_expires"
    with session_scope(engine) as session:
        grading.change_grade(
            session, actor=registrar, enrollment_id=eid, expected_version=version,
            mark="i", reason="Illness before the final", incomplete_expires=expiry,
        )  # fmt: skip
    row = _enrollment(engine, eid)
    assert (row.mark, row.grade_status, row.incomplete_expires) == ("I", "posted", expiry)
    [event] = _audit(engine, "grade.change")
    assert event.reason == "Illness before the final"
    assert json.loads(event.after or "{}")["incomplete_expires"] == expiry.isoformat()


def test_percentages_on_a_banded_scale(engine: Engine, registrar: Actor) -> None:
    with session_scope(engine) as session:
        graded = make_graded_section(session, scale="PCT-SEC")
    saved = DbRosterStore(engine, registrar).save(graded.enrollment_ids["Chen"], 1, "84.5")
    assert saved.mark == "B"


def test_cli_import_previews_and_applies(
    cli_admin: Actor,
    engine: Engine,
    database_url: str,
    graded: GradedSection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    n = graded.student_numbers
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(f"{n['Chen']},B\nnobody,A\n", encoding="utf-8")
    good.write_text(f"{n['Chen']},B\n{n['Zeller']},a-\n", encoding="utf-8")
    base = ["grades", "import", str(graded.section_id)]
    assert main([*base, str(bad), "--database", database_url]) == 1
    assert "ERROR line 2" in capsys.readouterr().err
    assert main([*base, str(good), "--database", database_url, "--dry-run"]) == 0
    assert _enrollment(engine, graded.enrollment_ids["Chen"]).mark is None
    assert main([*base, str(good), "--database", database_url]) == 0
    assert "Imported 2 marks." in capsys.readouterr().out
    assert _enrollment(engine, graded.enrollment_ids["Zeller"]).mark == "A-"


def test_marks_saved_through_plain_sql_keep_the_audit_chain_and_types(
    engine: Engine, graded: GradedSection, registrar: Actor
) -> None:
    """The save path writes with plain statements (services/shared/rawsql.py): the rows read back
    through the ORM with the same types, and the hash chain verifies across those events, the
    ORM-written post events and a grade change."""
    from recordsdesk.services.audit.verify import verify_chain

    store = DbRosterStore(engine, registrar)
    expiry = date.today() + timedelta(days=40)
    store.save(graded.enrollment_ids["Zeller"], 1, "a-")
    store.save(graded.enrollment_ids["Okafor"], 1, "I", expiry)
    with session_scope(engine) as session:
        grading.post_section(session, actor=registrar, section_id=graded.section_id)
    chen = _enrollment(engine, graded.enrollment_ids["Chen"])
    store.save(chen.id or 0, chen.version, "B")  # after posting: still unposted, enterable
    zeller = _enrollment(engine, graded.enrollment_ids["Zeller"])
    with session_scope(engine) as session:
        grading.change_grade(
            session,
            actor=registrar,
            enrollment_id=zeller.id or 0,
            expected_version=zeller.version,
            mark="B+",
            reason="Recounted",
        )
    okafor = _enrollment(engine, graded.enrollment_ids["Okafor"])
    assert okafor.incomplete_expires == expiry and okafor.mark == "I"
    changed = _enrollment(engine, graded.enrollment_ids["Zeller"])
    assert changed.override_reason == "Recounted" and changed.mark == "B+"
    assert changed.mark_entered_at is not None and changed.mark_entered_at.tzinfo is not None
    admin = Actor(registrar.id, registrar.username, StaffRole.ADMIN)
    with session_scope(engine) as session:
        report = verify_chain(session, actor=admin)
    assert report.intact, report.describe()
    assert report.checked >= 7  # 3 saves, 3 posts (2 students + section), 1 change
    [event] = _audit(engine, "grade.change")
    assert event.occurred_at.tzinfo is not None and event.entry_hash and event.prev_hash


def test_scale_rules_follow_an_edited_scale(engine: Engine, registrar: Actor) -> None:
    """Rules are cached per scale but rebuilt when the scale's rows change."""
    from decimal import Decimal

    from recordsdesk.models import GradeMark
    from tests.factories import scale_id

    with session_scope(engine) as session:
        graded = make_graded_section(session, scale="PCT-SEC")
        pct = scale_id(session, "PCT-SEC")
        before = grading.rules_for_scale(session, pct)
    assert grading.normalize_mark(before, "84.5") == "B"
    with session_scope(engine) as session:
        marks = session.exec(select(GradeMark).where(GradeMark.scale_id == pct)).all()
        band = {m.mark: m for m in marks}
        band["A"].min_percent = Decimal("84.00")
        band["B"].max_percent = Decimal("83.99")
        session.add_all([band["A"], band["B"]])
    with session_scope(engine) as session:
        after = grading.rules_for_scale(session, pct)
    assert after is not before and grading.normalize_mark(after, "84.5") == "A"
    saved = DbRosterStore(engine, registrar).save(graded.enrollment_ids["Chen"], 1, "84.5")
    assert saved.mark == "A"

"""Arbitrary text (control characters included) through every importer and the validators:
either refused with a problem naming the file's line and the column, or stored exactly (as
trimmed, which every importer documents); never a traceback, never a control character
stored."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import select

from recordsdesk.db import session_scope
from recordsdesk.models import Course, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.grades.marks_import import preview_import
from recordsdesk.services.interchange.exports.oneroster import export_oneroster
from recordsdesk.services.interchange.imports.common import ImportFailed
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.shared.clean_text import (
    first_control_character,
    refuse_control_characters,
    restore_spreadsheet_text,
)
from recordsdesk.services.shared.errors import ValidationFailed
from tests.factories import make_staff, make_student
from tests.grading_data import GradedSection, make_graded_section

#: Text with a good share of control characters, escapes and spreadsheet triggers.
NASTY = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(["\x00", "\x1b", "\x07", "\x7f", "\x9b", "\t", "\n", "\r", "=", "'"]),
    ),
    max_size=30,
)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_numbers = itertools.count(1)


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    # Every cell quoted: a bare carriage return would otherwise end the record in the file.
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    return buffer.getvalue()


def refused_or_stored(
    run: Callable[[], object], read: Callable[[], str | None], value: str, *, column: str,
    line: int, file: str, blank_becomes: str | None = None, read_as: Callable[[str], str] = str
) -> None:  # fmt: skip
    """The import either names the line and column of the value, or stores it trimmed."""
    try:
        run()
    except ImportFailed as failed:
        assert failed.problems, failed
        assert any(
            (p.line, p.column.lower(), p.file) == (line, column.lower(), file)
            for p in failed.problems
        ), failed.problems
        return
    stored = read()
    assert stored is not None and first_control_character(stored) is None
    expected = read_as(value).strip() or blank_becomes
    assert stored == expected, (stored, value)


@given(value=NASTY)
def test_validator_refuses_or_accepts_exactly(value: str) -> None:
    try:
        refuse_control_characters("legal_last_name", value)
    except ValidationFailed as refused:
        assert refused.field == "legal_last_name"
        assert first_control_character(value) is not None
        return
    assert first_control_character(value) is None


@FUZZ
@given(value=NASTY)
def test_students_import(engine: Engine, system: Actor, tmp_path: Path, value: str) -> None:
    number = f"Z{next(_numbers)}"
    path = tmp_path / "students.csv"
    path.write_text(
        csv_text([["student_number", "last_name", "first_name"], [number, value, "Ada"]]),
        encoding="utf-8",
    )

    def read() -> str | None:
        with session_scope(engine) as session:
            return session.exec(
                select(Student.legal_last_name).where(Student.student_number == number)
            ).first()

    refused_or_stored(
        lambda: run_import(engine, actor=system, kind="students", path=path),
        read,
        value,
        column="last_name",
        line=2,
        file="students.csv",
    )


@FUZZ
@given(value=NASTY)
def test_history_import(engine: Engine, system: Actor, tmp_path: Path, value: str) -> None:
    number = f"Y{next(_numbers)}"
    code = f"FZ{next(_numbers)}"
    path = tmp_path / "history.csv"
    header = ["student_number", "last_name", "first_name", "birth_date", "term", "course_code"]
    header += ["course_title", "credits", "mark"]
    row = [number, "Ray", "Al", "2001-01-01", "2019FA", code, value, "3", "A"]
    path.write_text(csv_text([header, row]), encoding="utf-8")

    def read() -> str | None:
        with session_scope(engine) as session:
            return session.exec(select(Course.title).where(Course.code == code)).first()

    refused_or_stored(
        lambda: run_import(engine, actor=system, kind="history", path=path),
        read,
        value,
        column="course_title",
        line=2,
        file="history.csv",
        blank_becomes=code,  # a course without a title is named by its code
    )


@pytest.fixture
def exported(engine: Engine, system: Actor, tmp_path: Path) -> Path:
    """A OneRoster set the desk wrote, with one student whose given name the test replaces."""
    with session_scope(engine) as session:
        make_student(session, student_number="OR1", legal_first_name="Ada")
    folder = tmp_path / "set"
    with session_scope(engine) as session:
        export_oneroster(session, actor=system, folder=folder)
    return folder


@FUZZ
@given(value=NASTY)
def test_oneroster_import(engine: Engine, system: Actor, exported: Path, value: str) -> None:
    users = exported / "users.csv"
    rows = list(csv.reader(users.open(encoding="utf-8")))
    header = rows[0]
    line = next(n for n, r in enumerate(rows, start=1) if "OR1" in r)
    rows[line - 1][header.index("givenName")] = value
    users.write_text(csv_text(rows), encoding="utf-8")

    def read() -> str | None:
        with session_scope(engine) as session:
            return session.exec(
                select(Student.legal_first_name).where(Student.student_number == "OR1")
            ).first()

    try:
        refused_or_stored(
            lambda: run_import(engine, actor=system, kind="oneroster", path=exported),
            read,
            value,
            column="givenName",
            line=line,
            file="users.csv",
            # A cell quoted against formulas reads as the spreadsheet shows it ('=1 as =1).
            read_as=restore_spreadsheet_text,
        )
    except AssertionError:
        # An empty given name is refused by the record's own rules, on the same line.
        if value.strip():
            raise


@pytest.fixture
def graded(engine: Engine) -> tuple[GradedSection, Actor]:
    with session_scope(engine) as session:
        section = make_graded_section(session)
        registrar = actor_for(session, make_staff(session, role="registrar").username)
    return section, registrar


@FUZZ
@given(number=NASTY, mark=NASTY)
def test_grades_import(
    engine: Engine, graded: tuple[GradedSection, Actor], number: str, mark: str
) -> None:
    section, registrar = graded
    real = section.student_numbers["Chen"]
    text = csv_text([[real, mark], [number, "A"]])
    with session_scope(engine) as session:
        preview = preview_import(session, actor=registrar, section_id=section.section_id, text=text)
    for problem in preview.problems:
        assert problem.line >= 1 and problem.message
    for change in preview.changes:
        assert first_control_character(change.new_mark) is None
        assert first_control_character(change.student_number) is None
    if first_control_character(mark) is not None:
        assert any(p.line == 1 and "mark" in p.message for p in preview.problems)


@FUZZ
@example(value=" - ")  # the single-name mark, which hypothesis found once
@given(value=NASTY)
def test_student_service_validation(engine: Engine, system: Actor, value: str) -> None:
    """The path every form takes (intake, profile): refused naming the field, or stored as
    typed (trimmed); the single-name mark ('-') is stored as an empty first name."""
    from recordsdesk.services.people.student import StudentCreate, create_student
    from recordsdesk.services.people.validation import SINGLE_NAME

    try:
        with session_scope(engine) as session:
            profile = create_student(
                session,
                actor=system,
                data=StudentCreate(legal_last_name="Kim", legal_first_name=value),
            )
            student_id = profile.id
    except ValidationFailed as refused:
        assert refused.field == "legal_first_name", refused
        return
    with session_scope(engine) as session:
        stored = session.get(Student, student_id)
        expected = "" if value.strip() == SINGLE_NAME else value.strip()
        assert stored is not None and stored.legal_first_name == expected

"""One set of rules for a student record on every way in: the intake form, the profile edit and
the students import refuse the same value with the same message naming the field (an empty
legal first name was refused at intake and saved by the profile edit). SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from recordsdesk.db import session_scope
from recordsdesk.models import Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.interchange.imports.common import ImportFailed
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.people.intake import IntakeForm, IntakeInvalid, validate_intake
from recordsdesk.services.people.student import update_student
from recordsdesk.services.people.validation import REQUIRED, clean_field
from recordsdesk.services.shared.errors import ValidationFailed
from tests.factories import make_staff, make_student

FIRST_NAME_REQUIRED = "the legal first name is required (for a single name, type '-' here)."


@pytest.fixture
def clerk(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, make_staff(session, role="clerk").username)


def test_the_rule_and_its_message_are_one(engine: Engine) -> None:
    assert REQUIRED["legal_first_name"] == FIRST_NAME_REQUIRED
    with pytest.raises(ValidationFailed) as refused:
        clean_field("legal_first_name", "   ")
    assert (refused.value.field, refused.value.message) == ("legal_first_name", FIRST_NAME_REQUIRED)
    assert clean_field("legal_first_name", "-") == ""  # a single name: typed '-', stored empty


def test_intake_refuses_an_empty_legal_first_name(engine: Engine, clerk: Actor) -> None:
    with session_scope(engine) as session, pytest.raises(IntakeInvalid) as refused:
        validate_intake(session, actor=clerk, form=IntakeForm(legal_last_name="Lyon"))
    assert refused.value.errors["legal_first_name"] == FIRST_NAME_REQUIRED


def test_profile_edit_refuses_an_empty_legal_first_name(engine: Engine, clerk: Actor) -> None:
    with session_scope(engine) as session:
        row = make_student(session, legal_first_name="Peter", legal_last_name="Lyon")
        assert row.id is not None
        sid = row.id
    with session_scope(engine) as session, pytest.raises(ValidationFailed) as refused:
        update_student(
            session,
            actor=clerk,
            student_id=sid,
            expected_version=row.version,
            changes={"legal_first_name": "  ", "city": "Lyon"},
        )
    assert (refused.value.field, refused.value.message) == ("legal_first_name", FIRST_NAME_REQUIRED)
    with session_scope(engine) as session:
        stored = session.get(Student, sid)
        assert stored is not None
        assert (stored.legal_first_name, stored.city, stored.version) == ("Peter", "", 1)


def test_the_import_refuses_an_empty_legal_first_name(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "students.csv"
    path.write_text(
        "student_number,last_name,first_name,email\n"
        "S-1,Lyon,Peter,p@example.org\n"
        "S-2,Quill,,q@example.org\n",
        encoding="utf-8",
    )
    without_column = tmp_path / "no_first_names.csv"
    without_column.write_text("student_number,last_name\nS-3,Moss\n", encoding="utf-8")
    for file, line in ((path, 3), (without_column, 2)):
        with pytest.raises(ImportFailed) as failed:
            run_import(engine, actor=system, kind="students", path=file)
        found = [(p.line, p.column, p.message) for p in failed.value.problems]
        assert found == [(line, "first_name", FIRST_NAME_REQUIRED)]
    with session_scope(engine) as session:
        assert session.exec(select(Student)).all() == []

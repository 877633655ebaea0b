"""The whole matrix of actions x roles, in words first and then through every service.

The expected table is written out here independently of services/access/permissions.py, so a change
to the matrix must be made twice, on purpose. Then every existing service function is called
as each role: allowed roles get past the check, the others get PermissionDenied and nothing is
written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from recordsdesk.db import session_scope
from recordsdesk.models import AcademicStanding, AuditEvent, ReleaseConsent, StaffRole, Student
from recordsdesk.services import reports
from recordsdesk.services.access import accounts as auth
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.audit.view import AuditFilter, query_audit
from recordsdesk.services.catalog import programs
from recordsdesk.services.catalog import view as catalog_view
from recordsdesk.services.disclosure import consents, genuine, letters
from recordsdesk.services.disclosure import log as disclosure_log
from recordsdesk.services.interchange.exports import oneroster
from recordsdesk.services.people import holds as hold
from recordsdesk.services.people import notes as note
from recordsdesk.services.people import student
from recordsdesk.services.registration.basis import set_basis_deadline, set_course_bases
from recordsdesk.services.shared.errors import PermissionDenied
from recordsdesk.services.transcripts.honours import change_honours
from recordsdesk.services.transcripts.standing import override_standing, standings_of
from tests.factories import (
    make_course,
    make_hold,
    make_program,
    make_staff,
    make_student,
    make_term,
)

CLERK, REGISTRAR, ADMIN = StaffRole.CLERK, StaffRole.REGISTRAR, StaffRole.ADMIN
ROLES = (CLERK, REGISTRAR, ADMIN)

#: The least role for each action, as the issue states it.
LEAST_ROLE: dict[Action, StaffRole] = {
    Action.STUDENT_READ: CLERK,
    Action.STUDENT_CREATE: CLERK,
    Action.STUDENT_UPDATE: CLERK,
    Action.ADMISSION_MANAGE: CLERK,
    Action.NOTE_ADD: CLERK,
    Action.REGISTRATION_MANAGE: CLERK,
    Action.TRANSCRIPT_UNOFFICIAL: CLERK,
    Action.CATALOG_READ: CLERK,
    Action.CONSENT_MANAGE: CLERK,
    Action.DISCLOSURE_VIEW: CLERK,
    Action.DOCUMENT_VERIFY: CLERK,
    Action.LETTER_ISSUE: CLERK,
    Action.REGISTRATION_OVERRIDE: REGISTRAR,
    Action.GRADE_ENTER: REGISTRAR,
    Action.GRADE_POST: REGISTRAR,
    Action.GRADE_CHANGE: REGISTRAR,
    Action.HOLD_MANAGE: REGISTRAR,
    Action.TRANSCRIPT_OFFICIAL: REGISTRAR,
    Action.STUDENT_DEPART: REGISTRAR,
    Action.STUDENT_AUDIT_VIEW: REGISTRAR,
    Action.REPORT_RUN: REGISTRAR,
    Action.IMPORT_RUN: REGISTRAR,
    Action.TRANSFER_EVALUATE: REGISTRAR,
    Action.STAFF_MANAGE: ADMIN,
    Action.SETTINGS_CHANGE: ADMIN,
    Action.CATALOG_MANAGE: ADMIN,
    Action.TERM_MANAGE: ADMIN,
    Action.AUDIT_VIEW: ADMIN,
    Action.EXPORT_PERSONAL: ADMIN,
    Action.BACKUP_RUN: ADMIN,
}
RANK = {CLERK: 1, REGISTRAR: 2, ADMIN: 3}


def test_every_action_has_an_expected_role() -> None:
    assert set(LEAST_ROLE) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_authorize_walks_the_matrix(action: Action, role: StaffRole) -> None:
    actor = Actor(id=1, username=f"a-{role.value}", role=role)
    if RANK[role] >= RANK[LEAST_ROLE[action]]:
        authorize(actor, action)
    else:
        with pytest.raises(PermissionDenied) as refused:
            authorize(actor, action)
        message = str(refused.value)
        assert LEAST_ROLE[action].value in message and role.value in message


# --- every service function, as every role ------------------------------------------------------

Call = Callable[[Session, Actor], object]


def _ids(session: Session) -> dict[str, int]:
    """Fresh rows for one call, so calls never depend on each other."""
    pupil = make_student(session)
    course = make_course(session)
    placed_by = make_staff(session, role="registrar")
    active = make_hold(session, pupil, placed_by_id=placed_by.id)
    victim = make_staff(session, role="clerk", password_hash="x")
    consent = ReleaseConsent(
        student_id=pupil.id,
        recipient="mother",
        records="grades",
        signed_on=date(2026, 1, 5),
        added_by_id=placed_by.id,
    )
    session.add(consent)
    session.flush()
    assert pupil.id and course.id and active.id and victim.id and consent.id
    return {
        "student": pupil.id,
        "course": course.id,
        "hold": active.id,
        "staff": victim.id,
        "consent": consent.id,
    }


def _number(session: Session, student_id: int) -> str:
    from recordsdesk.models import Student

    row = session.get(Student, student_id)
    assert row is not None
    return row.student_number


def _username(session: Session, staff_id: int) -> str:
    from recordsdesk.models import StaffUser

    row = session.get(StaffUser, staff_id)
    assert row is not None
    return row.username


def _number(session: Session, student_id: int) -> str:
    row = session.get(Student, student_id)
    assert row is not None
    return row.student_number


def _decided_term(session: Session, student_id: int) -> str:
    """A term with a standing decided for the student (as posting leaves it)."""
    term = make_term(session)
    assert term.id is not None
    session.add(
        AcademicStanding(
            student_id=student_id, term_id=term.id, standing="probation", computed="probation"
        )
    )
    session.flush()
    return term.code


def _graduate(session: Session, student_id: int) -> str:
    row = session.get(Student, student_id)
    assert row is not None
    row.status, row.honours = "graduated", "Cum laude"
    row.departure_date, row.departure_reason = date(2026, 5, 20), "graduated"
    session.add(row)
    session.flush()
    return row.student_number


def _course_code(session: Session, course_id: int) -> str:
    from recordsdesk.models import Course

    row = session.get(Course, course_id)
    assert row is not None
    return row.code


SERVICE_CALLS: dict[str, tuple[Action, Callable[[Session, Actor, dict[str, int]], object]]] = {
    "student.create_student": (
        Action.STUDENT_CREATE,
        lambda s, a, ids: student.create_student(
            s, actor=a, data=student.StudentCreate(legal_first_name="M", legal_last_name="Matrix")
        ),
    ),
    "student.get_student_profile": (
        Action.STUDENT_READ,
        lambda s, a, ids: student.get_student_profile(s, actor=a, student_id=ids["student"]),
    ),
    "student.update_student": (
        Action.STUDENT_UPDATE,
        lambda s, a, ids: student.update_student(
            s, actor=a, student_id=ids["student"], expected_version=1, changes={"city": "Ghent"}
        ),
    ),
    "hold.place_hold": (
        Action.HOLD_MANAGE,
        lambda s, a, ids: hold.place_hold(
            s, actor=a, student_id=ids["student"], hold_type="financial", reason="fees"
        ),
    ),
    "hold.release_hold": (
        Action.HOLD_MANAGE,
        lambda s, a, ids: hold.release_hold(s, actor=a, hold_id=ids["hold"], reason="paid"),
    ),
    "hold.list_holds": (
        Action.STUDENT_READ,
        lambda s, a, ids: hold.list_holds(s, actor=a, student_id=ids["student"]),
    ),
    "hold.blocking_holds": (
        Action.STUDENT_READ,
        lambda s, a, ids: hold.blocking_holds(
            s, actor=a, student_id=ids["student"], blocks="registration"
        ),
    ),
    "note.add_note": (
        Action.NOTE_ADD,
        lambda s, a, ids: note.add_note(s, actor=a, student_id=ids["student"], body="called"),
    ),
    "note.list_notes": (
        Action.STUDENT_READ,
        lambda s, a, ids: note.list_notes(s, actor=a, student_id=ids["student"]),
    ),
    "catalog_view.list_courses": (
        Action.CATALOG_READ,
        lambda s, a, ids: catalog_view.list_courses(s, actor=a),
    ),
    "catalog_view.list_sections": (
        Action.CATALOG_READ,
        lambda s, a, ids: catalog_view.list_sections(s, actor=a, course_id=ids["course"]),
    ),
    "catalog_view.list_terms": (
        Action.CATALOG_READ,
        lambda s, a, ids: catalog_view.list_terms(s, actor=a),
    ),
    "auth.add_user": (
        Action.STAFF_MANAGE,
        lambda s, a, ids: auth.add_user(
            s,
            actor=a,
            username=f"new-{ids['staff']}",
            role="clerk",
            full_name="New",
            password="long enough",
        ),
    ),
    "auth.list_users": (Action.STAFF_MANAGE, lambda s, a, ids: auth.list_users(s, actor=a)),
    "auth.disable_user": (
        Action.STAFF_MANAGE,
        lambda s, a, ids: auth.disable_user(s, actor=a, username=_username(s, ids["staff"])),
    ),
    "auth.set_password (someone else's)": (
        Action.STAFF_MANAGE,
        lambda s, a, ids: auth.set_password(
            s, actor=a, username=_username(s, ids["staff"]), new_password="another one"
        ),
    ),
    "audit_view.query_audit (whole log)": (
        Action.AUDIT_VIEW,
        lambda s, a, ids: query_audit(s, actor=a, filters=AuditFilter()),
    ),
    "audit_view.query_audit (one student)": (
        Action.STUDENT_AUDIT_VIEW,
        lambda s, a, ids: query_audit(s, actor=a, filters=AuditFilter(student_id=ids["student"])),
    ),
    "audit_verify.verify_chain": (Action.AUDIT_VIEW, lambda s, a, ids: verify_chain(s, actor=a)),
    "consents.add_consent": (
        Action.CONSENT_MANAGE,
        lambda s, a, ids: consents.add_consent(
            s,
            actor=a,
            student_id=ids["student"],
            recipient="employer",
            records="enrollment",
            signed_on=date(2026, 1, 5),
        ),
    ),
    "consents.revoke_consent": (
        Action.CONSENT_MANAGE,
        lambda s, a, ids: consents.revoke_consent(
            s, actor=a, consent_id=ids["consent"], reason="withdrawn"
        ),
    ),
    "consents.list_consents": (
        Action.STUDENT_READ,
        lambda s, a, ids: consents.list_consents(s, actor=a, student_id=ids["student"]),
    ),
    "disclosure_log.list_disclosures": (
        Action.DISCLOSURE_VIEW,
        lambda s, a, ids: disclosure_log.list_disclosures(s, actor=a, student_id=ids["student"]),
    ),
    "letters.release_letter": (
        Action.LETTER_ISSUE,
        lambda s, a, ids: letters.release_letter(
            s, actor=a, student_id=ids["student"], terms=[make_term(s).code], fmt="text"
        ),
    ),
    "letters.build_letter": (
        Action.LETTER_ISSUE,
        lambda s, a, ids: letters.build_letter(
            s, actor=a, student_id=ids["student"], terms=[make_term(s).code]
        ),
    ),
    "basis.set_course_bases (catalog b)": (
        Action.CATALOG_MANAGE,
        lambda s, a, ids: set_course_bases(
            s, actor=a, course_code=_course_code(s, ids["course"]), bases_text="graded, P/NP"
        ),
    ),
    "basis.set_basis_deadline (terms b)": (
        Action.TERM_MANAGE,
        lambda s, a, ids: set_basis_deadline(
            s, actor=a, term_code=make_term(s).code, deadline=date(2026, 10, 1)
        ),
    ),
    "standing.standings_of (the record)": (
        Action.STUDENT_READ,
        lambda s, a, ids: standings_of(s, actor=a, student_id=ids["student"]),
    ),
    "standing.override_standing (record s)": (
        Action.GRADE_CHANGE,
        lambda s, a, ids: override_standing(
            s,
            actor=a,
            student_number=_number(s, ids["student"]),
            term_code=_decided_term(s, ids["student"]),
            standing="warning",
            reason="appeal granted",
        ),
    ),
    "honours.change_honours (record o)": (
        Action.STUDENT_DEPART,
        lambda s, a, ids: change_honours(
            s,
            actor=a,
            student_number=_graduate(s, ids["student"]),
            honours="Magna cum laude",
            reason="recalculated",
        ),
    ),
    "consents.student_id_for": (
        Action.STUDENT_READ,
        lambda s, a, ids: consents.student_id_for(
            s, actor=a, student_number=_number(s, ids["student"])
        ),
    ),
    "disclosure_log.record_bulk_disclosure": (
        Action.STUDENT_READ,
        lambda s, a, ids: disclosure_log.record_bulk_disclosure(
            s,
            actor=a,
            document="report",
            release=disclosure_log.BulkRelease(),
            student_ids=[ids["student"]],
        ),
    ),
    "reports.export_csv (a list of students, logged)": (
        Action.REPORT_RUN,
        lambda s, a, ids: reports.export_csv(
            s,
            actor=a,
            table=reports.ReportTable(
                "list", "List", "", ("Student no.",), ((_number(s, ids["student"]),),)
            ),
            path=_scratch() / "list.csv",
        ),
    ),
    "oneroster.export_oneroster (logged)": (
        Action.EXPORT_PERSONAL,
        lambda s, a, ids: oneroster.export_oneroster(s, actor=a, folder=_scratch() / "set"),
    ),
    "programs.set_program_length": (
        Action.CATALOG_MANAGE,
        lambda s, a, ids: programs.set_program_length(
            s, actor=a, program_code=make_program(s).code, terms=8
        ),
    ),
    "genuine.check_document": (
        Action.DOCUMENT_VERIFY,
        lambda s, a, ids: genuine.check_document(s, actor=a, code="0000-0000-0000-0000"),
    ),
}


#: The running test's tmp_path, where the export calls write (set by the fixture below).
_SCRATCH_ROOT: list[Path] = []


def _scratch() -> Path:
    """A fresh folder under the running test's tmp_path, so exports leave nothing behind."""
    root = _SCRATCH_ROOT[-1]
    folder = root / f"out-{sum(1 for _ in root.iterdir())}"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
def _scratch_in_tmp_path(tmp_path: Path) -> Iterator[None]:
    _SCRATCH_ROOT.append(tmp_path)
    yield
    _SCRATCH_ROOT.pop()


@pytest.fixture
def actors(engine: Engine) -> dict[StaffRole, Actor]:
    with session_scope(engine) as session:
        return {
            role: actor_for(session, make_staff(session, role=role.value).username)
            for role in ROLES
        }


def _events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def test_every_service_call_as_every_role(engine: Engine, actors: dict[StaffRole, Actor]) -> None:
    outcomes: dict[tuple[str, str], str] = {}
    expected: dict[tuple[str, str], str] = {}
    for name, (action, call) in SERVICE_CALLS.items():
        for role, actor in actors.items():
            may = RANK[role] >= RANK[LEAST_ROLE[action]]
            expected[(name, role.value)] = "allowed" if may else "denied"
            with session_scope(engine) as session:
                ids = _ids(session)
            before = _events(engine)
            try:
                with session_scope(engine) as session:
                    call(session, actor, ids)
            except PermissionDenied:
                outcomes[(name, role.value)] = "denied"
                assert _events(engine) == before, f"{name} as {role.value} wrote on refusal"
            else:
                outcomes[(name, role.value)] = "allowed"
    assert outcomes == expected

"""Counter services on a real database (SQLite and PostgreSQL): release consents added,
relied on and revoked; every transcript copy one row in the disclosure log, naming its basis
and consent; "is this document genuine?" answered by code, with whether the record changed."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Disclosure, Enrollment, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.disclosure.consents import (
    add_consent,
    consent_in_force,
    list_consents,
    revoke_consent,
)
from recordsdesk.services.disclosure.genuine import check_document, normalise_code
from recordsdesk.services.disclosure.log import disclosures_csv, list_disclosures
from recordsdesk.services.grades.marks import change_grade
from recordsdesk.services.shared.errors import StaleRecord, ValidationFailed
from recordsdesk.services.transcripts.release import release_transcript
from tests.factories import make_staff
from tests.transcript_data import TranscriptData, seed_transcript

pytestmark = pytest.mark.db

TODAY = date.today()


@pytest.fixture
def data(engine: Engine) -> TranscriptData:
    with session_scope(engine) as session:
        make_staff(session, username="clerk", role="clerk")
        make_staff(session, username="reg", role="registrar")
        return seed_transcript(session)


@pytest.fixture
def clerk(engine: Engine, data: TranscriptData) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, "clerk")


@pytest.fixture
def registrar(engine: Engine, data: TranscriptData) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, "reg")


def _events(engine: Engine, entity: str) -> list[AuditEvent]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.entity == entity).order_by(col(AuditEvent.id))
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_a_consent_is_added_shown_in_force_and_revoked(
    engine: Engine, data: TranscriptData, clerk: Actor
) -> None:
    with session_scope(engine) as session:
        consent = add_consent(
            session,
            actor=clerk,
            student_id=data.student_id,
            recipient="Maria Ødegård (mother)",
            records="Grades, transcript, grades",
            purpose="health insurance",
            signed_on=TODAY - timedelta(days=3),
            valid_until=date(TODAY.year + 1, 6, 30),
        )
    assert consent.records == ("grades", "transcript")
    assert consent.added_by == "clerk"
    assert consent.in_force(TODAY) and consent.covers("grades") and not consent.covers("financial")
    assert (
        consent.summary == f"Maria Ødegård (mother) - grades, transcript, until {TODAY.year + 1}-06"
    )
    added = _events(engine, "release_consent")
    assert [e.action for e in added] == ["add"]
    assert json.loads(added[0].after or "{}")["records"] == "grades transcript"

    with session_scope(engine) as session:
        revoked = revoke_consent(
            session, actor=clerk, consent_id=consent.id, reason="asked by student"
        )
    assert revoked.state(TODAY) == "revoked" and revoked.revoked_by == "clerk"
    with pytest.raises(StaleRecord), session_scope(engine) as session:
        revoke_consent(session, actor=clerk, consent_id=consent.id, reason="again")
    assert [e.action for e in _events(engine, "release_consent")] == ["add", "revoke"]
    with session_scope(engine) as session:
        [listed] = list_consents(session, actor=clerk, student_id=data.student_id)
        assert listed.revoke_reason == "asked by student"
        with pytest.raises(ValidationFailed) as refused:
            consent_in_force(
                session,
                actor=clerk,
                consent_id=consent.id,
                student_id=data.student_id,
                scope="grades",
            )
        assert "revoked" in refused.value.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"recipient": "  "}, "recipient"),
        ({"records": "grades, diplomas"}, "records"),
        ({"records": ""}, "records"),
        ({"signed_on": TODAY + timedelta(days=1)}, "signed_on"),
        ({"valid_until": TODAY - timedelta(days=30)}, "valid_until"),
        ({"recipient": "Eve\x1b[2J"}, "recipient"),
    ],
)
def test_a_bad_consent_names_its_field_and_writes_nothing(
    engine: Engine, data: TranscriptData, clerk: Actor, fields: dict[str, object], field: str
) -> None:
    form: dict[str, object] = {
        "recipient": "employer",
        "records": "enrollment",
        "signed_on": TODAY - timedelta(days=7),
    } | fields
    with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
        add_consent(session, actor=clerk, student_id=data.student_id, **form)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert _events(engine, "release_consent") == []


def test_every_transcript_copy_is_one_disclosure_with_its_basis(
    engine: Engine, data: TranscriptData, clerk: Actor, registrar: Actor
) -> None:
    with session_scope(engine) as session:
        consent = add_consent(
            session,
            actor=clerk,
            student_id=data.student_id,
            recipient="Ridge College",
            records="transcript",
            signed_on=TODAY,
        )
    with session_scope(engine) as session:
        release_transcript(
            session, actor=clerk, student_id=data.student_id, fmt="text", recipient="the student"
        )
        release_transcript(
            session,
            actor=registrar,
            student_id=data.student_id,
            fmt="pdf",
            official=True,
            recipient="Ridge College",
            purpose="admission",
            consent_id=consent.id,
        )
        release_transcript(
            session,
            actor=clerk,
            student_id=data.student_id,
            fmt="json",
            recipient="County court",
            basis="court_order",
            purpose="subpoena 2026-17",
        )
    with session_scope(engine) as session:
        log = list_disclosures(session, actor=clerk, student_number=data.student_number)
    assert [(d.document, d.recipient, d.basis, d.consent_id) for d in log] == [
        ("transcript", "County court", "court_order", None),
        ("transcript", "Ridge College", "consent", consent.id),
        ("transcript", "the student", "student_request", None),
    ]
    assert log[1].consent.startswith("Ridge College (transcript, signed")
    assert log[1].basis_words == "consent on file" and log[1].note == "official pdf copy"
    assert [e.action for e in _events(engine, "disclosure")] == ["disclose"] * 3
    csv_text = disclosures_csv(log)
    assert csv_text.splitlines()[0].startswith("disclosed_at,disclosed_by,document,recipient")
    assert "subpoena 2026-17" in csv_text and "-" not in csv_text.split(",")[0]
    with session_scope(engine) as session:
        assert verify_chain(session, actor=actor_for(session, "system")).intact


def test_a_release_the_consent_does_not_cover_is_refused_and_logs_nothing(
    engine: Engine, data: TranscriptData, clerk: Actor
) -> None:
    with session_scope(engine) as session:
        grades_only = add_consent(
            session,
            actor=clerk,
            student_id=data.student_id,
            recipient="mother",
            records="grades",
            signed_on=TODAY,
        )
        expired = add_consent(
            session,
            actor=clerk,
            student_id=data.student_id,
            recipient="employer",
            records="all",
            signed_on=TODAY - timedelta(days=400),
            valid_until=TODAY - timedelta(days=35),
        )
        session.exec(select(Student).where(Student.id == data.student_id)).one().confidential = True
    attempts: list[dict[str, object]] = [
        {"consent_id": grades_only.id},  # covers grades, not transcripts
        {"consent_id": expired.id},
        {"basis": "consent"},  # no consent named
        {"basis": "directory"},  # the student opted out
        {"basis": "rumour"},
        {"basis": "school_official", "consent_id": grades_only.id},
    ]
    for attempt in attempts:
        with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
            release_transcript(
                session,
                actor=clerk,
                student_id=data.student_id,
                recipient="x",
                **attempt,  # type: ignore[arg-type]
            )
        assert refused.value.field in {"consent", "basis"}, attempt
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Disclosure)).one() == 0
    assert _events(engine, "transcript_request") == []


def test_a_code_is_answered_genuine_with_the_copy_and_later_changes(
    engine: Engine, data: TranscriptData, clerk: Actor, registrar: Actor
) -> None:
    with session_scope(engine) as session:
        copy = release_transcript(
            session,
            actor=registrar,
            student_id=data.student_id,
            fmt="text",
            official=True,
            recipient="Ridge College",
        )
    spaced = copy.verification_code.replace("-", " ").lower()
    assert normalise_code(spaced) == copy.verification_code
    with session_scope(engine) as session:
        answer = check_document(session, actor=clerk, code=spaced, content=copy.content)
    assert answer.genuine and answer.matches is True and answer.changed_since is False
    assert answer.document == "official transcript" and answer.recipient == "Ridge College"
    assert answer.student_number == data.student_number and answer.released_by == "reg"
    assert answer.issued_on is not None and answer.later_changes == ()

    with session_scope(engine) as session:  # a posted mark changes after the copy was issued
        enrollment = session.exec(
            select(Enrollment).where(
                Enrollment.student_id == data.student_id, Enrollment.mark == "A-"
            )
        ).first()
        assert enrollment is not None and enrollment.id is not None
        change_grade(
            session,
            actor=registrar,
            enrollment_id=enrollment.id,
            expected_version=enrollment.version,
            mark="B",
            reason="regrade",
        )
    with session_scope(engine) as session:
        later = check_document(
            session, actor=clerk, code=copy.verification_code, content=copy.content + b"x"
        )
    assert later.genuine and later.matches is False and later.changed_since is True
    assert len(later.later_changes) == 1 and "grade change" in later.later_changes[0]

    with session_scope(engine) as session:
        for guess in ("0000-0000-0000-0000", "not a code", ""):
            assert not check_document(session, actor=clerk, code=guess).genuine
    lookups = _events(engine, "document")
    assert [e.action for e in lookups] == ["verify_code"] * 5
    assert [json.loads(e.after or "{}")["genuine"] for e in lookups] == [True, True] + [False] * 3
    assert lookups[0].student_id == data.student_id and lookups[-1].student_id is None
    # The trail never lists a code: only a digest that tells attempts apart.
    assert all(copy.verification_code not in (e.after or "") for e in lookups)
    for event in _events(engine, "transcript_request"):
        assert copy.verification_code not in (event.after or "")


def test_codes_are_unguessable_and_unique(
    engine: Engine, data: TranscriptData, clerk: Actor
) -> None:
    with session_scope(engine) as session:
        codes = {
            release_transcript(
                session,
                actor=clerk,
                student_id=data.student_id,
                fmt="text",
                issued_on=date(2026, 12, 7),
            ).verification_code
            for _ in range(6)
        }
    assert len(codes) == 6  # same student, day, format: each copy its own code


def test_the_cli_prints_the_log_and_answers_a_code(
    engine: Engine,
    data: TranscriptData,
    clerk: Actor,
    cli_admin: Actor,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> None:
    db = ["--database", database_url]
    with session_scope(engine) as session:
        copy = release_transcript(
            session,
            actor=clerk,
            student_id=data.student_id,
            fmt="text",
            recipient='=HYPERLINK("x")',
            purpose="loan",
        )
    capsys.readouterr()
    assert main(["disclosures", data.student_number, *db]) == 0
    out = capsys.readouterr().out
    assert "transcript" in out and "basis: student's own request; purpose: loan" in out
    assert main(["disclosures", data.student_number, "--format", "csv", *db]) == 0
    csv_out = capsys.readouterr().out
    assert "'=HYPERLINK" in csv_out  # a spreadsheet never runs a stored value
    assert copy.verification_code not in out + csv_out
    assert main(["verify", copy.verification_code, *db]) == 0
    assert capsys.readouterr().out.startswith("GENUINE: unofficial transcript issued")
    assert main(["verify", "ABCD-EF01-2345-6789", *db]) == 1
    assert capsys.readouterr().out.startswith("NOT GENUINE")

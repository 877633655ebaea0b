"""Coursework received from other institutions, read back as the sender wrote it.

Kept apart from the student's own record: none of it counts in our GPA or credits until a
registrar evaluates a course into transfer credit (`transfer`). The read objects here feed the
record's "Received" screen, the `transfer list` command and the PESC export, which writes each
sending institution back as an AcademicRecord of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from recordsdesk.models import (
    Articulation,
    Course,
    ExternalCourse,
    ExternalSummary,
    ExternalTranscript,
    Student,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.shared.errors import NotFound


def institution_key(name: str) -> str:
    """The name articulation rules are kept under: case and spacing do not tell two apart."""
    return " ".join(name.split()).casefold()[:200]


@dataclass(frozen=True)
class ReceivedCourse:
    id: int
    session_designator: str
    session_name: str
    course_code: str
    title: str
    credits_attempted: Decimal | None
    credits_earned: Decimal | None
    credit_unit: str
    quality_points: Decimal | None
    mark: str
    scale_code: str
    grade_status: str
    repeat_code: str
    #: What the evaluation made of it ("MATH 101", "elective 200"), empty while unevaluated.
    evaluated_as: str = ""
    #: What a remembered articulation rule proposes for it, when not yet evaluated.
    proposed: str = ""


@dataclass(frozen=True)
class ReceivedSummary:
    """One AcademicSummary with a GPA block as sent (the reader makes them from the XML);
    `session_designator` is empty for the record's own."""

    session_designator: str
    session_name: str
    summary_type: str
    summary_level: str
    credits_attempted: Decimal | None
    credits_earned: Decimal | None
    credits_for_gpa: Decimal | None
    quality_points: Decimal | None
    credit_unit: str
    gpa: str


@dataclass(frozen=True)
class ReceivedRecord:
    """One sending institution's coursework for the student, over every document received."""

    institution: str
    institution_ids: str
    courses: tuple[ReceivedCourse, ...]
    summaries: tuple[ReceivedSummary, ...]


def target_label(course_code: str | None, elective_level: str) -> str:
    """How an articulation's target reads: our course's code, or `elective 200`."""
    return course_code or f"elective {elective_level}"


def _rules(session: Session, keys: set[str]) -> dict[tuple[str, str], tuple[Articulation, str]]:
    if not keys:
        return {}
    rows = session.exec(
        select(Articulation, Course.code)
        .join(Course, col(Course.id) == Articulation.equivalent_course_id, isouter=True)
        .where(col(Articulation.institution_key).in_(keys))
    ).all()
    return {(a.institution_key, a.course_code): (a, code or "") for a, code in rows}


def received_records(
    session: Session, *, actor: Actor, student_id: int, with_proposals: bool = True
) -> tuple[ReceivedRecord, ...]:
    """The student's received coursework, one record per sending institution in the order
    first received, courses and GPA blocks in the order sent. Raises NotFound."""
    authorize(actor, Action.STUDENT_READ)
    if session.get(Student, student_id) is None:
        raise NotFound(f"No student with id {student_id}.")
    transcripts = session.exec(
        select(ExternalTranscript)
        .where(ExternalTranscript.student_id == student_id)
        .order_by(col(ExternalTranscript.received_at), col(ExternalTranscript.id))
    ).all()
    if not transcripts:
        return ()
    ids = [t.id for t in transcripts]
    courses = session.exec(
        select(ExternalCourse)
        .where(col(ExternalCourse.external_transcript_id).in_(ids))
        .order_by(col(ExternalCourse.external_transcript_id), col(ExternalCourse.position))
    ).all()
    summaries = session.exec(
        select(ExternalSummary)
        .where(col(ExternalSummary.external_transcript_id).in_(ids))
        .order_by(col(ExternalSummary.external_transcript_id), col(ExternalSummary.position))
    ).all()
    by_id = {t.id: t for t in transcripts}
    rules = _rules(session, {t.institution_key for t in transcripts}) if with_proposals else {}
    evaluated = _evaluated_labels(session, [c.articulation_id for c in courses])
    groups: dict[str, tuple[ExternalTranscript, list[ReceivedCourse], list[ReceivedSummary]]] = {}
    for t in transcripts:
        groups.setdefault(t.institution_key, (t, [], []))
    for c in courses:
        t = by_id[c.external_transcript_id]
        proposal = ""
        if c.transfer_credit_id is None:
            found = rules.get((t.institution_key, c.course_code))
            if found is not None:
                proposal = target_label(found[1], found[0].elective_level)
        groups[t.institution_key][1].append(
            ReceivedCourse(
                id=c.id or 0,
                session_designator=c.session_designator,
                session_name=c.session_name,
                course_code=c.course_code,
                title=c.title,
                credits_attempted=c.credits_attempted,
                credits_earned=c.credits_earned,
                credit_unit=c.credit_unit,
                quality_points=c.quality_points,
                mark=c.mark,
                scale_code=c.scale_code,
                grade_status=c.grade_status,
                repeat_code=c.repeat_code,
                evaluated_as=(
                    evaluated.get(c.articulation_id or 0, "evaluated")
                    if c.transfer_credit_id is not None
                    else ""
                ),
                proposed=proposal,
            )
        )
    for s in summaries:
        t = by_id[s.external_transcript_id]
        groups[t.institution_key][2].append(
            ReceivedSummary(
                session_designator=s.session_designator,
                session_name=s.session_name,
                summary_type=s.summary_type,
                summary_level=s.summary_level,
                credits_attempted=s.credits_attempted,
                credits_earned=s.credits_earned,
                credits_for_gpa=s.credits_for_gpa,
                quality_points=s.quality_points,
                credit_unit=s.credit_unit,
                gpa=s.gpa,
            )
        )
    return tuple(
        ReceivedRecord(t.institution, t.institution_ids, tuple(cs), tuple(ss))
        for t, cs, ss in groups.values()
    )


def _evaluated_labels(session: Session, articulation_ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in articulation_ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(
        select(Articulation.id, Course.code, Articulation.elective_level)
        .join(Course, col(Course.id) == Articulation.equivalent_course_id, isouter=True)
        .where(col(Articulation.id).in_(wanted))
    ).all()
    return {i or 0: target_label(code, level) for i, code, level in rows}


def student_id_of(session: Session, *, actor: Actor, student_number: str) -> int:
    """The record's id for a student number. Raises NotFound."""
    authorize(actor, Action.STUDENT_READ)
    found = session.exec(select(Student.id).where(Student.student_number == student_number))
    student_id = found.first()
    if student_id is None:
        raise NotFound(f"There is no student {student_number}.")
    return student_id

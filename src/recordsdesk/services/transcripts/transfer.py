"""Evaluating received coursework into transfer credit, through articulation rules.

A rule says: this institution's course counts as our course (or as elective credit at a level)
when its mark is at least the minimum. Evaluating a course applies a rule (made or changed by the
evaluation, and kept for the next student from that institution), writes a `transfer_credit` row
(credit earned as sent, never in the GPA, printed on the transcript like any transfer credit) and
links the course to it; undoing removes exactly that row. Both are audited on the student.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, col, select

from recordsdesk.models import (
    Articulation,
    Course,
    ExternalCourse,
    ExternalTranscript,
    Student,
    TransferCredit,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import NotFound, ValidationFailed
from recordsdesk.services.transcripts.received import institution_key, target_label

ENTITY = "external_course"
#: Letter marks from best to worst, each with its + and - (an E or F is below a D-).
_LETTERS = [f"{letter}{sign}" for letter in "ABCD" for sign in ("+", "", "-")] + ["E", "F"]
_PASSING = {"P", "S", "CR", "PASS", "TR"}
_LEVEL = re.compile(r"^[0-9A-Za-z]{1,20}$")


@dataclass(frozen=True)
class ArticulationView:
    id: int
    institution: str
    course_code: str
    target: str
    minimum_mark: str


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation did: the course, what it became, the transfer credit's id."""

    external_course_id: int
    course_code: str
    target: str
    credits: Decimal
    transfer_credit_id: int


def meets_minimum(mark: str, minimum: str) -> bool:
    """Whether a mark as sent is at least `minimum`: numbers by value, letters on the A+..F
    ladder, pass marks only when no minimum is set. Raises ValidationFailed when the two cannot
    be compared (a letter against a number): a registrar decides that course by hand."""
    mark, minimum = mark.strip().upper(), minimum.strip().upper()
    if not minimum:
        return True
    try:
        return Decimal(mark) >= Decimal(minimum)
    except InvalidOperation:
        pass
    if mark in _LETTERS and minimum in _LETTERS:
        return _LETTERS.index(mark) <= _LETTERS.index(minimum)
    if mark in _PASSING:
        return False
    raise ValidationFailed(
        "minimum_mark", f"the mark {mark!r} cannot be compared with the minimum {minimum!r}."
    )


def _course(
    session: Session, external_course_id: int, student_id: int | None
) -> tuple[ExternalCourse, ExternalTranscript]:
    course = session.get(ExternalCourse, external_course_id)
    if course is None or (student_id is not None and course.student_id != student_id):
        raise NotFound(f"No received course {external_course_id} on this record.")
    transcript = session.get(ExternalTranscript, course.external_transcript_id)
    assert transcript is not None
    return course, transcript


def _target(
    session: Session, course_code: str | None, elective_level: str
) -> tuple[int | None, str]:
    """Our course's id (or None for elective credit) and the level, checked."""
    if course_code:
        found = session.exec(select(Course).where(Course.code == course_code.strip())).first()
        if found is None:
            raise ValidationFailed("course", f"{course_code!r} is not a course in our catalog.")
        return found.id, ""
    level = elective_level.strip()
    if not _LEVEL.match(level):
        raise ValidationFailed("elective_level", "name our course, or an elective level (200).")
    return None, level


def evaluate(
    session: Session,
    *,
    actor: Actor,
    external_course_id: int,
    student_id: int | None = None,
    course_code: str | None = None,
    elective_level: str = "",
    minimum_mark: str | None = None,
) -> Evaluation:
    """Evaluate one received course: with the given target (which becomes, or replaces, the
    institution's rule for that course) or, given none, by the rule already kept. Raises
    ValidationFailed (no rule, mark below the minimum, no credit earned, already evaluated),
    NotFound, PermissionDenied."""
    authorize(actor, Action.TRANSFER_EVALUATE)
    course, transcript = _course(session, external_course_id, student_id)
    if course.transfer_credit_id is not None:
        raise ValidationFailed("course", f"{course.course_code} is already evaluated; undo first.")
    rule = session.exec(
        select(Articulation).where(
            Articulation.institution_key == transcript.institution_key,
            Articulation.course_code == course.course_code,
        )
    ).first()
    given = bool(course_code or elective_level)
    if not given and rule is None:
        raise ValidationFailed(
            "course",
            f"no rule for {course.course_code} from {transcript.institution}: name our course "
            "or an elective level.",
        )
    course_id, level = (
        _target(session, course_code, elective_level)
        if given
        else (rule.equivalent_course_id if rule else None, rule.elective_level if rule else "")
    )
    minimum = rule.minimum_mark if rule is not None else ""
    if minimum_mark is not None:
        minimum = minimum_mark.strip()[:20]
    # Checked before the rule is written: a refused evaluation changes nothing.
    if not meets_minimum(course.mark, minimum):
        raise ValidationFailed(
            "mark", f"{course.mark or 'no mark'} is below the minimum {minimum}."
        )
    earned = course.credits_earned
    if earned is None or earned <= 0:
        raise ValidationFailed("credits", f"{course.course_code} earned no credit.")
    if given:
        rule = _keep_rule(session, actor, transcript, course, rule, (course_id, level, minimum))
    assert rule is not None
    target = target_label(_code_of(session, rule.equivalent_course_id), rule.elective_level)
    credit = TransferCredit(
        student_id=course.student_id,
        source_institution=transcript.institution,
        source_course_code=course.course_code,
        source_course_title=course.title,
        credits=earned.quantize(Decimal("0.01")),
        equivalent_course_id=rule.equivalent_course_id,
        elective_level="" if rule.equivalent_course_id else rule.elective_level,
        awarded_on=date.today(),
        entered_by_id=actor.id,
    )
    session.add(credit)
    session.flush()
    before_course = audit.snapshot(course, ["transfer_credit_id", "articulation_id"])
    course.transfer_credit_id, course.articulation_id = credit.id, rule.id
    session.add(course)
    session.flush()
    audit.record(
        session,
        actor,
        action="transfer_evaluate",
        entity=ENTITY,
        entity_id=course.id,
        student_id=course.student_id,
        before=before_course,
        after={**audit.snapshot(credit), "target": target},
        reason=f"{course.course_code} from {transcript.institution} as {target}",
    )
    assert credit.id is not None and course.id is not None
    return Evaluation(course.id, course.course_code, target, credit.credits, credit.id)


def _keep_rule(
    session: Session,
    actor: Actor,
    transcript: ExternalTranscript,
    course: ExternalCourse,
    rule: Articulation | None,
    target: tuple[int | None, str, str],
) -> Articulation:
    """Make or change the institution's rule for the course (audited when it changes)."""
    before = audit.snapshot(rule) if rule is not None else None
    if rule is None:
        rule = Articulation(
            institution_key=transcript.institution_key,
            institution=transcript.institution,
            course_code=course.course_code,
            created_by_id=actor.id,
        )
    rule.equivalent_course_id, rule.elective_level, rule.minimum_mark = target
    if before is None or before != audit.snapshot(rule):
        rule.created_at, rule.created_by_id = utcnow(), actor.id
        session.add(rule)
        session.flush()
        audit.record(
            session,
            actor,
            action="articulation",
            entity="articulation",
            entity_id=rule.id,
            before=before,
            after=audit.snapshot(rule),
        )
    return rule


def _code_of(session: Session, course_id: int | None) -> str | None:
    if course_id is None:
        return None
    found = session.get(Course, course_id)
    return found.code if found is not None else None


def undo(
    session: Session, *, actor: Actor, external_course_id: int, student_id: int | None = None
) -> None:
    """Remove the transfer credit an evaluation made (the rule stays, for the next student).
    Raises ValidationFailed when the course is not evaluated."""
    authorize(actor, Action.TRANSFER_EVALUATE)
    course, transcript = _course(session, external_course_id, student_id)
    if course.transfer_credit_id is None:
        raise ValidationFailed("course", f"{course.course_code} is not evaluated.")
    credit = session.get(TransferCredit, course.transfer_credit_id)
    before = audit.snapshot(credit) if credit is not None else {}
    course.transfer_credit_id, course.articulation_id = None, None
    session.add(course)
    session.flush()
    if credit is not None:
        session.delete(credit)
        session.flush()
    audit.record(
        session,
        actor,
        action="transfer_undo",
        entity=ENTITY,
        entity_id=course.id,
        student_id=course.student_id,
        before=before,
        reason=f"{course.course_code} from {transcript.institution}: evaluation undone",
    )


def accept_proposals(session: Session, *, actor: Actor, student_id: int) -> list[Evaluation]:
    """Evaluate every unevaluated course of the student that a kept rule covers and whose mark
    meets the rule's minimum; the others stay for a registrar to decide."""
    authorize(actor, Action.TRANSFER_EVALUATE)
    if session.get(Student, student_id) is None:
        raise NotFound(f"No student with id {student_id}.")
    rows = session.exec(
        select(ExternalCourse, ExternalTranscript, Articulation)
        .join(
            ExternalTranscript, col(ExternalTranscript.id) == ExternalCourse.external_transcript_id
        )
        .join(
            Articulation,
            (col(Articulation.institution_key) == ExternalTranscript.institution_key)
            & (col(Articulation.course_code) == ExternalCourse.course_code),
        )
        .where(ExternalCourse.student_id == student_id)
        .where(col(ExternalCourse.transfer_credit_id).is_(None))
        .order_by(col(ExternalCourse.id))
    ).all()
    done: list[Evaluation] = []
    for course, _transcript, rule in rows:
        try:
            if not meets_minimum(course.mark, rule.minimum_mark):
                continue
        except ValidationFailed:
            continue
        if course.credits_earned is None or course.credits_earned <= 0:
            continue
        assert course.id is not None
        done.append(evaluate(session, actor=actor, external_course_id=course.id))
    return done


def articulations(
    session: Session, *, actor: Actor, institution: str = ""
) -> list[ArticulationView]:
    """The kept rules, by institution and course (those of one institution when named)."""
    authorize(actor, Action.STUDENT_READ)
    query = select(Articulation, Course.code).join(
        Course, col(Course.id) == Articulation.equivalent_course_id, isouter=True
    )
    if institution.strip():
        query = query.where(Articulation.institution_key == institution_key(institution))
    rows = session.exec(
        query.order_by(col(Articulation.institution_key), col(Articulation.course_code))
    ).all()
    return [
        ArticulationView(
            a.id or 0,
            a.institution,
            a.course_code,
            target_label(code, a.elective_level),
            a.minimum_mark,
        )
        for a, code in rows
    ]

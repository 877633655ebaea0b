"""Latin honours: proposed at conferral from the record, by the institution's cumulative GPA
thresholds and a minimum of credits earned here (transfer credit does not count); printed on
the transcript with the degree; changed afterwards only by a registrar, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from recordsdesk.models import Institution, Student, StudentStatus
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import NotFound, ValidationFailed
from recordsdesk.services.transcripts.builder import build_transcript

SUMMA, MAGNA, CUM = "Summa cum laude", "Magna cum laude", "Cum laude"
MAX_HONOURS = 120


@dataclass(frozen=True)
class HonoursRules:
    cum_laude: Decimal
    magna_cum_laude: Decimal
    summa_cum_laude: Decimal
    min_credits: Decimal


def rules_of(institution: Institution) -> HonoursRules:
    return HonoursRules(
        Decimal(institution.cum_laude_min_gpa),
        Decimal(institution.magna_cum_laude_min_gpa),
        Decimal(institution.summa_cum_laude_min_gpa),
        Decimal(institution.honours_min_credits),
    )


def latin_honours(rules: HonoursRules, gpa: Decimal | None, earned_here: Decimal) -> str:
    """The honours a record earns: the highest threshold its cumulative GPA reaches, when
    enough credits were earned here; "" otherwise."""
    if gpa is None or earned_here < rules.min_credits:
        return ""
    for threshold, name in (
        (rules.summa_cum_laude, SUMMA),
        (rules.magna_cum_laude, MAGNA),
        (rules.cum_laude, CUM),
    ):
        if gpa >= threshold:
            return name
    return ""


def propose_honours(session: Session, *, actor: Actor, student_id: int) -> str:
    """What the record earns today (the transcript's cumulative GPA and credits earned here)."""
    institution = session.exec(select(Institution).order_by(col(Institution.id))).one()
    transcript = build_transcript(session, actor=actor, student_id=student_id)
    earned_here = transcript.cumulative.credits_earned - transcript.transfer_credits
    return latin_honours(rules_of(institution), transcript.cumulative_gpa, earned_here)


def change_honours(
    session: Session, *, actor: Actor, student_number: str, honours: str, reason: str
) -> Student:
    """A registrar changes a graduate's honours (empty: none), with a reason; audited."""
    authorize(actor, Action.STUDENT_DEPART)
    text, why = honours.strip(), reason.strip()
    if not why:
        raise ValidationFailed("reason", "a change of honours needs a reason.")
    if len(text) > MAX_HONOURS:
        raise ValidationFailed("honours", f"must be at most {MAX_HONOURS} characters.")
    student = session.exec(select(Student).where(Student.student_number == student_number)).first()
    if student is None:
        raise NotFound(f"There is no student {student_number}.")
    if student.status != StudentStatus.GRADUATED.value:
        raise ValidationFailed("honours", "only a graduate's honours change (confer first).")
    if student.honours == text:
        raise ValidationFailed("honours", f"the honours are already {text or 'none'}.")
    before = {"honours": student.honours, "version": student.version}
    student.honours = text
    student.version += 1
    session.add(student)
    session.flush()
    audit.record(
        session,
        actor,
        action="honours.change",
        entity="student",
        entity_id=student.id,
        student_id=student.id,
        before=before,
        after={"honours": text, "version": student.version},
        reason=why,
    )
    return student

"""The student record as the desk shows it: one read, plain frozen values, no live ORM rows.

Reading a record is not audited (only changes are); the confidential flag travels with the
record so every screen can show the banner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlmodel import Session, col, select

from recordsdesk.models import (
    ContactNote,
    Course,
    Enrollment,
    EnrollmentStatus,
    GradeMark,
    GradeStatus,
    GradingScale,
    Hold,
    ScaleKind,
    Section,
    StaffUser,
    Student,
    Term,
    TranscriptRequest,
    TransferCredit,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, allowed, authorize
from recordsdesk.services.audit.view import AuditFilter, query_audit
from recordsdesk.services.disclosure.consents import ConsentView, list_consents
from recordsdesk.services.disclosure.log import DisclosureView, list_disclosures
from recordsdesk.services.people.profile import StudentProfile, profile_of
from recordsdesk.services.shared.errors import NotFound
from recordsdesk.services.transcripts.builder import awarded_as, build_transcript
from recordsdesk.services.transcripts.standing import StandingView, standings_of

ZERO = Decimal("0")
AUDIT_LIMIT = 200


@dataclass(frozen=True)
class CourseResult:
    """A finished course (completed or withdrawn) as the academic history lists it."""

    course_code: str
    course_title: str
    section_code: str
    credits: Decimal
    mark: str
    grade_status: str
    enrollment_status: str
    earns_credit: bool


@dataclass(frozen=True)
class TermHistory:
    term_code: str
    term_name: str
    start_date: date
    courses: tuple[CourseResult, ...]


@dataclass(frozen=True)
class TransferRow:
    source_institution: str
    source_course_code: str
    source_course_title: str
    credits: Decimal
    mark: str
    equivalent_course_code: str
    awarded_on: date
    elective_level: str = ""

    @property
    def awarded_as(self) -> str:
        """What the credit counts as here: our course's code, `elective 200`, or blank."""
        return awarded_as(self.equivalent_course_code, self.elective_level)


@dataclass(frozen=True)
class RegistrationRow:
    """A registered or waitlisted enrollment: what the student is taking now or next."""

    term_code: str
    term_status: str
    course_code: str
    course_title: str
    section_code: str
    credits: Decimal
    status: str
    waitlist_position: int | None
    instructor: str
    meeting_days: str
    start_time: time | None
    end_time: time | None
    room: str
    #: Set while a freed seat is held for this waitlisted student to accept or decline.
    seat_offered_at: datetime | None = None


@dataclass(frozen=True)
class HoldRow:
    hold_type: str
    blocks_registration: bool
    blocks_transcript: bool
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str
    released_at: datetime | None
    release_reason: str

    @property
    def active(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class NoteRow:
    created_at: datetime
    author: str
    channel: str
    body: str


@dataclass(frozen=True)
class TranscriptRequestRow:
    requested_at: datetime
    requested_by: str
    official: bool
    recipient: str
    format: str
    status: str
    released_at: datetime | None
    released_by: str
    note: str


@dataclass(frozen=True)
class TermGpa:
    """One term's GPA and the cumulative GPA after it (None: nothing counted yet)."""

    term_code: str
    gpa: Decimal | None
    cumulative_gpa: Decimal | None
    standing: str


@dataclass(frozen=True)
class AuditLine:
    occurred_at: datetime
    actor: str
    action: str
    entity: str
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class StudentRecord:
    profile: StudentProfile
    credits_earned: Decimal
    history: tuple[TermHistory, ...]
    transfer_credits: tuple[TransferRow, ...]
    registrations: tuple[RegistrationRow, ...]
    holds: tuple[HoldRow, ...]
    notes: tuple[NoteRow, ...]
    transcript_requests: tuple[TranscriptRequestRow, ...]
    #: Cumulative GPA under the institution's policies (None: no graded work yet, or an
    #: elementary record, which has marks but no GPA).
    cumulative_gpa: Decimal | None = None
    term_gpas: tuple[TermGpa, ...] = ()
    #: The record's audit trail, newest first; None when the actor's role may not see it.
    audit: tuple[AuditLine, ...] | None = None
    #: The student's release consents (in force, expired and revoked), oldest first.
    consents: tuple[ConsentView, ...] = ()
    #: The disclosure log, newest first.
    disclosures: tuple[DisclosureView, ...] = ()
    #: The academic standing decided for each posted term, oldest first.
    standings: tuple[StandingView, ...] = ()

    def term_gpa(self, term_code: str) -> TermGpa | None:
        return next((t for t in self.term_gpas if t.term_code == term_code), None)

    def standing(self, term_code: str) -> StandingView | None:
        return next((s for s in self.standings if s.term_code == term_code), None)

    @property
    def has_active_hold(self) -> bool:
        return any(h.active for h in self.holds)

    def consents_in_force(self, on: date) -> tuple[ConsentView, ...]:
        return tuple(c for c in self.consents if c.in_force(on))


def get_student_record(session: Session, *, actor: Actor, student_id: int) -> StudentRecord:
    """The whole record of one student. Raises NotFound for an unknown id.

    Credits earned count posted marks whose scale says they earn credit, plus transfer credit.
    Term and cumulative GPAs come from the transcript builder (services.transcripts.builder), so the
    record and the transcript never disagree (repeat policy, rounding, decimals all from the
    Institution row). The audit trail is included for registrars and admins only. Reading a
    record is not audited.
    """
    authorize(actor, Action.STUDENT_READ)
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound(f"There is no student with id {student_id}.")
    staff = _staff_names(session)
    transcript = (
        build_transcript(session, actor=actor, student_id=student_id)
        if allowed(actor, Action.TRANSCRIPT_UNOFFICIAL)
        else None
    )
    history = _history(session, student_id)
    transfers = _transfers(session, student_id)
    earned = sum(
        (c.credits for term in history for c in term.courses if c.earns_credit), start=ZERO
    ) + sum((t.credits for t in transfers), start=ZERO)
    return StudentRecord(
        profile=profile_of(session, student),
        credits_earned=earned,
        history=history,
        transfer_credits=transfers,
        registrations=_registrations(session, student_id),
        holds=_holds(session, student_id, staff),
        notes=_notes(session, student_id, staff),
        transcript_requests=_transcript_requests(session, student_id, staff),
        cumulative_gpa=transcript.cumulative_gpa if transcript else None,
        term_gpas=tuple(
            TermGpa(t.code, t.gpa, t.cumulative_gpa, t.standing) for t in transcript.terms
        )
        if transcript
        else (),
        audit=_audit(session, actor, student_id),
        consents=tuple(list_consents(session, actor=actor, student_id=student_id)),
        disclosures=tuple(list_disclosures(session, actor=actor, student_id=student_id)),
        standings=standings_of(session, actor=actor, student_id=student_id),
    )


def _audit(session: Session, actor: Actor, student_id: int) -> tuple[AuditLine, ...] | None:
    if not allowed(actor, Action.STUDENT_AUDIT_VIEW):
        return None
    page = query_audit(
        session, actor=actor, filters=AuditFilter(student_id=student_id), limit=AUDIT_LIMIT
    )
    return tuple(
        AuditLine(
            occurred_at=row.occurred_at,
            actor=row.actor_username,
            action=row.action,
            entity=row.entity,
            before=row.before,
            after=row.after,
            reason=row.reason,
        )
        for row in page.rows
    )


def _staff_names(session: Session) -> dict[int, str]:
    return {
        user_id: username
        for user_id, username in session.exec(select(StaffUser.id, StaffUser.username)).all()
        if user_id is not None
    }


def _credit_marks(session: Session) -> tuple[dict[tuple[int, str], bool], dict[str, bool]]:
    """Which marks earn credit: per (scale, mark), and for the non-grade marks (W, I, ...) that
    any course may receive whatever its own scale."""
    rows = session.exec(
        select(GradeMark.scale_id, GradeMark.mark, GradeMark.earns_credit, GradingScale.kind).join(
            GradingScale, col(GradingScale.id) == col(GradeMark.scale_id)
        )
    ).all()
    by_scale = {(scale_id, mark): earns for scale_id, mark, earns, _ in rows}
    non_grade = {mark: earns for _, mark, earns, kind in rows if kind == ScaleKind.NON_GRADE}
    return by_scale, non_grade


def _history(session: Session, student_id: int) -> tuple[TermHistory, ...]:
    finished = (EnrollmentStatus.COMPLETED.value, EnrollmentStatus.WITHDRAWN.value)
    rows = session.exec(
        select(Enrollment, Section, Course, Term)
        .join(Section, col(Section.id) == col(Enrollment.section_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .join(Term, col(Term.id) == col(Section.term_id))
        .where(Enrollment.student_id == student_id, col(Enrollment.status).in_(finished))
        .order_by(col(Term.start_date), col(Term.code), col(Course.code))
    ).all()
    by_scale, non_grade = _credit_marks(session)
    terms: dict[int, tuple[Term, list[CourseResult]]] = {}
    for enrollment, section, course, term in rows:
        mark = enrollment.mark or (
            "W" if enrollment.status == EnrollmentStatus.WITHDRAWN.value else ""
        )
        posted = enrollment.grade_status == GradeStatus.POSTED.value
        earns = (
            posted
            and enrollment.status == EnrollmentStatus.COMPLETED.value
            and by_scale.get((course.grading_scale_id, mark), non_grade.get(mark, False))
        )
        result = CourseResult(
            course_code=course.code,
            course_title=course.title,
            section_code=section.section_code,
            credits=enrollment.credits if enrollment.credits is not None else course.credits,
            mark=mark,
            grade_status=enrollment.grade_status,
            enrollment_status=enrollment.status,
            earns_credit=bool(earns),
        )
        assert term.id is not None
        terms.setdefault(term.id, (term, []))[1].append(result)
    return tuple(
        TermHistory(
            term_code=term.code,
            term_name=term.name,
            start_date=term.start_date,
            courses=tuple(courses),
        )
        for term, courses in terms.values()
    )


def _transfers(session: Session, student_id: int) -> tuple[TransferRow, ...]:
    rows = session.exec(
        select(TransferCredit, Course)
        .join(Course, col(Course.id) == col(TransferCredit.equivalent_course_id), isouter=True)
        .where(TransferCredit.student_id == student_id)
        .order_by(col(TransferCredit.awarded_on), col(TransferCredit.id))
    ).all()
    return tuple(
        TransferRow(
            source_institution=t.source_institution,
            source_course_code=t.source_course_code,
            source_course_title=t.source_course_title,
            credits=t.credits,
            mark=t.mark,
            equivalent_course_code=course.code if course else "",
            awarded_on=t.awarded_on,
            elective_level=t.elective_level,
        )
        for t, course in rows
    )


def _registrations(session: Session, student_id: int) -> tuple[RegistrationRow, ...]:
    current = (EnrollmentStatus.REGISTERED.value, EnrollmentStatus.WAITLISTED.value)
    rows = session.exec(
        select(Enrollment, Section, Course, Term)
        .join(Section, col(Section.id) == col(Enrollment.section_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .join(Term, col(Term.id) == col(Section.term_id))
        .where(Enrollment.student_id == student_id, col(Enrollment.status).in_(current))
        .order_by(col(Term.start_date), col(Course.code))
    ).all()
    return tuple(
        RegistrationRow(
            term_code=term.code,
            term_status=term.status,
            course_code=course.code,
            course_title=course.title,
            section_code=section.section_code,
            credits=enrollment.credits if enrollment.credits is not None else course.credits,
            status=enrollment.status,
            waitlist_position=enrollment.waitlist_position,
            instructor=section.instructor,
            meeting_days=section.meeting_days,
            start_time=section.start_time,
            end_time=section.end_time,
            room=section.room,
            seat_offered_at=enrollment.seat_offered_at,
        )
        for enrollment, section, course, term in rows
    )


def _holds(session: Session, student_id: int, staff: dict[int, str]) -> tuple[HoldRow, ...]:
    holds = session.exec(
        select(Hold).where(Hold.student_id == student_id).order_by(col(Hold.placed_at).desc())
    ).all()
    rows = [
        HoldRow(
            hold_type=h.hold_type,
            blocks_registration=h.blocks_registration,
            blocks_transcript=h.blocks_transcript,
            reason=h.reason,
            placed_by=staff.get(h.placed_by_id, ""),
            placed_at=h.placed_at,
            released_by=staff.get(h.released_by_id, "") if h.released_by_id else "",
            released_at=h.released_at,
            release_reason=h.release_reason,
        )
        for h in holds
    ]
    rows.sort(key=lambda h: not h.active)  # active holds first, newest first within each
    return tuple(rows)


def _notes(session: Session, student_id: int, staff: dict[int, str]) -> tuple[NoteRow, ...]:
    notes = session.exec(
        select(ContactNote)
        .where(ContactNote.student_id == student_id)
        .order_by(col(ContactNote.created_at).desc())
    ).all()
    return tuple(
        NoteRow(
            created_at=n.created_at,
            author=staff.get(n.author_id, ""),
            channel=n.channel,
            body=n.body,
        )
        for n in notes
    )


def _transcript_requests(
    session: Session, student_id: int, staff: dict[int, str]
) -> tuple[TranscriptRequestRow, ...]:
    requests = session.exec(
        select(TranscriptRequest)
        .where(TranscriptRequest.student_id == student_id)
        .order_by(col(TranscriptRequest.requested_at).desc())
    ).all()
    return tuple(
        TranscriptRequestRow(
            requested_at=r.requested_at,
            requested_by=staff.get(r.requested_by_id, ""),
            official=r.official,
            recipient=r.recipient,
            format=r.format,
            status=r.status,
            released_at=r.released_at,
            released_by=staff.get(r.released_by_id, "") if r.released_by_id else "",
            note=r.note,
        )
        for r in requests
    )

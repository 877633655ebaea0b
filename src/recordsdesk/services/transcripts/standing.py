"""Academic standing: decided for each student and term when the term's marks are posted (and
for each term an imported history brings), from the institution's rules; stored, audited, and
overridden only by a registrar with a reason.

The rules (settings on the Institution row):
- cumulative GPA below `probation_below_gpa`: probation; and when the student's standings just
  before this term were probation `suspension_after_probation_terms` times in a row, suspension;
  a suspension after `dismissal_after_suspensions` earlier ones (0: never) is a dismissal;
- otherwise a term GPA below `warning_below_term_gpa`: academic warning;
- otherwise (or with no GPA yet): good standing.
A decision reads the figures the transcript prints (term GPA, cumulative GPA through the term).
Posting again recomputes it; a registrar's override stands until the registrar changes it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, col, select

from recordsdesk.models import (
    AcademicStanding,
    Enrollment,
    GradeStatus,
    Institution,
    Section,
    StandingLevel,
    Student,
    Term,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.grades.marks import PostResult, post_section
from recordsdesk.services.shared.errors import NotFound, ValidationFailed
from recordsdesk.services.transcripts import totals
from recordsdesk.services.transcripts.builder import Transcript, build_transcript

ENTITY = "academic_standing"
DECIDE = "standing.decide"
GOOD, WARNING, PROBATION, SUSPENSION, DISMISSAL = (level.value for level in StandingLevel)
#: How a transcript and a report name each standing.
LABELS = {
    GOOD: "Good standing",
    WARNING: "Academic warning",
    PROBATION: "Academic probation",
    SUSPENSION: "Academic suspension",
    DISMISSAL: "Academic dismissal",
}


@dataclass(frozen=True)
class StandingRules:
    probation_below_gpa: Decimal
    warning_below_term_gpa: Decimal
    suspension_after_probation_terms: int
    dismissal_after_suspensions: int


def rules_of(institution: Institution) -> StandingRules:
    return StandingRules(
        Decimal(institution.probation_below_gpa),
        Decimal(institution.warning_below_term_gpa),
        institution.suspension_after_probation_terms,
        institution.dismissal_after_suspensions,
    )


def decide(
    rules: StandingRules,
    term_gpa: Decimal | None,
    cumulative_gpa: Decimal | None,
    earlier: Sequence[str],
) -> str:
    """The standing the rules give a term, `earlier` being the standings of the student's
    earlier terms, oldest first (a pure function: every transition is tested by hand)."""
    if cumulative_gpa is not None and cumulative_gpa < rules.probation_below_gpa:
        in_a_row = 0
        for level in reversed(earlier):
            if level != PROBATION:
                break
            in_a_row += 1
        if in_a_row >= max(rules.suspension_after_probation_terms, 1):
            suspensions = sum(1 for level in earlier if level == SUSPENSION)
            limit = rules.dismissal_after_suspensions
            return DISMISSAL if limit and suspensions >= limit else SUSPENSION
        return PROBATION
    if term_gpa is not None and term_gpa < rules.warning_below_term_gpa:
        return WARNING
    return GOOD


@dataclass(frozen=True)
class StandingView:
    """One term's standing as the record shows it: what stands, what the rules gave, and the
    registrar's reason when the two were made to differ."""

    term_code: str
    standing: str
    computed: str
    override_reason: str


def standings_of(session: Session, *, actor: Actor, student_id: int) -> tuple[StandingView, ...]:
    """The student's decided standings, oldest term first."""
    authorize(actor, Action.STUDENT_READ)
    rows = session.exec(
        select(AcademicStanding, Term.code)
        .join(Term, col(Term.id) == col(AcademicStanding.term_id))
        .where(AcademicStanding.student_id == student_id)
        .order_by(col(Term.start_date), col(Term.id))
    ).all()
    return tuple(StandingView(code, r.standing, r.computed, r.override_reason) for r, code in rows)


FIELDS = ["standing", "computed", "term_gpa", "cumulative_gpa"]


@dataclass(frozen=True)
class Decision:
    """One standing decided (or decided again): the stored row and its audit's before (None
    for a new row) and after; `changed` says whether an event is due."""

    row: AcademicStanding
    term_code: str
    before: dict[str, Any] | None
    after: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.before != self.after


_IN = 500  # students per IN (...) list


def transcript_figures(
    transcript: Transcript,
) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """term code -> (term GPA, cumulative GPA through it), as the transcript prints them."""
    return {t.code: (t.gpa, t.cumulative_gpa) for t in transcript.terms}


class TermLike(Protocol):
    """What a decision reads of a term (a Term, or a plain row of the table)."""

    @property
    def id(self) -> int | None: ...
    @property
    def code(self) -> str: ...
    @property
    def start_date(self) -> date: ...


TermT = TypeVar("TermT", bound=TermLike)


def decide_in_order(
    rules: StandingRules,
    figures: Mapping[str, tuple[Decimal | None, Decimal | None]],
    terms: Collection[TermT],
    standings: dict[int, str],
    starts: dict[int, date],
    kept: Collection[int],
) -> Iterator[tuple[TermT, str, str, Decimal | None, Decimal | None]]:
    """(term, standing, computed, term GPA, cumulative GPA) of each of `terms`, oldest first,
    from `figures`: term code -> (term GPA, cumulative GPA through it) as the student's
    transcript prints them (`transcript_figures`), a term absent from it having neither.
    `standings` and `starts` hold the student's stored
    standings and their terms' starts, by term id, and take each decision as it is made, so a
    term reads the ones before it; a term in `kept` (an override) keeps its standing."""
    for term in sorted(terms, key=lambda t: (t.start_date, t.id or 0)):
        assert term.id is not None
        term_gpa, cumulative = figures.get(term.code, (None, None))
        earlier = [
            standings[t]
            for t in sorted(starts, key=lambda t: (starts[t], t))
            if starts[t] < term.start_date
        ]
        computed = decide(rules, term_gpa, cumulative, earlier)
        standing = standings[term.id] if term.id in kept else computed
        standings[term.id], starts[term.id] = standing, term.start_date
        yield term, standing, computed, term_gpa, cumulative


def decide_terms(
    session: Session, *, actor: Actor, student_id: int, term_ids: Collection[int]
) -> list[Decision]:
    """Decide the student's standing for each of `term_ids` (`decide_many`, one student)."""
    return decide_many(session, actor=actor, terms_by_student={student_id: term_ids})


def decide_many(
    session: Session, *, actor: Actor, terms_by_student: Mapping[int, Collection[int]]
) -> list[Decision]:
    """Decide each student's standing for each of their terms, oldest term first, as posting
    each term in turn would: a term reads the standings stored for the terms before it, those
    decided here included. The figures are the transcript's (one read per student). The rows
    are flushed; the audit is the caller's (`post_and_decide` writes one event per change, a
    history import adds them to its batch). An override keeps its standing; only `computed`
    follows the rules. The terms, the rules and the stored standings are read once for all the
    students, so a section or an import costs little more than its transcripts."""
    wanted = {t for ids in terms_by_student.values() for t in ids}
    terms = {
        term.id: term
        for term in session.exec(select(Term).where(col(Term.id).in_(sorted(wanted)))).all()
    }
    if len(terms) != len(wanted):
        raise NotFound(f"There is no term with id {sorted(wanted - set(terms))}.")
    institution = session.exec(select(Institution).order_by(col(Institution.id))).one()
    rules = rules_of(institution)
    students = sorted(terms_by_student)
    stored: dict[int, list[tuple[AcademicStanding, Any]]] = {}
    for start in range(0, len(students), _IN):
        for found, begins in session.exec(
            select(AcademicStanding, col(Term.start_date))
            .join(Term, col(Term.id) == col(AcademicStanding.term_id))
            .where(col(AcademicStanding.student_id).in_(students[start : start + _IN]))
        ).all():
            stored.setdefault(found.student_id, []).append((found, begins))
    now = utcnow()
    decisions: list[Decision] = []
    for student_id in students:
        transcript = build_transcript(session, actor=actor, student_id=student_id, with_rank=False)
        rows = {found.term_id: found for found, _begins in stored.get(student_id, ())}
        starts = {found.term_id: begins for found, begins in stored.get(student_id, ())}
        standings = {term_id: row.standing for term_id, row in rows.items()}
        kept = {term_id for term_id, row in rows.items() if row.override_reason}
        ordered = [terms[t] for t in set(terms_by_student[student_id])]
        for term, standing, computed, term_gpa, cumulative in decide_in_order(
            rules, transcript_figures(transcript), ordered, standings, starts, kept
        ):
            assert term.id is not None
            row = rows.get(term.id)
            before = None
            if row is None:
                row = AcademicStanding(
                    student_id=student_id, term_id=term.id, standing=computed, computed=computed
                )
                rows[term.id] = row
            else:
                before = audit.snapshot(row, FIELDS)
                now_stored = (row.standing, row.computed, row.term_gpa, row.cumulative_gpa)
                if now_stored == (standing, computed, term_gpa, cumulative):
                    decisions.append(Decision(row, term.code, before, {}))  # decided alike
                    continue
                row.standing, row.computed = standing, computed
                row.version += 1
            row.term_gpa, row.cumulative_gpa = term_gpa, cumulative
            row.decided_at, row.decided_by_id = now, actor.id
            session.add(row)
            decisions.append(Decision(row, term.code, before, {}))
    session.flush()
    return [
        Decision(d.row, d.term_code, d.before, audit.snapshot(d.row, FIELDS)) for d in decisions
    ]


def _audit_decisions(session: Session, actor: Actor, decisions: list[Decision]) -> None:
    for decision in decisions:
        if decision.changed:
            audit.record(
                session,
                actor,
                action=DECIDE,
                entity=ENTITY,
                entity_id=decision.row.id,
                student_id=decision.row.student_id,
                before=decision.before,
                after=decision.after | {"term": decision.term_code},
            )


def record_standing(
    session: Session, *, actor: Actor, student_id: int, term_id: int
) -> AcademicStanding:
    """Decide (or decide again) the student's standing for the term and store it, audited
    when it changes."""
    decisions = decide_terms(session, actor=actor, student_id=student_id, term_ids=[term_id])
    _audit_decisions(session, actor, decisions)
    return decisions[0].row


def post_and_decide(session: Session, *, actor: Actor, section_id: int) -> PostResult:
    """Post the section (grades.marks.post_section), decide the standing, for its term, of
    every student whose mark was posted in it, and bring their stored term totals up to date,
    in the same transaction."""
    result = post_section(session, actor=actor, section_id=section_id)
    section = session.get(Section, section_id)
    assert section is not None
    students = session.exec(
        select(Enrollment.student_id).where(
            Enrollment.section_id == section_id,
            Enrollment.grade_status == GradeStatus.POSTED.value,
        )
    ).all()
    decisions = decide_many(
        session, actor=actor, terms_by_student=dict.fromkeys(set(students), (section.term_id,))
    )
    _audit_decisions(session, actor, decisions)
    # The posted students' stored figures, now: grading week's last postings leave a report
    # nothing to recompute.
    totals.refresh(session, students=set(students))
    return result


def override_standing(
    session: Session,
    *,
    actor: Actor,
    student_number: str,
    term_code: str,
    standing: str,
    reason: str,
) -> AcademicStanding:
    """A registrar sets the standing of a decided term, with a reason kept on the row and in the
    audit. Raises ValidationFailed, NotFound, PermissionDenied."""
    authorize(actor, Action.GRADE_CHANGE)
    text = reason.strip()
    if not text:
        raise ValidationFailed("reason", "a standing override needs a reason.")
    level = standing.strip().lower()
    if level not in LABELS:
        raise ValidationFailed("standing", f"{standing!r} is not a standing ({', '.join(LABELS)}).")
    row = session.exec(
        select(AcademicStanding)
        .join(Student, col(Student.id) == col(AcademicStanding.student_id))
        .join(Term, col(Term.id) == col(AcademicStanding.term_id))
        .where(Student.student_number == student_number, Term.code == term_code.upper())
    ).first()
    if row is None:
        raise NotFound(
            f"Student {student_number} has no standing decided for {term_code}: post the "
            "term's marks first."
        )
    before = audit.snapshot(row, ["standing", "override_reason"])
    row.standing, row.override_reason = level, text
    row.version += 1
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="standing.override",
        entity=ENTITY,
        entity_id=row.id,
        student_id=row.student_id,
        before=before,
        after=audit.snapshot(row, ["standing", "override_reason"]) | {"term": term_code.upper()},
        reason=text,
    )
    return row

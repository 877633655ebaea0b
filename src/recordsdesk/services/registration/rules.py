"""The registration checks, as pure functions over a snapshot of what the registrar would look at.

`services.registration.register` reads a `Situation` (the student, the term, the section, the
student's other enrollments, holds, grading scales) in a few queries and hands it to
`run_checks`, which returns every failed check in plain words, not only the first: the clerk
tells the student all that stands in the way at once. Keeping the rules free of the database
makes each one a few lines and lets the waitlist's seat acceptance re-run the same rules with
capacity left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum

from recordsdesk.models import EnrollmentStatus, GradeStatus, StudentStatus, TermStatus
from recordsdesk.services.shared.errors import RecordsError


class Check(StrEnum):
    """One rule a registration must pass; the value is the code carried by a refusal."""

    STATUS = "status"
    WINDOW = "window"
    HOLD = "hold"
    PREREQUISITE = "prerequisite"
    DUPLICATE = "duplicate"
    REPEAT_LIMIT = "repeat_limit"
    CAPACITY = "capacity"
    TIME_CONFLICT = "time_conflict"
    CREDIT_LOAD = "credit_load"


#: Refusals no override lifts: the record itself must change first (admit the student, return
#: them from leave) or the request makes no sense (the same course twice in one term).
NOT_OVERRIDABLE = frozenset({Check.STATUS, Check.DUPLICATE})
REGISTERABLE_STATUSES = frozenset({StudentStatus.ADMITTED.value, StudentStatus.ACTIVE.value})
OPEN_TERM_STATUSES = frozenset({TermStatus.REGISTRATION_OPEN.value, TermStatus.IN_PROGRESS.value})
#: Enrollments that count as taking a course: a seat (or a place in line) held now or earlier.
TAKING = frozenset({EnrollmentStatus.REGISTERED.value, EnrollmentStatus.WAITLISTED.value})
#: Enrollments that count as an attempt at a course for the repeat limit.
ATTEMPTS = frozenset(
    {
        EnrollmentStatus.REGISTERED.value,
        EnrollmentStatus.COMPLETED.value,
        EnrollmentStatus.WITHDRAWN.value,
    }
)


@dataclass(frozen=True)
class Failure:
    """A failed check: its code and the sentence the clerk reads to the student."""

    check: Check
    message: str

    @property
    def overridable(self) -> bool:
        return self.check not in NOT_OVERRIDABLE


class RegistrationRefused(RecordsError):
    """The registration was refused; `failures` lists every failed check in plain words.

    `waitlist_open` is set when the only thing about capacity is that the section is full and its
    waitlist has room: the desk offers the waitlist instead."""

    def __init__(self, failures: tuple[Failure, ...], *, waitlist_open: bool = False) -> None:
        lines = "; ".join(f.message for f in failures)
        super().__init__(f"Registration refused: {lines}")
        self.failures = failures
        self.waitlist_open = waitlist_open

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.check.value for f in self.failures)

    @property
    def overridable(self) -> bool:
        return all(f.overridable for f in self.failures)


@dataclass(frozen=True)
class Meeting:
    days: str
    start: time | None
    end: time | None

    def overlaps(self, other: Meeting) -> bool:
        """Same day and the times cross (a class ending at 10:00 and one starting then do not)."""
        if not set(self.days) & set(other.days):
            return False
        if None in (self.start, self.end, other.start, other.end):
            return False
        assert self.start and self.end and other.start and other.end
        return self.start < other.end and other.start < self.end

    def words(self) -> str:
        if not self.days:
            return "no set meeting time"
        if self.start is None or self.end is None:
            return self.days
        return f"{self.days} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Taken:
    """One of the student's enrollments, as the checks need it."""

    enrollment_id: int
    course_id: int
    course_code: str
    term_id: int
    term_code: str
    term_start: date
    section_id: int
    section_code: str
    status: str
    grade_status: str
    mark: str | None
    credits: Decimal
    meeting: Meeting


@dataclass(frozen=True)
class Requirement:
    """A prerequisite: the course required, its minimum mark and how the marks rank on the
    required course's scale (lower ranks better: minus the points, or the mark's place on a
    scale without points)."""

    course_id: int
    course_code: str
    min_mark: str
    ranks: dict[str, Decimal]
    passing: frozenset[str]
    transfer_marks: tuple[str, ...]  # marks of transfer credit accepted as this course

    def meets(self, mark: str | None) -> bool:
        if mark is None or mark not in self.passing:
            return False
        rank, needed = self.ranks.get(mark), self.ranks.get(self.min_mark)
        if needed is None:
            return True  # a minimum the scale does not know: any passing mark is enough
        return rank is not None and rank <= needed


@dataclass(frozen=True)
class Situation:
    """Everything the checks read, gathered once per registration."""

    student_name: str
    student_status: str
    term_id: int
    term_code: str
    term_status: str
    term_start: date
    add_deadline: date | None
    course_id: int
    course_code: str
    course_credits: Decimal
    repeat_limit: int
    section_code: str
    capacity: int
    seats_taken: int  # registered plus seats held for the waitlist
    seats_held: int  # seats offered to (or owed to) students waiting in line
    waitlisted: int
    waitlist_capacity: int
    meeting: Meeting
    max_credit_load: Decimal
    holds: tuple[str, ...]  # the blocking holds, in words
    requirements: tuple[Requirement, ...]
    taken: tuple[Taken, ...]  # the student's enrollments, this one excluded
    today: date

    @property
    def full(self) -> bool:
        return self.seats_taken >= self.capacity

    @property
    def waitlist_has_room(self) -> bool:
        return self.waitlisted < self.waitlist_capacity

    def registered_this_term(self) -> list[Taken]:
        return [
            t
            for t in self.taken
            if t.term_id == self.term_id and t.status == EnrollmentStatus.REGISTERED.value
        ]


def _credits(value: Decimal) -> str:
    return f"{value.normalize():f}"


def check_status(s: Situation) -> Failure | None:
    if s.student_status in REGISTERABLE_STATUSES:
        return None
    status = s.student_status.replace("_", " ")
    why = {
        StudentStatus.APPLICANT.value: "admit the student first",
        StudentStatus.ON_LEAVE.value: "return the student from leave first",
        StudentStatus.SUSPENDED.value: "a suspended student cannot register",
    }.get(s.student_status, "the student has left the institution")
    return Failure(Check.STATUS, f"{s.student_name} is {status}: {why}.")


def check_window(s: Situation) -> Failure | None:
    if s.term_status not in OPEN_TERM_STATUSES:
        status = s.term_status.replace("_", " ")
        return Failure(Check.WINDOW, f"{s.term_code} is not open for registration ({status}).")
    deadline = s.add_deadline
    if deadline is not None and s.today > deadline:
        return Failure(
            Check.WINDOW,
            f"The add deadline for {s.term_code} was {deadline.isoformat()}: "
            "only a registrar can add a course now.",
        )
    return None


def check_holds(s: Situation) -> Failure | None:
    if not s.holds:
        return None
    return Failure(Check.HOLD, f"A hold blocks registration: {'; '.join(s.holds)}.")


def prerequisite_state(s: Situation) -> tuple[list[str], list[str]]:
    """(unmet prerequisites in words, prerequisites counted provisionally in words).

    A prerequisite is met by a posted mark at or above the minimum in an earlier or the same
    course, or by transfer credit accepted as it; one still in progress (registered, no posted
    mark) in an earlier term counts provisionally until its mark is posted."""
    unmet: list[str] = []
    provisional: list[str] = []
    for req in s.requirements:
        attempts = [t for t in s.taken if t.course_id == req.course_id]
        posted = [t for t in attempts if t.grade_status == GradeStatus.POSTED.value]
        if any(req.meets(t.mark) for t in posted) or any(
            req.meets(m) or m == "TR" for m in req.transfer_marks
        ):
            continue
        running = [
            t
            for t in attempts
            if t.status == EnrollmentStatus.REGISTERED.value
            and t.grade_status != GradeStatus.POSTED.value
            and t.term_start < s.term_start
        ]
        if running:
            provisional.append(f"{req.course_code} in progress in {running[0].term_code}")
            continue
        best = ", ".join(sorted({t.mark for t in posted if t.mark}))
        had = f" (has {best})" if best else ""
        unmet.append(f"{req.course_code} with {req.min_mark} or better{had}")
    return unmet, provisional


def check_prerequisites(s: Situation) -> Failure | None:
    unmet, _ = prerequisite_state(s)
    if not unmet:
        return None
    return Failure(Check.PREREQUISITE, f"{s.course_code} requires {'; '.join(unmet)}.")


def check_duplicate(s: Situation) -> Failure | None:
    same = [
        t
        for t in s.taken
        if t.course_id == s.course_id
        and t.term_id == s.term_id
        and (t.status in TAKING or t.status == EnrollmentStatus.WITHDRAWN.value)
    ]
    if not same:
        return None
    t = same[0]
    state = {
        EnrollmentStatus.WAITLISTED.value: "on the waitlist for",
        EnrollmentStatus.WITHDRAWN.value: "withdrawn from",
    }.get(t.status, "registered in")
    return Failure(
        Check.DUPLICATE,
        f"Already {state} {s.course_code} this term (section {t.section_code}).",
    )


def check_repeat_limit(s: Situation) -> Failure | None:
    """`repeat_limit` is how many times the course may be repeated after the first attempt."""
    attempts = [
        t
        for t in s.taken
        if t.course_id == s.course_id and t.term_id != s.term_id and t.status in ATTEMPTS
    ]
    if len(attempts) <= s.repeat_limit:
        return None
    terms = ", ".join(t.term_code for t in attempts)
    return Failure(
        Check.REPEAT_LIMIT,
        f"{s.course_code} may be repeated {s.repeat_limit} time(s); already taken "
        f"{len(attempts)} times ({terms}).",
    )


def check_capacity(s: Situation) -> Failure | None:
    if not s.full:
        return None
    held = f", {s.seats_held} held for the waitlist" if s.seats_held else ""
    taken = s.seats_taken - s.seats_held
    seats = f"Section {s.course_code} {s.section_code} is full ({taken} of {s.capacity}{held})"
    if s.waitlist_has_room:
        return Failure(
            Check.CAPACITY,
            f"{seats}; its waitlist has room ({s.waitlisted} of {s.waitlist_capacity} waiting).",
        )
    return Failure(Check.CAPACITY, f"{seats} and its waitlist is full too.")


def check_time_conflict(s: Situation) -> Failure | None:
    clashes = [t for t in s.registered_this_term() if t.meeting.overlaps(s.meeting)]
    if not clashes:
        return None
    names = "; ".join(f"{t.course_code} {t.section_code} ({t.meeting.words()})" for t in clashes)
    return Failure(
        Check.TIME_CONFLICT, f"{s.course_code} meets {s.meeting.words()}, clashing with {names}."
    )


def credits_this_term(s: Situation) -> Decimal:
    return sum((t.credits for t in s.registered_this_term()), Decimal("0"))


def check_credit_load(s: Situation) -> Failure | None:
    current = credits_this_term(s)
    total = current + s.course_credits
    if total <= s.max_credit_load:
        return None
    return Failure(
        Check.CREDIT_LOAD,
        f"{_credits(s.course_credits)} more credits would make {_credits(total)} this term, "
        f"over the maximum load of {_credits(s.max_credit_load)}.",
    )


RULES = (
    check_status,
    check_window,
    check_holds,
    check_prerequisites,
    check_duplicate,
    check_repeat_limit,
    check_capacity,
    check_time_conflict,
    check_credit_load,
)


def run_checks(s: Situation, *, skip: frozenset[Check] = frozenset()) -> tuple[Failure, ...]:
    """Every failed check, in the order a registrar reads them."""
    failures = []
    for rule in RULES:
        failure = rule(s)
        if failure is not None and failure.check not in skip:
            failures.append(failure)
    return tuple(failures)

"""Students with full histories: a plan per student (program, status, terms attended), then the
rows that history leaves: enrollments with marks, repeats, W/I/AU, transfer credit, the admission
application, holds, contact notes and transcript requests.

One random stream drives everything in student order, so a seed (and `today`) fixes every row
whatever the chunk size.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from recordsdesk.models import ProgramLevel, TermStatus
from recordsdesk.services.demo.catalog import (
    Catalog,
    CourseInfo,
    TermInfo,
    grading_bases,
    repeat_limit,
)
from recordsdesk.services.demo.marks import LETTER_SCALES, MarkTable
from recordsdesk.services.demo.names import NamePicker
from recordsdesk.services.demo.people import PeopleFactory, iso_day, stamp
from recordsdesk.services.demo.sections import Meeting, SectionPool
from recordsdesk.services.demo.standing import StandingPolicy, StandingStage
from recordsdesk.services.demo.students import (
    StudentPlan,
    academic_year,
    app_rows,
    extras_rows,
    plan_student,
    student_row,
)
from recordsdesk.services.demo.totals import TermTotalsRows

CLOSED = TermStatus.CLOSED.value
GRADING = TermStatus.GRADING.value
IN_PROGRESS = TermStatus.IN_PROGRESS.value
OPEN = TermStatus.REGISTRATION_OPEN.value

_UNDERGRADUATE = ProgramLevel.UNDERGRADUATE.value  # plain strings: enum lookups are slow here
_GRADUATE = ProgramLevel.GRADUATE.value
_UNIVERSITY = (_UNDERGRADUATE, _GRADUATE)
_SCHOOL = (ProgramLevel.ELEMENTARY.value, ProgramLevel.SECONDARY.value)
_UNDERGRAD_LOADS = (3, 4, 4, 4, 5)
_GRAD_LOADS = (2, 3, 3)
MAX_CREDIT_LOAD = 18.0  # the institution's default maximum load, which the demo keeps
TIMES = tuple(f" {m // 60:02d}:{m % 60:02d}:00.000000" for m in range(24 * 60))

TABLES = (
    "section",
    "student",
    "admission_application",
    "screening_item",
    "enrollment",
    "transfer_credit",
    "hold",
    "contact_note",
    "transcript_request",
    "academic_standing",
    "release_consent",
    "disclosure",
    "term_totals",
)
#: One in this many eligible marks (an elective graded on letters, in a course that allows it
#: and that no course requires first) is taken pass/no pass; chosen by enrollment id, so the
#: random stream is the one it was.
PASS_NO_PASS_EVERY = 25


@dataclass(frozen=True)
class TermDays:
    """A term's dates as text, formatted once instead of once per enrollment."""

    closed: bool
    recent: bool
    registration: list[str]  # days a student may have registered on
    drop: list[str]  # the same days continued to the add/drop deadline
    withdraw: list[str]  # days between the add/drop and withdraw deadlines
    entered: list[str]  # the five days after the term when marks are keyed
    posted: str
    incomplete_expires: str
    withdraw_now: str | None  # for the term in progress, once past add/drop


def _days(first: date, last: date) -> list[str]:
    count = max((last - first).days, 0) + 1
    return [iso_day(first + timedelta(days=k)) for k in range(count)]


def term_days(term: TermInfo, today: date, last_term_id: int, incomplete_days: int) -> TermDays:
    reg_lo = term.start - timedelta(days=80)
    reg_hi = max(min(term.start + timedelta(days=2), today), reg_lo)
    closed = term.status in (CLOSED, GRADING)
    in_progress_w = None
    if term.status == IN_PROGRESS and today > term.add_drop:
        in_progress_w = stamp(min(today, term.withdraw), 630)
    return TermDays(
        closed=closed,
        recent=closed and term.id >= last_term_id - 5,
        registration=_days(reg_lo, reg_hi),
        drop=_days(reg_lo, max(min(term.add_drop, today), reg_hi)),
        withdraw=_days(term.add_drop + timedelta(days=1), max(term.withdraw, term.add_drop)),
        entered=_days(term.end, term.end + timedelta(days=4)),
        posted=stamp(term.grades_due, 1020),
        incomplete_expires=iso_day(term.grades_due + timedelta(days=incomplete_days)),
        withdraw_now=in_progress_w,
    )


@dataclass
class Progress:
    """What the simulation knows about one student while walking their terms."""

    best: dict[int, float] = field(default_factory=dict)  # passed course -> best points
    retake: list[int] = field(default_factory=list)
    taking: set[int] = field(default_factory=set)  # courses held without a mark yet
    last_registered: str = ""  # the latest registration still running, as stored
    attempts: dict[int, int] = field(default_factory=dict)  # course -> attempts so far
    quality_points: float = 0.0
    gpa_credits: float = 0.0
    completed_terms: int = 0


class HistoryGenerator:
    def __init__(
        self,
        catalog: Catalog,
        *,
        seed: int,
        today: date,
        first_ids: dict[str, int],
        number_width: int,
        students: int,
        standing: StandingPolicy | None = None,
    ) -> None:
        self.catalog = catalog
        self.standing = standing
        self.today = today
        self.rng = random.Random(seed)
        # The counter's consents draw from their own stream, so adding them left every other
        # row of a seed's demo as it was.
        self.counter_rng = random.Random(f"{seed}:counter")
        self.ids = dict(first_ids)
        self.marks = MarkTable(catalog.mark_points)
        spec = catalog.spec
        self.people = PeopleFactory(spec, NamePicker(), spec["institution"]["email_domain"])
        self.sections = SectionPool(
            catalog, seed, first_ids["section"], catalog.staff["registrar"], students
        )
        self.program_weights = list(accumulate(p.share for p in catalog.programs))
        self.terms = catalog.terms
        terms = self.terms
        self.reg_closed = [
            i for i, t in enumerate(terms) if t.regular and t.status in (CLOSED, GRADING)
        ]
        self.current = next((i for i, t in enumerate(terms) if t.status == IN_PROGRESS), None)
        self.current_regular = self.current is not None and terms[self.current].regular
        self.next_open = next(i for i, t in enumerate(terms) if t.status == OPEN)
        reference = terms[self.current] if self.current is not None else terms[self.next_open]
        self.ay_ref = academic_year(reference)
        self.number_width = number_width
        self.term_days = {t.id: term_days(t, today, terms[-1].id, 120) for t in terms}
        self.graders = (catalog.staff["registrar"], catalog.staff["asst-registrar"])
        self.clerks = (catalog.staff["clerk"], catalog.staff["clerk2"], catalog.staff["clerk3"])
        self.credits = {cid: float(c.credits) for cid, c in catalog.courses.items()}
        self.repeat_limits = {cid: repeat_limit(c) for cid, c in catalog.courses.items()}
        self.max_load = MAX_CREDIT_LOAD
        self.prereqs = {cid: c.prereqs for cid, c in catalog.courses.items()}
        # A P meets no prerequisite's minimum mark: courses others build on stay graded.
        prerequisites = {req for c in catalog.courses.values() for req, _min in c.prereqs}
        self.pass_no_pass = {
            cid
            for cid, c in catalog.courses.items()
            if "pass_no_pass" in grading_bases(c) and cid not in prerequisites
        }
        self.required = {p.id: frozenset(p.requirements) for p in catalog.programs}
        self.posted_on = {t.id: self.term_days[t.id].posted for t in self.terms}
        self.school_base: dict[tuple[int, str], list[CourseInfo]] = {}
        self.school_alt: dict[tuple[int, str], dict[str, list[CourseInfo]]] = {}
        for key, ids in catalog.school_courses.items():
            for cid in ids:
                course = catalog.courses[cid]
                if "-" in course.subject:
                    base_subject = course.subject.split("-")[0]
                    alts = self.school_alt.setdefault(key, {}).setdefault(base_subject, [])
                    alts.append(course)
                else:
                    self.school_base.setdefault(key, []).append(course)
        self.out: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}

    def standing_stage(self) -> StandingStage | None:
        """What decides the standing rows of the chunks `generate` returns (None when the
        generator was given no policy: no standing rows)."""
        if self.standing is None:
            return None
        catalog = self.catalog
        return StandingStage(
            self.standing,
            decided_at=self.posted_on,
            decided_by=self.graders[0],
            next_id=self.ids["academic_standing"],
            courses={
                cid: (catalog.scale_ids[c.scale], c.weight) for cid, c in catalog.courses.items()
            },
            terms={t.id: (n, t.status == CLOSED) for n, t in enumerate(self.terms)},
            levels={p.id: p.level for p in catalog.programs},
            totals=TermTotalsRows(self.standing, {t.id: n for n, t in enumerate(self.terms)}),
        )

    def next_id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def generate(self, first_student_id: int, count: int) -> dict[str, list[tuple[Any, ...]]]:
        """Rows for students `first_student_id` .. +count-1, sections they opened first; the
        academic_standing rows are left to the StandingStage (`standing_stage`), which makes
        them from the chunk's other rows where the chunk is written."""
        for sid in range(first_student_id, first_student_id + count):
            self._student(sid)
        out = self.out
        out["section"] = self.sections.take_rows()
        self.out = {t: [] for t in TABLES}
        return out

    # -- one student -------------------------------------------------------------------------

    def _student(self, sid: int) -> None:
        rng = self.rng
        program = rng.choices(self.catalog.programs, cum_weights=self.program_weights)[0]
        plan = plan_student(self, rng, program)
        progress = Progress()
        if program.level == _UNDERGRADUATE and plan.attended:
            self._transfer_credit(sid, plan, progress)
        last = len(plan.attended) - 1
        for position, term_index in enumerate(plan.attended):
            term = self.terms[term_index]
            mid_term_exit = position == last and plan.withdrew_mid_term
            self._term(sid, plan, progress, term, position, mid_term_exit)
        if plan.register_next is not None:
            self._term(
                sid, plan, progress, self.terms[plan.register_next], len(plan.attended), False
            )
        self.out["student"].append(student_row(self, rng, sid, plan, progress))
        app_rows(self, rng, sid, plan)
        extras_rows(self, rng, sid, plan, progress.last_registered)

    def _transfer_credit(self, sid: int, plan: StudentPlan, progress: Progress) -> None:
        rng = self.rng
        if rng.random() >= 0.09:
            return
        spec = self.catalog.spec
        source = rng.choice(spec["transfer_sources"])
        for code, title, units, equivalent in rng.sample(
            spec["transfer_courses"], rng.randint(1, 3)
        ):
            course = self.catalog.by_code.get(equivalent) if equivalent else None
            if course is not None:
                progress.best[course.id] = 3.0
            self.out["transfer_credit"].append(
                (self.next_id("transfer_credit"), sid, source, code, title, f"{float(units):.2f}",
                 "TR", course.id if course else None, iso_day(plan.admitted_on),
                 self.graders[0])
            )  # fmt: skip

    def _choose_courses(
        self, plan: StudentPlan, progress: Progress, term: TermInfo, position: int
    ) -> list[CourseInfo]:
        """Repeats of failed courses first, then the program's requirements in order once their
        prerequisites are met, then electives; school students take their grade's subjects."""
        rand = self.rng.random
        courses = self.catalog.courses
        program = plan.program
        if program.level in _SCHOOL:
            key = (plan.grade_at(term), "A" if term.season == "FA" else "B")
            alts = self.school_alt.get(key, {})
            advanced = (plan.ability - 2.6) * 0.6
            chosen = []
            for course in self.school_base.get(key, ()):
                options = alts.get(course.subject)
                if options and rand() < advanced:
                    course = options[-1] if plan.ability > 3.5 else options[0]
                chosen.append(course)
            return chosen
        if term.season == "SU":
            load = 1 + int(rand() * 2)
        elif program.level == _GRADUATE:
            load = _GRAD_LOADS[int(rand() * 3)]
        else:
            load = _UNDERGRAD_LOADS[int(rand() * 5)]
        best = progress.best
        taking = progress.taking
        prereqs = self.prereqs
        limits = self.repeat_limits
        attempts = progress.attempts
        picked = [cid for cid in progress.retake if attempts.get(cid, 0) <= limits[cid]][:load]
        progress.retake = []
        best_get = best.get
        # Loops rather than all(...) over generators: this runs for every term of every student.
        for cid in program.requirements:
            if len(picked) >= load:
                break
            if cid in best or cid in picked or cid in taking:
                continue
            for req, need in prereqs[cid]:
                if best_get(req, -1.0) < need:
                    break
            else:
                picked.append(cid)
        electives = program.electives
        count = len(electives)
        tries = 0
        while len(picked) < load and tries < 10 and count:
            tries += 1
            cid = electives[int(rand() * count)]
            if cid in best or cid in picked or cid in taking:
                continue
            for req, need in prereqs[cid]:
                if best_get(req, -1.0) < need:
                    break
            else:
                picked.append(cid)
        thesis = program.thesis
        if (
            thesis is not None
            and position >= 2
            and term.season != "SU"
            and thesis not in picked
            and thesis not in taking
            and thesis not in best
            and attempts.get(thesis, 0) <= limits[thesis]
        ):
            picked.append(thesis)
        return [courses[cid] for cid in picked]

    def _term(
        self, sid: int, plan: StudentPlan, progress: Progress, term: TermInfo, position: int,
        mid_term_exit: bool,
    ) -> None:  # fmt: skip
        rng = self.rng
        rand = rng.random
        days = self.term_days[term.id]
        status = term.status
        closed = days.closed
        university = plan.program.level in _UNIVERSITY
        graders = self.graders
        grader, assistant = graders
        enrollments = self.out["enrollment"]
        reg_days = days.registration
        reg_count = len(reg_days)
        drop_days = days.drop
        graded_any = False
        ids = self.ids
        busy: list[Meeting] = []
        credit_load = 0.0
        # Bound once per term: the loop below runs for every enrollment of the build, and
        # attribute lookups and method binding are a good part of its cost.
        course_credit, max_load, place = self.credits, self.max_load, self.sections.place
        attempts, taking, best = progress.attempts, progress.taking, progress.best
        registering = status == OPEN
        term_closed = status == CLOSED
        draw = self.marks.draw
        ability, fail_chance = plan.ability, plan.fail_chance
        recent = days.recent
        withdraw_now = days.withdraw_now
        entered_days = days.entered
        posted_on = days.posted
        pass_no_pass = self.pass_no_pass
        required = self.required[plan.program.id]
        for course in self._choose_courses(plan, progress, term, position):
            course_id = course.id
            course_credits = course_credit[course_id]
            if credit_load + course_credits > max_load:
                continue
            placed = place(term, course, registering, busy)
            if placed is None:
                continue  # no free time for it this term: the student takes it another time
            section_id, waitlist = placed
            if not waitlist:
                credit_load += course_credits
            reg_index = int(rand() * reg_count)
            registered_at = reg_days[reg_index] + TIMES[480 + int(rand() * 600)]
            changed = mark = None
            basis = "graded"
            grade_status = "none"
            entered_at = entered_by = posted_at = posted_by = expires = None
            state = "registered"
            roll = rand()
            if waitlist:
                state = "waitlisted"
            elif mid_term_exit:
                state, mark, grade_status = "withdrawn", "W", "posted"
                changed = stamp(plan.departed_on or term.withdraw, 600)
                posted_at, posted_by = changed, grader
            elif roll < 0.012 and university and self.sections.release(term, course, section_id):
                state = "dropped"
                drop_index = min(reg_index + 1 + int(rand() * 8), len(drop_days) - 1)
                changed = drop_days[drop_index] + TIMES[660]
            elif closed and roll < 0.035 and university:
                state, mark, grade_status = "withdrawn", "W", "posted"
                changed = days.withdraw[int(rand() * len(days.withdraw))] + TIMES[630]
                posted_at, posted_by = changed, assistant
            elif withdraw_now is not None and roll < 0.02 and university:
                state, mark, grade_status = "withdrawn", "W", "posted"
                changed = withdraw_now
                posted_at, posted_by = changed, assistant
            elif closed:
                scale = course.scale
                if recent and roll < 0.045 and university and scale in LETTER_SCALES:
                    mark = "I"
                    expires = days.incomplete_expires
                elif roll < 0.05 and university and scale in LETTER_SCALES and course.number < 300:
                    mark, basis = "AU", "audit"
                else:
                    mark, points, passed = draw(rng, scale, ability, fail_chance)
                    if (
                        university
                        and ids["enrollment"] % PASS_NO_PASS_EVERY == 0
                        and course_id in pass_no_pass
                        and course_id not in required
                    ):
                        mark, basis = ("P" if passed else "NP"), "pass_no_pass"
                    if passed:
                        previous = best.get(course_id, -1.0)
                        best[course_id] = max(previous, points or 4.0)
                    elif mark != "IP":
                        progress.retake.append(course_id)
                    if basis == "graded" and scale in LETTER_SCALES:
                        progress.quality_points += points * course_credits
                        progress.gpa_credits += course_credits
                entered_at = entered_days[int(rand() * 5)] + TIMES[540 + int(rand() * 480)]
                entered_by = graders[int(rand() * 2)]
                if term_closed:
                    state, grade_status = "completed", "posted"
                    posted_at, posted_by = posted_on, grader
                elif rand() < 0.25:
                    mark = entered_at = entered_by = expires = None
                else:
                    grade_status = "entered"
                graded_any = True
            if state == "registered" or state == "completed" or state == "withdrawn":
                attempts[course_id] = attempts.get(course_id, 0) + 1
            if mark is None and (state == "registered" or state == "waitlisted"):
                taking.add(course_id)
                if registered_at > progress.last_registered:
                    progress.last_registered = registered_at
            enrollment_id = ids["enrollment"]
            ids["enrollment"] = enrollment_id + 1
            enrollments.append(
                (enrollment_id, sid, section_id, state, registered_at, changed,
                 waitlist or None, course.credits, mark, grade_status, entered_at, entered_by,
                 posted_at, posted_by, expires, "", 1, basis)
            )  # fmt: skip
        if graded_any:
            progress.completed_terms += 1

"""The plan of one demo student (program, status, terms attended, dates) and the rows around
the enrollments: the student row itself, the admission application with its checklist, holds,
contact notes and transcript requests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from recordsdesk.models import ProgramLevel, StudentStatus, TermStatus
from recordsdesk.services.demo.catalog import ProgramInfo, TermInfo
from recordsdesk.services.demo.people import iso_day, showcase_identity, stamp

if TYPE_CHECKING:
    from recordsdesk.services.demo.history import HistoryGenerator, Progress

S = StudentStatus
# Plain strings: compared per student, and enum attribute lookups are slow in a hot loop.
_APPLICANT = S.APPLICANT.value
_ADMITTED = S.ADMITTED.value
_ACTIVE = S.ACTIVE.value
_ON_LEAVE = S.ON_LEAVE.value
_WITHDRAWN = S.WITHDRAWN.value
_SUSPENDED = S.SUSPENDED.value
_GRADUATED = S.GRADUATED.value
_TRANSFERRED_OUT = S.TRANSFERRED_OUT.value
_UNIVERSITY_STATUS = ((S.APPLICANT, 5), (S.ADMITTED, 4), (S.ACTIVE, 57), (S.ON_LEAVE, 2),
                      (S.WITHDRAWN, 6), (S.SUSPENDED, 1.5), (S.GRADUATED, 21),
                      (S.TRANSFERRED_OUT, 3.5))  # fmt: skip
_SECONDARY_STATUS = ((S.APPLICANT, 4), (S.ADMITTED, 3), (S.ACTIVE, 74), (S.ON_LEAVE, 0.5),
                     (S.WITHDRAWN, 4), (S.SUSPENDED, 0.5), (S.GRADUATED, 10),
                     (S.TRANSFERRED_OUT, 4))  # fmt: skip
_ELEMENTARY_STATUS = ((S.APPLICANT, 5), (S.ADMITTED, 4), (S.ACTIVE, 81), (S.ON_LEAVE, 0.5),
                      (S.WITHDRAWN, 3.5), (S.TRANSFERRED_OUT, 6))  # fmt: skip


def _cum(pairs: tuple[tuple[StudentStatus, float], ...]) -> tuple[list[str], list[float]]:
    total, cum = 0.0, []
    for _, weight in pairs:
        total += weight
        cum.append(total)
    return [s.value for s, _ in pairs], cum


_STATUS_CHOICES = {
    ProgramLevel.UNDERGRADUATE.value: _cum(_UNIVERSITY_STATUS),
    ProgramLevel.GRADUATE.value: _cum(_UNIVERSITY_STATUS),
    ProgramLevel.SECONDARY.value: _cum(_SECONDARY_STATUS),
    ProgramLevel.ELEMENTARY.value: _cum(_ELEMENTARY_STATUS),
}
_SCHOOL = (ProgramLevel.ELEMENTARY.value, ProgramLevel.SECONDARY.value)


def academic_year(term: TermInfo) -> int:
    return term.year if term.season == "FA" else term.year - 1


@dataclass
class StudentPlan:
    program: ProgramInfo
    status: str
    attended: list[int]
    entry: TermInfo
    applied_on: date
    decision: str
    decision_on: date | None
    admitted_on: date
    ability: float
    fail_chance: float
    grade_now: int = 0
    ay_ref: int = 0
    register_next: int | None = None
    withdrew_mid_term: bool = False
    departed_on: date | None = None
    departure_reason: str = ""
    leave_start: date | None = None
    leave_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def grade_at(self, term: TermInfo) -> int:
        return self.grade_now - (self.ay_ref - academic_year(term))


def _with_summers(gen: HistoryGenerator, rng: random.Random, attended: list[int]) -> list[int]:
    if len(attended) < 2:
        return attended
    result = []
    for index in range(attended[0], attended[-1] + 1):
        term = gen.terms[index]
        if index in attended or (term.season == "SU" and rng.random() < 0.1):
            result.append(index)
    return result


def _university_terms(
    gen: HistoryGenerator, rng: random.Random, level: str, status: str
) -> tuple[list[int], int | None]:
    reg = gen.reg_closed
    n = len(reg)
    length = 8 if level == ProgramLevel.UNDERGRADUATE.value else 4
    current = gen.current
    cur_regular = current is not None and gen.terms[current].regular
    nxt = gen.next_open
    if status in (_APPLICANT, _ADMITTED):
        return [], nxt if status == _ADMITTED and rng.random() < 0.5 else None
    if status == _ACTIVE:
        k = rng.randint(0 if cur_regular else 1, min(length - 1, n))
        attended = reg[n - k :] + ([current] if cur_regular and current is not None else [])
        if current is not None and not cur_regular and rng.random() < 0.3:
            attended.append(current)
        register = nxt if rng.random() < (0.65 if gen.terms[nxt].regular else 0.2) else None
        return _with_summers(gen, rng, attended), register
    if status == _GRADUATED:
        extra = 1 if rng.random() < 0.15 else 0
        need = min(length + extra, n)
        end = n - rng.randint(0, min(2, n - need))
        return _with_summers(gen, rng, reg[end - need : end]), None
    if status == _SUSPENDED:
        k = rng.randint(min(2, n), min(length - 1, n))
        return reg[n - k :], None
    gap = rng.randint(1, 2) if status == _ON_LEAVE else rng.randint(0, min(5, n - 1))
    end = n - gap
    k = rng.randint(1, min(length - 1, end))
    return _with_summers(gen, rng, reg[end - k : end]), None


def _school_terms(
    gen: HistoryGenerator, rng: random.Random, plan: StudentPlan, status: str
) -> tuple[list[int], int | None]:
    secondary = plan.program.level == ProgramLevel.SECONDARY.value
    low, high = (6, 12) if secondary else (0, 5)
    if status == _GRADUATED:
        plan.grade_now = 12 + rng.randint(1, 2)
    else:
        plan.grade_now = rng.randint(low, high)
    if status in (_APPLICANT, _ADMITTED):
        return [], gen.next_open if status == _ADMITTED and rng.random() < 0.6 else None
    years = rng.randint(1 if status != _ACTIVE else 0, 5) + max(plan.grade_now - high, 0)
    regular = list(gen.reg_closed)
    if gen.current is not None and gen.current_regular:
        regular.append(gen.current)
    attended = [
        i for i in regular
        if academic_year(gen.terms[i]) >= plan.ay_ref - years
        and low <= plan.grade_at(gen.terms[i]) <= high
    ]  # fmt: skip
    register = None
    if status == _ACTIVE:
        register = gen.next_open if gen.terms[gen.next_open].regular else None
        return attended, register
    closed = [i for i in attended if gen.terms[i].status != TermStatus.IN_PROGRESS.value]
    if status in (_GRADUATED, _SUSPENDED):
        return closed, None
    cut = rng.randint(1, 3) if status == _ON_LEAVE else rng.randint(0, len(closed))
    kept = closed[: max(len(closed) - cut, 1)] if status == _ON_LEAVE else closed[:cut]
    return kept or closed[:1], None


def plan_student(gen: HistoryGenerator, rng: random.Random, program: ProgramInfo) -> StudentPlan:
    level = program.level
    names, cum = _STATUS_CHOICES[level]
    status = rng.choices(names, cum_weights=cum)[0]
    if status == _SUSPENDED:
        ability = min(max(rng.gauss(1.6, 0.35), 0.6), 2.4)
    else:
        ability = min(max(rng.gauss(3.0, 0.5), 1.0), 4.2)
    plan = StudentPlan(
        program=program, status=status, attended=[], entry=gen.terms[gen.next_open],
        applied_on=gen.today, decision="admit", decision_on=None, admitted_on=gen.today,
        ability=ability, fail_chance=0.02 + max(0.0, 2.5 - ability) * 0.18,
        ay_ref=gen.ay_ref,
    )  # fmt: skip
    if level in _SCHOOL:
        attended, register = _school_terms(gen, rng, plan, status)
    else:
        attended, register = _university_terms(gen, rng, level, status)
    if not attended and status not in (_APPLICANT, _ADMITTED):
        status = plan.status = _ADMITTED  # the window held no term for this history
    if status == _ADMITTED and register is not None:
        status = plan.status = _ACTIVE  # the first registration activates, as at the desk
    plan.attended = attended
    plan.register_next = register
    if attended:
        plan.entry = gen.terms[attended[0]]
    entry = plan.entry
    today = gen.today
    applied = entry.start - timedelta(days=rng.randint(90, 240))
    plan.applied_on = min(applied, today - timedelta(days=rng.randint(1, 20)))
    if status == _APPLICANT:
        plan.decision = rng.choices(("pending", "waitlist", "deny"), cum_weights=(70, 85, 100))[0]
    if plan.decision != "pending":
        decided = plan.applied_on + timedelta(days=rng.randint(14, 60))
        plan.decision_on = min(decided, today, entry.start - timedelta(days=1))
        plan.decision_on = max(plan.decision_on, plan.applied_on)
    plan.admitted_on = plan.decision_on or plan.applied_on
    last = gen.terms[attended[-1]] if attended else None
    if last is not None and status in (_WITHDRAWN, _TRANSFERRED_OUT, _GRADUATED):
        if status == _GRADUATED:
            plan.departed_on = min(last.end + timedelta(days=8), today)
            plan.departure_reason = "Graduated"
        else:
            spec = gen.catalog.spec
            if rng.random() < 0.35:
                plan.withdrew_mid_term = True
                window = max((min(last.withdraw, today) - last.add_drop).days, 1)
                plan.departed_on = last.add_drop + timedelta(days=rng.randint(1, window))
            else:
                plan.departed_on = min(last.end + timedelta(days=rng.randint(3, 40)), today)
            if status == _WITHDRAWN:
                plan.departure_reason = rng.choice(spec["withdraw_reasons"])
            else:
                plan.departure_reason = f"Transferred to {rng.choice(spec['transfer_out_to'])}"
        plan.departed_on = max(plan.departed_on, plan.admitted_on)
    elif status == _ON_LEAVE:
        # A leave keeps its own columns: the departure ones are for leaving for good.
        plan.leave_reason = rng.choice(gen.catalog.spec["leave_reasons"])
        plan.leave_start = min(last.end + timedelta(days=1), today) if last else plan.admitted_on
    elif status == _SUSPENDED:
        plan.departure_reason = rng.choice(gen.catalog.spec["suspension_reasons"])
    return plan


def _honours(level: str, gpa: float) -> str:
    if level == ProgramLevel.UNDERGRADUATE.value:
        if gpa >= 3.9:
            return "Summa cum laude"
        if gpa >= 3.7:
            return "Magna cum laude"
        return "Cum laude" if gpa >= 3.5 else ""
    if level == ProgramLevel.GRADUATE.value:
        return "With distinction" if gpa >= 3.85 else ""
    return "With honors" if gpa >= 3.5 else ""


def _birth(gen: HistoryGenerator, rng: random.Random, plan: StudentPlan) -> date:
    level = plan.program.level
    if level in _SCHOOL:
        entry_grade = plan.grade_at(plan.entry)
        ay = academic_year(plan.entry)
        return date(ay - 6 - entry_grade, 9, 1) + timedelta(days=rng.randint(0, 364))
    if level == ProgramLevel.UNDERGRADUATE.value:
        age = 18 if rng.random() < 0.85 else rng.randint(19, 34)
    else:
        age = rng.randint(22, 38)
    return gen.people.birth_date(rng, plan.entry.start, age)


def student_row(
    gen: HistoryGenerator, rng: random.Random, sid: int, plan: StudentPlan, progress: Progress
) -> tuple[Any, ...]:
    program = plan.program
    level = program.level
    today = gen.today
    birth = _birth(gen, rng, plan)
    minor = date(birth.year + 18, birth.month, min(birth.day, 28)) > today
    international = level not in _SCHOOL and rng.random() < 0.08
    identity = gen.people.identity(
        rng, sid, iso_day(birth), minor=minor, international=international
    )
    people = gen.people
    if (
        people.showcase
        and not minor
        and level == ProgramLevel.UNDERGRADUATE.value
        and plan.status == _ACTIVE
        and plan.attended
    ):
        identity = showcase_identity(identity, people.showcase.pop(0), people.domain)
    status = plan.status
    if level in _SCHOOL:
        grade = min(plan.grade_now, 12)
        grade_level = "K" if grade == 0 else str(grade)
        class_year: int | None = plan.ay_ref + (12 - plan.grade_now) + 1
    elif level == ProgramLevel.GRADUATE.value:
        grade_level = "GR"
        class_year = academic_year(plan.entry) + 2
    else:
        grade_level = ("FR", "SO", "JR", "SR")[min(progress.completed_terms // 2, 3)]
        class_year = academic_year(plan.entry) + 4
    gpa = progress.quality_points / progress.gpa_credits if progress.gpa_credits else 0.0
    graduated = status == _GRADUATED
    admitted = status != _APPLICANT
    created = plan.applied_on
    updated = plan.departed_on or (
        gen.terms[plan.attended[-1]].grades_due if plan.attended else None
    )
    updated = min(max(updated or plan.admitted_on, created), today)
    return (
        sid,
        f"{plan.entry.year}{sid:0{gen.number_width}d}",
        *identity.values,
        program.id,
        grade_level,
        class_year,
        status,
        plan.entry.id,
        iso_day(plan.admitted_on) if admitted else None,
        iso_day(plan.departed_on) if plan.departed_on else None,
        plan.departure_reason,
        (program.award or "") if graduated else "",
        iso_day(plan.departed_on) if graduated and plan.departed_on else None,
        _honours(level, gpa) if graduated else "",
        1 if rng.random() < 0.02 else 0,
        stamp(created, rng.randint(480, 1079)),
        stamp(updated, 1080),
        1,
        iso_day(plan.leave_start) if plan.leave_start else None,
        _expected_return(gen, plan.leave_start),
        plan.leave_reason,
    )


def _expected_return(gen: HistoryGenerator, start: date | None) -> str | None:
    """The start of the first term beginning a term or more after the leave began."""
    if start is None:
        return None
    later = [term.start for term in gen.terms if term.start > start + timedelta(days=60)]
    return iso_day(min(later)) if later else iso_day(start + timedelta(days=180))


def app_rows(gen: HistoryGenerator, rng: random.Random, sid: int, plan: StudentPlan) -> None:
    """The admission application; its screening checklist for recent and pending files."""
    app_id = gen.next_id("admission_application")
    decided_by = gen.graders[0] if plan.decision_on else None
    gen.out["admission_application"].append(
        (app_id, sid, plan.program.id, plan.entry.id, iso_day(plan.applied_on), plan.decision,
         iso_day(plan.decision_on) if plan.decision_on else None, decided_by, "", 1)
    )  # fmt: skip
    if len(plan.attended) > 1:
        return
    items = gen.catalog.spec["screening"][plan.program.level]
    pending = plan.status == _APPLICANT
    horizon = max(((plan.decision_on or gen.today) - plan.applied_on).days, 0)
    for position, item in enumerate(items):
        received = not pending or rng.random() < 0.6
        day = plan.applied_on + timedelta(days=rng.randint(0, horizon))
        gen.out["screening_item"].append(
            (gen.next_id("screening_item"), app_id, item, 0 if position == len(items) - 1 else 1,
             iso_day(day) if received else None, rng.choice(gen.clerks) if received else None, "")
        )  # fmt: skip


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def extras_rows(
    gen: HistoryGenerator, rng: random.Random, sid: int, plan: StudentPlan, registered: str
) -> None:
    """Holds (some released), contact notes, transcript requests.

    Holds are placed by registrars (the role the desk requires); one that blocks registration
    comes after the student's running registrations (`registered`, a stored timestamp), as the
    desk would have refused them otherwise."""
    spec = gen.catalog.spec
    start = plan.applied_on
    end = min(plan.departed_on or gen.today, gen.today)
    status = plan.status
    hold_chance = 1.0 if status == _SUSPENDED else 0.05
    if rng.random() < hold_chance:
        holds = spec["holds"]
        kind, blocks_reg, blocks_tx, reason, release_reason = (
            holds[-1] if status == _SUSPENDED else rng.choice(holds)
        )
        placed: date | None = _day_between(rng, start, end)
        if blocks_reg and registered:
            after = date.fromisoformat(registered[:10]) + timedelta(days=1)
            placed = _day_between(rng, after, end) if after <= end else None
        if placed is not None:
            released = status != _SUSPENDED and rng.random() < 0.35 and placed < gen.today
            released_on = (
                _day_between(rng, placed + timedelta(days=1), gen.today) if released else None
            )
            gen.out["hold"].append(
                (gen.next_id("hold"), sid, kind, int(blocks_reg), int(blocks_tx), reason,
                 rng.choice(gen.graders), stamp(placed, rng.randint(480, 1019)),
                 gen.catalog.staff["admin"] if released_on else None,
                 stamp(released_on, rng.randint(480, 1019)) if released_on else None,
                 release_reason if released_on else "")
            )  # fmt: skip
    if rng.random() < 0.12:
        for _ in range(rng.randint(1, 3)):
            channel, body = rng.choice(spec["notes"])
            day = _day_between(rng, start, end)
            gen.out["contact_note"].append(
                (gen.next_id("contact_note"), sid, rng.choice(gen.clerks),
                 stamp(day, rng.randint(480, 1019)), channel, body)
            )  # fmt: skip
    chance = 0.4 if status == _GRADUATED else (0.04 if plan.attended else 0.0)
    if rng.random() < chance:
        for _ in range(rng.randint(1, 2)):
            day = _day_between(rng, min(gen.terms[plan.attended[0]].end, gen.today), gen.today)
            state = rng.choices(
                ("released", "requested", "refused", "cancelled"), cum_weights=(80, 88, 94, 100)
            )[0]
            official = 1 if rng.random() < 0.75 else 0
            released = state == "released"
            request_id = gen.next_id("transcript_request")
            # Drawn in the order the request's row always drew them, so seeds keep their demo.
            requested_at = stamp(day, rng.randint(480, 1019))
            requested_by = rng.choice(gen.clerks)
            recipient = rng.choice(spec["transcript_recipients"])
            if released:  # every copy that left the office is in the disclosure log
                gen.out["disclosure"].append(
                    (gen.next_id("disclosure"), sid, stamp(day, 1079), gen.graders[0],
                     "transcript", request_id, recipient, "", "student_request", None, "")
                )  # fmt: skip
            gen.out["transcript_request"].append(
                (request_id, sid, requested_at, requested_by, official, recipient,
                 rng.choice(("pdf", "pdf", "pdf", "print", "text")), state,
                 stamp(day, 1079) if released else None,
                 gen.graders[0] if released else None,
                 f"{rng.getrandbits(40):010X}" if released and official else "",
                 "",  # content_digest: no document was rendered for a made-up request
                 "",  # record_digest: nor any figures printed
                 "Refused: a hold blocks official transcripts" if state == "refused" else "")
            )  # fmt: skip
    consent_rows(gen, sid, start, end)


#: Who students name on a release consent, the records they cover and why.
CONSENTS = (
    ("mother", "grades", "tuition paid by the family"),
    ("father", "grades transcript", "tuition paid by the family"),
    ("guardian", "all", "guardian handles the student's affairs"),
    ("spouse", "enrollment", "health insurance"),
    ("Mayo Clinic Human Resources", "transcript enrollment", "employment check"),
    ("Minnesota Rotary Scholarship Fund", "grades enrollment", "scholarship renewal"),
    ("Wells Fargo Student Loans", "enrollment financial", "loan deferment"),
)


def consent_rows(gen: HistoryGenerator, sid: int, start: date, end: date) -> None:
    """Release consents on about one record in twenty-five: some in force, some expired (a
    year's consent signed long ago), some revoked at the counter. Drawn from the counter's
    own random stream, so the rest of the demo is the same with or without them."""
    rng = gen.counter_rng
    if rng.random() >= 0.04 or end < start:
        return
    for _ in range(rng.randint(1, 2)):
        recipient, records, purpose = rng.choice(CONSENTS)
        signed = _day_between(rng, start, end)
        until = signed + timedelta(days=365) if rng.random() < 0.6 else None
        revoked = rng.random() < 0.2 and signed < gen.today
        revoked_on = _day_between(rng, signed + timedelta(days=1), gen.today) if revoked else None
        clerk = rng.choice(gen.clerks)
        gen.out["release_consent"].append(
            (gen.next_id("release_consent"), sid, recipient, records, purpose, signed.isoformat(),
             until.isoformat() if until else None, clerk, stamp(signed, rng.randint(480, 1019)),
             clerk if revoked_on else None,
             stamp(revoked_on, rng.randint(480, 1019)) if revoked_on else None,
             "the student withdrew it at the counter" if revoked_on else "")
        )  # fmt: skip

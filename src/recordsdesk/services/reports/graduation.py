"""Graduation candidates: a degree audit of every current student near the end of a program.

A candidate is an active or on-leave student whose earned credits, with the credits they are
registered in now, reach their program's `required_credits`. Each is audited on the program's
three rules: the credit total (earned credit from `gpa.outcomes`, so repeats earn once, plus
transfer credit), every ProgramRequirement course passed at or above its `min_mark` (or
accepted as transfer credit), and the cumulative GPA at least `Program.min_gpa`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, bindparam, text
from sqlmodel import Session

from recordsdesk.models import GradeStatus
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.people import (
    CONFIDENTIAL_COLUMN,
    Person,
    person_columns,
    person_from,
    student_conditions,
)
from recordsdesk.services.reports.standing import student_figures
from recordsdesk.services.reports.table import (
    Chart,
    ReportTable,
    Value,
    confidential_note,
    decimal,
    gpa_policy,
    resolve_program,
    rows,
)
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.totals import SUMS, refresh

TITLE = "Graduation candidates (degree audit)"
COLUMNS = (
    "Student no.",
    "Name",
    "Program",
    "Earned",
    "In progress",
    "Required",
    "Credits",
    "GPA",
    "Min GPA",
    "GPA check",
    "Courses missing",
    "Courses in progress",
    "Result",
    CONFIDENTIAL_COLUMN,
)
ELIGIBLE = "Meets every requirement"
PENDING = "Meets every requirement once in-progress courses pass"
_CHUNK = 2000
# Current students of a program with a credit requirement (elementary ones have none).
_CURRENT = (
    "student.status IN ('active', 'on_leave') AND p.required_credits > 0 "
    "AND p.level <> 'elementary'"
)
_EXPAND: BindParameter[Any] = bindparam("ids", expanding=True)
# A candidate's Person (people.person_from reads them back), from the statement's own join.
_PERSON = person_columns("student", "p")
# The stored figures through the student's latest term, in Totals order.
_THROUGH = ", ".join(f"tt.cum_{s}" for s in SUMS)
_NONE: frozenset[str] = frozenset()
_UNPOSTED = ", ".join(f"'{s.value}'" for s in GradeStatus if s is not GradeStatus.POSTED)


@dataclass(frozen=True)
class _Candidate:
    person: Person
    needed: Decimal
    min_gpa: Decimal | None
    earned: Decimal
    progress: Decimal
    gpa: Decimal | None


def _chunked(session: Session, sql: str, ids: list[int]) -> list[Any]:
    statement = text(sql).bindparams(_EXPAND)
    found: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        found.extend(session.execute(statement, {"ids": ids[start : start + _CHUNK]}).all())
    return found


def _by_student(session: Session, sql: str, params: dict[str, Any]) -> dict[int, Decimal]:
    return {int(sid): decimal(value) for sid, value in rows(session, sql, params)}


def _fmt(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _join(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def graduation_candidates(
    session: Session,
    *,
    actor: Actor,
    program_code: str | None = None,
    directory_only: bool = False,
) -> ReportTable:
    """The audit of each candidate: what is met and what is missing, eligible students first.
    Raises ValidationFailed for an unknown program."""
    authorize(actor, Action.REPORT_RUN)
    policy = gpa_policy(session)
    program = resolve_program(session, program_code) if program_code else None
    narrow, params = student_conditions(session, program=program, directory_only=directory_only)
    refresh(session)
    # Near the program's credits by the stored sums first, exact after. The programs lead
    # (CROSS JOIN fixes SQLite's order): each reads one index range of (latest, program, credits
    # toward the degree) instead of every student's latest row, which at a million students
    # is a million random reads of term_totals.
    found = rows(
        session,
        f"SELECT {_PERSON}, {_THROUGH}, tt.cum_in_progress, p.required_credits, p.min_gpa "
        "FROM program p CROSS JOIN term_totals tt CROSS JOIN student "
        f"WHERE {_CURRENT} AND tt.latest = TRUE AND tt.program_id = p.id "
        "AND tt.toward_degree >= p.required_credits - 0.001 "
        f"AND student.id = tt.student_id AND student.program_id = p.id{narrow}",
        params,
    )
    # A student with transfer credit and no enrollment yet has no stored row. The credits lead
    # (a few per student with any) rather than every current student.
    found += rows(
        session,
        f"SELECT {_PERSON}, 0, SUM(tc.credits), 0, 0, 0, 0, p.required_credits, p.min_gpa "
        "FROM transfer_credit tc CROSS JOIN student CROSS JOIN program p "
        "WHERE NOT EXISTS (SELECT 1 FROM term_totals tt WHERE tt.student_id = tc.student_id) "
        "AND student.id = tc.student_id AND p.id = student.program_id "
        f"AND {_CURRENT}{narrow} "
        f"GROUP BY {_PERSON}, p.required_credits, p.min_gpa",
        params,
    )
    candidates: list[_Candidate] = []
    for row in found:
        through = Totals(*(decimal(v) for v in row[8:13]))
        progress, needed = decimal(row[13]), decimal(row[14])
        if through.credits_earned + progress >= needed:
            candidates.append(
                _Candidate(
                    person_from(row),
                    needed,
                    None if row[15] is None else decimal(row[15], "0.01"),
                    through.credits_earned,
                    progress,
                    through.gpa(policy.rounding, policy.decimals),
                )
            )
    ids = sorted(c.person.id for c in candidates)
    required = _requirements(session)
    passed = _met(session, ids)
    missing_of = {
        c.person.id: {
            code: mark
            for code, mark in required.get(c.person.program_code, {}).items()
            if code not in passed.get(c.person.id, _NONE)
        }
        for c in candidates
    }
    # Courses in progress matter only where a required course is missing.
    taking = _taking(session, sorted(sid for sid, missing in missing_of.items() if missing))
    table: list[tuple[Value, ...]] = []
    for cand in candidates:
        person, needed, min_gpa, gpa_value = cand.person, cand.needed, cand.min_gpa, cand.gpa
        if cand.earned >= needed:
            credits_check, credits_gap = "met", ""
        else:
            credits_check = f"short {_fmt(needed - cand.earned)}, in progress"
            credits_gap = "credits"
        gpa_ok = min_gpa is None or (gpa_value is not None and gpa_value >= min_gpa)
        gpa_check = "met" if gpa_ok else ("no GPA yet" if gpa_value is None else "below minimum")
        missing = missing_of[person.id]
        pending = {c for c in missing if c in taking.get(person.id, _NONE)}
        unmet = [f"{c} ({m} or better)" if m else c for c, m in sorted(missing.items())]
        not_in_progress = sorted(set(missing) - pending)
        if credits_gap == "" and not missing and gpa_ok:
            result = ELIGIBLE
        elif gpa_ok and not not_in_progress:
            result = PENDING
        else:
            gaps = [] if gpa_ok else [f"GPA below {min_gpa}"]
            if not_in_progress:
                count = len(not_in_progress)
                gaps.append(f"{count} required course{'s' if count != 1 else ''}")
            result = "Missing: " + "; ".join(gaps)
        table.append(
            (
                person.number,
                person.name,
                person.program_code,
                _fmt(cand.earned),
                _fmt(cand.progress),
                _fmt(needed),
                credits_check,
                gpa_value,
                min_gpa,
                gpa_check,
                ", ".join(unmet),
                _join(pending),
                result,
                person.flag,
            )
        )
    rank = {ELIGIBLE: 0, PENDING: 1}
    table.sort(key=lambda r: (rank.get(str(r[12]), 2), str(r[2]), str(r[1]), str(r[0])))
    eligible = sum(1 for r in table if r[12] == ELIGIBLE)
    pending_count = sum(1 for r in table if r[12] == PENDING)
    return ReportTable(
        name="graduation",
        title=TITLE,
        subtitle=f"{len(table)} candidates"
        + (f" in {program.code}" if program else "")
        + f": {eligible} eligible now, {pending_count} once in-progress courses pass",
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=(
            "Candidates: active or on-leave students whose earned credits plus credits in "
            "progress reach their program's required credits.",
            "Earned credits follow the transcript (repeat policy "
            f"{policy.repeat_policy}: a course earns its credit once) plus transfer credit. A "
            "required course is met by any passing attempt at or above its minimum mark on the "
            "course's scale, or by transfer credit accepted as that course.",
            confidential_note(sum(1 for r in table if r[-1]), directory_only),
        ),
        chart=Chart(
            "Candidates",
            (
                ("Eligible now", eligible),
                ("Once in progress passes", pending_count),
                ("Missing something", len(table) - eligible - pending_count),
            ),
        ),
    )


def _requirements(session: Session) -> dict[str, dict[str, str]]:
    """program code -> {required course code: minimum mark ('' for any pass)}: a few hundred
    rows, read once rather than once per student."""
    found: dict[str, dict[str, str]] = {}
    for program_code, code, min_mark in rows(
        session,
        "SELECT p.code, c.code, COALESCE(r.min_mark, '') FROM program_requirement r "
        "JOIN program p ON p.id = r.program_id JOIN course c ON c.id = r.course_id",
    ):
        found.setdefault(program_code, {})[code] = min_mark
    return found


def _met(session: Session, ids: list[int]) -> dict[int, set[str]]:
    """student -> required course codes passed at or above the minimum (or transferred)."""
    found: dict[int, set[str]] = {}
    for sid, code in _chunked(
        session,
        "SELECT e.student_id, c.code FROM enrollment e JOIN student s ON s.id = e.student_id "
        "JOIN section sec ON sec.id = e.section_id "
        "JOIN program_requirement r ON r.program_id = s.program_id AND r.course_id = sec.course_id "
        "JOIN course c ON c.id = sec.course_id "
        "JOIN grade_mark gm ON gm.scale_id = c.grading_scale_id AND gm.mark = e.mark "
        "LEFT JOIN grade_mark mm ON mm.scale_id = c.grading_scale_id AND mm.mark = r.min_mark "
        "WHERE e.grade_status = 'posted' AND gm.is_passing "
        "AND (mm.id IS NULL OR gm.sort_order <= mm.sort_order) AND e.student_id IN :ids "
        "UNION SELECT tc.student_id, c.code FROM transfer_credit tc "
        "JOIN student s ON s.id = tc.student_id "
        "JOIN program_requirement r ON r.program_id = s.program_id "
        "AND r.course_id = tc.equivalent_course_id JOIN course c ON c.id = r.course_id "
        "WHERE tc.student_id IN :ids",
        ids,
    ):
        found.setdefault(int(sid), set()).add(code)
    return found


def _taking(session: Session, ids: list[int]) -> dict[int, set[str]]:
    """student -> course codes they are registered in now (marks not yet posted). The statuses
    short of posted are named, so each student's (student_id, grade_status) index ranges hold
    only their current courses, not every mark of their record."""
    found: dict[int, set[str]] = {}
    for sid, code in _chunked(
        session,
        "SELECT e.student_id, c.code FROM enrollment e JOIN section sec ON sec.id = e.section_id "
        "JOIN course c ON c.id = sec.course_id WHERE e.status = 'registered' "
        f"AND e.grade_status IN ({_UNPOSTED}) AND e.student_id IN :ids",
        ids,
    ):
        found.setdefault(int(sid), set()).add(code)
    return found


@dataclass(frozen=True)
class DegreeAudit:
    """One student's audit against their program, on the report's three rules."""

    program_code: str
    required_credits: Decimal
    earned_credits: Decimal
    gpa: Decimal | None
    min_gpa: Decimal | None
    missing_courses: tuple[str, ...]  # "HIS101 (C or better)"

    @property
    def credits_met(self) -> bool:
        return self.earned_credits >= self.required_credits

    @property
    def gpa_met(self) -> bool:
        return self.min_gpa is None or (self.gpa is not None and self.gpa >= self.min_gpa)

    @property
    def missing(self) -> tuple[str, ...]:
        """What stands between the student and the award, one phrase each (empty: all met)."""
        gaps: list[str] = []
        if not self.credits_met:
            gaps.append(
                f"credits: {_fmt(self.earned_credits)} of {_fmt(self.required_credits)} earned"
            )
        if not self.gpa_met:
            shown = "none yet" if self.gpa is None else str(self.gpa)
            gaps.append(f"GPA {shown}, below the program's minimum {self.min_gpa}")
        gaps.extend(f"required course {c}" for c in self.missing_courses)
        return tuple(gaps)


def degree_audit(session: Session, *, student_id: int) -> DegreeAudit | None:
    """The audit of one student against their own program, as the graduation report computes
    it for candidates (earned credit after the repeat policy plus transfer credit; required
    courses passed at their minimum mark or transferred; the cumulative GPA). None when the
    student has no program."""
    found = rows(
        session,
        "SELECT p.code, p.required_credits, p.min_gpa FROM student s "
        "JOIN program p ON p.id = s.program_id WHERE s.id = :sid",
        {"sid": student_id},
    )
    if not found:
        return None
    code, needed, min_gpa = found[0]
    policy = gpa_policy(session)
    scope, params = "SELECT :audit_sid", {"audit_sid": student_id}
    figure = student_figures(
        session, scope=scope, params=params, repeat_policy=policy.repeat_policy
    ).get(student_id)
    transfer = _by_student(
        session,
        "SELECT student_id, SUM(credits) FROM transfer_credit "
        "WHERE student_id = :audit_sid GROUP BY student_id",
        params,
    )
    zero = Decimal(0)
    earned = (figure.through.credits_earned if figure else zero) + transfer.get(student_id, zero)
    required = _requirements(session).get(str(code), {})
    passed = _met(session, [student_id]).get(student_id, set())
    unmet = tuple(
        f"{c} ({m} or better)" if m else c for c, m in sorted(required.items()) if c not in passed
    )
    return DegreeAudit(
        program_code=str(code),
        required_credits=decimal(needed),
        earned_credits=earned,
        gpa=figure.through.gpa(policy.rounding, policy.decimals) if figure else None,
        min_gpa=None if min_gpa is None else decimal(min_gpa, "0.01"),
        missing_courses=unmet,
    )

"""The academic record behind every transcript: one builder, one frozen value.

`build_transcript` reads a student's posted marks, transfer credit and registrations in a few
column-only queries (no ORM rows, so it stays fast on a million-student database) and hands the
arithmetic to `gpa`. Every renderer (text, PDF, HTML, JSON, the preview) draws from the same
value, so the figures cannot differ between what the desk shows and what prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from recordsdesk.models import (
    EnrollmentStatus,
    GradeStatus,
    ProgramLevel,
    ScaleKind,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.shared.errors import NotFound
from recordsdesk.services.shared.frozen import make_frozen
from recordsdesk.services.shared.rawsql import Statement
from recordsdesk.services.transcripts import gpa
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.meaning import rule_for
from recordsdesk.services.transcripts.rank import ClassRank, rank_in_class

NON_GRADE_SCALE = "NON-GRADE"
DEANS_LIST = "Dean's list"
GOOD_STANDING = "Good standing"
PROBATION = "Academic probation"


@dataclass(frozen=True)
class InstitutionHeader:
    name: str
    short_name: str
    address: str
    phone: str
    email: str
    website: str
    registrar_name: str
    #: Made on a practice desk: every page of every copy says PRACTICE.
    practice: bool = False


@dataclass(frozen=True)
class Policy:
    repeat_policy: str
    rounding: str
    decimals: int
    deans_list_min_gpa: Decimal
    probation_below_gpa: Decimal
    np_counts_as_f: bool = False
    deans_list_min_credits: Decimal = Decimal("0")
    print_class_rank: bool = False


@dataclass(frozen=True)
class StudentIdentity:
    student_id: int
    student_number: str
    name: str
    birth_date: date | None
    program_code: str
    program_name: str
    program_level: str
    status: str
    admission_date: date | None
    degree_conferred: str
    conferral_date: date | None
    honours: str
    #: The legal name's parts, for formats that carry them apart (PESC); `name` joins them.
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class CourseLine:
    course_code: str
    title: str
    credits: Decimal
    credits_attempted: Decimal
    credits_earned: Decimal
    mark: str
    mark_description: str
    quality_points: Decimal | None
    weighted_points: Decimal | None
    weight: Decimal
    repeated: bool
    repeat: str  # "included" or "excluded"
    grading_basis: str  # "graded" (the course's scale) or the basis the mark was given on
    #: The scale the mark is on: the course's scale code, NON-GRADE for W, I, AU and the like,
    #: or the basis's short name (P/NP) for a mark given on another basis.
    scale: str = ""


@dataclass(frozen=True)
class TermRecord:
    code: str
    name: str
    courses: tuple[CourseLine, ...]
    totals: Totals
    gpa: Decimal | None
    weighted_gpa: Decimal | None
    cumulative: Totals
    cumulative_gpa: Decimal | None
    cumulative_weighted_gpa: Decimal | None
    standing: str
    start_date: date | None = None  # when the term began (a PESC session is named by it)


def awarded_as(course_code: str, elective_level: str) -> str:
    """What a transfer credit counts as here: our course's code, `elective 200`, or blank."""
    return course_code or (f"elective {elective_level}" if elective_level else "")


@dataclass(frozen=True)
class TransferLine:
    source_institution: str
    source_course_code: str
    source_course_title: str
    equivalent_course_code: str
    credits: Decimal
    mark: str
    awarded_on: date | None
    elective_level: str = ""

    @property
    def awarded_as(self) -> str:
        """What the credit counts as here: our course's code, `elective 200`, or blank."""
        return awarded_as(self.equivalent_course_code, self.elective_level)


@dataclass(frozen=True)
class InProgressLine:
    term_code: str
    course_code: str
    title: str
    credits: Decimal


@dataclass(frozen=True)
class Transcript:
    """A student's whole academic record, computed under the institution's current policy.

    `progress_only` marks an elementary (standards-based) record: marks without any GPA.
    `weighted_available` is set when a weighted GPA means something (secondary or weighted
    courses), so renderers show it beside the unweighted one."""

    institution: InstitutionHeader
    policy: Policy
    student: StudentIdentity
    progress_only: bool
    weighted_available: bool
    transfer: tuple[TransferLine, ...]
    transfer_credits: Decimal
    terms: tuple[TermRecord, ...]
    in_progress: tuple[InProgressLine, ...]
    cumulative: Totals
    cumulative_gpa: Decimal | None
    cumulative_weighted_gpa: Decimal | None
    graduation_status: str
    class_rank: ClassRank | None = None  # secondary, when the institution prints it


# Plain SQL, compiled once: the builder runs on every preview and must stay within a couple of
# milliseconds on a million-student database, where ORM statement construction would dominate.
MARKS_SQL = (
    "SELECT m.scale_id, s.code, s.kind, m.mark, m.points, m.counts_in_gpa, m.earns_credit, "
    "m.counts_attempted, m.is_passing, m.description "
    "FROM grade_mark m JOIN grading_scale s ON s.id = m.scale_id"
)
# The student, their program, the institution's header and policies, the grading marks'
# fingerprint (see cached_rules) and whether there is transfer credit to read, in one
# statement: each statement costs more in the driver and the session than SQLite spends on
# these lookups.
_STUDENT = (
    "SELECT s.id, s.student_number, s.legal_first_name, s.legal_middle_name, s.legal_last_name, "
    "s.birth_date, s.status, s.admission_date, s.degree_conferred, s.conferral_date, s.honours, "
    "p.code, p.name, p.level, p.required_credits, "
    "i.name, i.short_name, i.address, i.phone, i.email, i.website, i.registrar_name, "
    "i.repeat_policy, i.gpa_rounding, i.gpa_decimals, i.deans_list_min_gpa, "
    "i.probation_below_gpa, (SELECT count(*) FROM grade_mark), (SELECT max(id) FROM grade_mark), "
    "EXISTS (SELECT 1 FROM transfer_credit tc WHERE tc.student_id = s.id), i.np_counts_as_f, "
    "i.deans_list_min_credits, "
    "EXISTS (SELECT 1 FROM academic_standing a WHERE a.student_id = s.id), i.print_class_rank, "
    "i.practice "
    "FROM student s LEFT JOIN program p ON p.id = s.program_id "
    "LEFT JOIN (SELECT * FROM institution ORDER BY id LIMIT 1) i ON 1 = 1 "
)
STUDENT_BY_ID_SQL = _STUDENT + "WHERE s.id = :key"
STUDENT_BY_NUMBER_SQL = _STUDENT + "WHERE s.student_number = :key"
# Each enrollment's kind: 1 a posted mark, 2 registered (in progress), 0 neither (a small number
# where two status strings would be made for every row).
POSTED_ROW, IN_PROGRESS_ROW = 1, 2
ENROLLMENTS_SQL = (
    f"SELECT e.id, CASE WHEN e.grade_status = '{GradeStatus.POSTED.value}' "
    f"AND e.mark IS NOT NULL THEN {POSTED_ROW} "
    f"WHEN e.status = '{EnrollmentStatus.REGISTERED.value}' THEN {IN_PROGRESS_ROW} ELSE 0 END, "
    "e.mark, COALESCE(e.credits, c.credits), c.id, "
    "c.code, c.title, c.weight, c.grading_scale_id, t.id, t.code, t.name, e.grading_basis, "
    "t.start_date "
    "FROM enrollment e JOIN section s ON s.id = e.section_id "
    "JOIN term t ON t.id = s.term_id JOIN course c ON c.id = s.course_id "
    "WHERE e.student_id = :sid AND e.status IN ('completed', 'withdrawn', 'registered') "
    "ORDER BY t.start_date, t.id, c.code, e.id"
)
STANDINGS_SQL = "SELECT term_id, standing FROM academic_standing WHERE student_id = :sid"
#: A stored standing as the transcript prints it (good standing leaves room for the dean's list).
STANDING_LABELS = {
    "warning": "Academic warning",
    "probation": PROBATION,
    "suspension": "Academic suspension",
    "dismissal": "Academic dismissal",
}
TRANSFER_SQL = (
    "SELECT tc.source_institution, tc.source_course_code, tc.source_course_title, c.code, "
    "tc.credits, tc.mark, tc.awarded_on, tc.elective_level "
    "FROM transfer_credit tc LEFT JOIN course c ON c.id = tc.equivalent_course_id "
    "WHERE tc.student_id = :sid ORDER BY tc.awarded_on, tc.id"
)


#: (scale id, mark) -> rule; scale id -> kind; scale id -> code.
RulesByMark = tuple[dict[tuple[int, str], gpa.MarkRule], dict[int, str], dict[int, str]]


_STATEMENTS: dict[str, Statement] = {}


def _rows(
    session: Session | Connection, sql: str, params: dict[str, Any] | None = None
) -> list[Any]:
    """Run plain SQL on the session's own connection (and transaction) through the driver,
    each statement's driver text prepared once per database kind."""
    statement = _STATEMENTS.get(sql)
    if statement is None:
        statement = _STATEMENTS[sql] = Statement(sql)
    if isinstance(session, Connection):
        return statement.rows_on(session, params)
    return statement.rows(session, params)


# NUMERIC values repeat (a record has a handful of distinct credits and weights): convert each
# once. Keyed with the type, since 3 and 3.0 are equal keys but print differently as Decimals.
_DECIMALS: dict[tuple[type, Any], Decimal] = {}


def _decimal(value: Any) -> Decimal:
    """A NUMERIC column as Decimal: PostgreSQL returns Decimal, SQLite a float or int whose
    shortest repr is the stored two-decimal value."""
    key = (value.__class__, value)
    found = _DECIMALS.get(key)
    if found is None:
        if isinstance(value, Decimal):
            return value
        found = Decimal(str(value))
        if len(_DECIMALS) < 10_000:
            _DECIMALS[key] = found
    return found


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


def _day(value: Any) -> date | None:
    """A DATE column: a date on PostgreSQL, ISO text on SQLite."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _full_name(first: str, middle: str, last: str) -> str:
    return " ".join(part for part in (first, middle, last) if part)


def _standing(
    policy: Policy,
    term_gpa: Decimal | None,
    cumulative: Decimal | None,
    gpa_credits: Decimal,
    stored: str | None,
) -> str:
    """The standing decided at posting when there is one (services.transcripts.standing), else
    probation on the cumulative GPA; then the dean's list on the term GPA (with the term's
    minimum GPA credits); otherwise good standing."""
    if stored is not None and stored in STANDING_LABELS:
        return STANDING_LABELS[stored]
    if stored is None and cumulative is not None and cumulative < policy.probation_below_gpa:
        return PROBATION
    if (
        term_gpa is not None
        and term_gpa >= policy.deans_list_min_gpa
        and gpa_credits >= policy.deans_list_min_credits
    ):
        return DEANS_LIST
    if cumulative is None:
        return ""
    return GOOD_STANDING


# Grading scales are reference data (seeded, never edited by a service): the rules are read once
# per database and re-read when the marks' fingerprint (count, highest id) changes.
_RULES_CACHE: WeakKeyDictionary[Engine, tuple[tuple[Any, ...], RulesByMark]] = WeakKeyDictionary()
MARKS_FINGERPRINT_SQL = "SELECT count(*), max(id) FROM grade_mark"


def cached_rules(
    session: Session | Connection, fingerprint: tuple[Any, ...] | None = None
) -> RulesByMark:
    """The mark rules; `fingerprint` when the caller read it already (the builder does, with
    the student)."""
    connection = session if isinstance(session, Connection) else session.connection()
    if fingerprint is None:
        fingerprint = tuple(_rows(connection, MARKS_FINGERPRINT_SQL)[0])
    cached = _RULES_CACHE.get(connection.engine)
    if cached is None or cached[0] != fingerprint:
        cached = (fingerprint, _mark_rules(connection))
        _RULES_CACHE[connection.engine] = cached
    return cached[1]


def _mark_rules(connection: Connection) -> RulesByMark:
    """(scale id, mark) -> rule, scale id -> kind and scale id -> code. The NON-GRADE scale is
    stored under -1."""
    rows = _rows(connection, MARKS_SQL)
    rules: dict[tuple[int, str], gpa.MarkRule] = {}
    kinds: dict[int, str] = {}
    codes: dict[int, str] = {}
    for scale_id, code, kind, mark, points, in_gpa, earns, attempted, passing, desc in rows:
        non_grade = code == NON_GRADE_SCALE
        kinds[scale_id] = kind
        codes[scale_id] = code
        rule = gpa.MarkRule(
            mark=mark,
            points=_decimal_or_none(points),
            counts_in_gpa=bool(in_gpa),
            earns_credit=bool(earns),
            counts_attempted=bool(attempted),
            is_passing=bool(passing),
            graded=not non_grade,
            description=desc,
        )
        rules[(-1 if non_grade else scale_id, mark)] = rule
    return rules, kinds, codes


def build_transcript(
    session: Session,
    *,
    actor: Actor,
    student_number: str | None = None,
    student_id: int | None = None,
    with_rank: bool = True,
) -> Transcript:
    """The student's transcript under current policy. Raises NotFound for an unknown student.
    A secondary record carries its class rank when the institution prints it (`with_rank`
    False leaves it out: the rank itself reads the classmates' records)."""
    authorize(actor, Action.TRANSCRIPT_UNOFFICIAL)
    connection = session.connection()
    if student_id is not None:
        matches = _rows(connection, STUDENT_BY_ID_SQL, {"key": student_id})
    else:
        matches = _rows(connection, STUDENT_BY_NUMBER_SQL, {"key": student_number})
    found = matches[0] if matches else None
    if found is None:
        who = student_number if student_id is None else f"id {student_id}"
        raise NotFound(f"There is no student {who}.")
    (sid, number, first, middle, last, birth, status, admitted, degree, conferred, honours) = found[
        :11
    ]
    program_code, program_name, program_level, required_credits = found[11:15]
    inst = found[15:27]
    policy = Policy(
        repeat_policy=inst[7],
        rounding=inst[8],
        decimals=int(inst[9]),
        deans_list_min_gpa=_decimal(inst[10]),
        probation_below_gpa=_decimal(inst[11]),
        np_counts_as_f=bool(found[30]),
        deans_list_min_credits=_decimal(found[31] or 0),
        print_class_rank=bool(found[33]),
    )
    header = replace(InstitutionHeader(*inst[:7]), practice=bool(found[34]))
    rules, kinds, scale_codes = cached_rules(connection, tuple(found[27:29]))
    has_transfer = bool(found[29])
    stored_standing: dict[int, str] = (
        dict(_rows(connection, STANDINGS_SQL, {"sid": sid})) if found[32] else {}
    )
    enrollments = _rows(connection, ENROLLMENTS_SQL, {"sid": sid})

    # Rows come in term order, each term's together: a term's courses are gathered as they come.
    # (attempt, code, title, mark, basis, scale code)
    by_term: dict[int, list[tuple[gpa.Attempt, str, str, str, str, str]]] = {}
    term_info: dict[int, tuple[int, str, str, Any]] = {}  # id -> (order, code, name, start)
    attempts: list[gpa.Attempt] = []
    in_progress: list[InProgressLine] = []
    scale_kinds_seen: set[str] = set()
    any_weight = False
    term_lines: list[tuple[gpa.Attempt, str, str, str, str, str]] = []
    current_term = order = -1
    for (
        eid,
        kind,
        mark,
        raw_credits,
        course_id,
        code,
        title,
        weight,
        scale_id,
        term_id,
        term_code,
        term_name,
        basis,
        term_start,
    ) in enrollments:
        credits_value = _decimal(raw_credits)
        if kind != POSTED_ROW:
            if kind == IN_PROGRESS_ROW:
                in_progress.append(InProgressLine(term_code, code, title, credits_value))
            continue
        if term_id != current_term:
            current_term = term_id
            if term_id not in by_term:
                by_term[term_id] = []
                term_info[term_id] = (len(term_info), term_code, term_name, term_start)
            term_lines = by_term[term_id]
            order = term_info[term_id][0]
        rule = rule_for(rules, scale_id, basis, mark, policy.np_counts_as_f)
        if rule.graded and basis == bases.GRADED:
            scale_kinds_seen.add(kinds.get(scale_id, ""))
        weight = _decimal(weight)
        any_weight = any_weight or weight > 0
        attempt = gpa.Attempt(eid, course_id, order, credits_value, rule, weight)
        attempts.append(attempt)
        if basis != bases.GRADED:
            scale_code = bases.short_name(basis)
        elif not rule.graded:
            scale_code = NON_GRADE_SCALE
        else:
            scale_code = scale_codes.get(scale_id, "")
        term_lines.append((attempt, code, title, mark, basis, scale_code))

    progress_only = program_level == ProgramLevel.ELEMENTARY.value or (
        bool(scale_kinds_seen) and scale_kinds_seen == {ScaleKind.STANDARDS.value}
    )
    weighted_available = not progress_only and (
        any_weight or program_level == ProgramLevel.SECONDARY.value
    )
    results = gpa.outcomes(attempts, policy.repeat_policy)

    def figure(totals: gpa.Totals, weighted: bool = False) -> Decimal | None:
        if progress_only:
            return None
        return totals.gpa(policy.rounding, policy.decimals, weighted=weighted)

    transfer_rows = _rows(connection, TRANSFER_SQL, {"sid": sid}) if has_transfer else []
    transfer = tuple(
        TransferLine(
            src, scode or "", stitle or "", equiv or "", _decimal(cr), m, _day(awarded), level or ""
        )
        for src, scode, stitle, equiv, cr, m, awarded, level in transfer_rows
    )
    transfer_credits = sum((t.credits for t in transfer), gpa.ZERO)

    running = gpa.Totals(credits_earned=transfer_credits)
    terms: list[TermRecord] = []
    for term_id, term_lines in by_term.items():
        courses = []
        term_outcomes = []
        for attempt, code, title, mark, basis, scale_code in term_lines:
            outcome = results[attempt.key]
            term_outcomes.append(outcome)
            rule = attempt.rule
            counts = outcome.included and rule.counts_in_gpa
            courses.append(
                make_frozen(  # CourseLine(...), a few times cheaper (see make_frozen)
                    CourseLine,
                    course_code=code,
                    title=title,
                    credits=attempt.credits,
                    credits_attempted=outcome.attempted,
                    credits_earned=outcome.earned,
                    mark=mark,
                    mark_description=rule.description,
                    quality_points=outcome.quality_points if counts else None,
                    weighted_points=outcome.weighted_points if counts else None,
                    weight=attempt.weight,
                    repeated=outcome.repeated,
                    repeat="included" if outcome.included else "excluded",
                    grading_basis=basis,
                    scale=scale_code,
                )
            )
        term_totals = gpa.total(term_outcomes)
        running = running + term_totals
        term_gpa, cum_gpa = figure(term_totals), figure(running)
        _, code, name, start = term_info[term_id]
        terms.append(
            make_frozen(
                TermRecord,
                code=code,
                name=name,
                courses=tuple(courses),
                totals=term_totals,
                gpa=term_gpa,
                weighted_gpa=figure(term_totals, True) if weighted_available else None,
                cumulative=running,
                cumulative_gpa=cum_gpa,
                cumulative_weighted_gpa=figure(running, True) if weighted_available else None,
                standing=""
                if progress_only
                else _standing(
                    policy,
                    term_gpa,
                    cum_gpa,
                    term_totals.gpa_credits,
                    stored_standing.get(term_id),
                ),
                start_date=_day(start),
            )
        )

    cum_gpa = figure(running)
    identity = StudentIdentity(
        student_id=sid,
        student_number=number,
        name=_full_name(first, middle, last),
        birth_date=_day(birth),
        program_code=program_code or "",
        program_name=program_name or "",
        program_level=program_level or "",
        status=status,
        admission_date=_day(admitted),
        degree_conferred=degree,
        conferral_date=_day(conferred),
        honours=honours,
        first_name=first or "",
        middle_name=middle or "",
        last_name=last or "",
    )
    return Transcript(
        institution=header,
        policy=policy,
        student=identity,
        progress_only=progress_only,
        weighted_available=weighted_available,
        transfer=transfer,
        transfer_credits=transfer_credits,
        terms=tuple(terms),
        in_progress=tuple(in_progress),
        cumulative=running,
        cumulative_gpa=cum_gpa,
        cumulative_weighted_gpa=figure(running, True) if weighted_available else None,
        graduation_status=_graduation(
            identity, running.credits_earned, _decimal_or_none(required_credits)
        ),
        class_rank=rank_in_class(session, actor=actor, student_id=sid)
        if with_rank and policy.print_class_rank and program_level == ProgramLevel.SECONDARY.value
        else None,
    )


def _graduation(who: StudentIdentity, earned: Decimal, required: Decimal | None) -> str:
    if who.degree_conferred:
        when = f" on {who.conferral_date.isoformat()}" if who.conferral_date else ""
        honours = f", {who.honours}" if who.honours else ""
        return f"{who.degree_conferred} conferred{when}{honours}"
    if who.status == "graduated":
        return "Graduated"
    if required:
        needed = Decimal(required).normalize()
        return f"Not yet graduated: {earned.normalize():f} of {needed:f} credits earned"
    return "Not yet graduated"

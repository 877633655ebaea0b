"""The demo institution's fixed part: programs, courses and prerequisites, terms, staff.

Everything here is small (hundreds of rows); the student generator reads the in-memory
`Catalog` built here to pick courses, sections and marks without asking the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from recordsdesk.models import ProgramLevel, TermStatus
from recordsdesk.resources import load_json

CATALOG_FILE = "demo_catalog.json"
SCALE_CODES = ("US-PM", "US-PM-67", "US-LETTER", "PASS-FAIL", "NON-GRADE", "PCT-SEC", "SBG-4")
HISTORY_TERMS = 15  # closed terms before the current one: five academic years with summers


#: A program's normal length in regular terms, by level: four years of two semesters for a
#: bachelor's, two for a master's; a school's grades have a class year instead.
NORMAL_TERMS = {ProgramLevel.UNDERGRADUATE.value: 8, ProgramLevel.GRADUATE.value: 4}


@dataclass
class CourseInfo:
    id: int
    code: str
    title: str
    credits: str
    level: str
    scale: str
    department: str
    number: int
    weight: str = "0"
    prereqs: tuple[tuple[int, float], ...] = ()
    building: str = ""
    grade: int | None = None  # school grade (0 = kindergarten) for elementary/secondary courses
    semester: str = ""  # "A" (fall) or "B" (spring) for school courses
    subject: str = ""


@dataclass
class ProgramInfo:
    id: int
    code: str
    name: str
    level: str
    award: str
    required_credits: str
    share: float
    requirements: tuple[int, ...]
    electives: tuple[int, ...] = ()
    thesis: int | None = None  # a non-grade course taken every term once research starts


@dataclass
class TermInfo:
    id: int
    code: str
    name: str
    season: str  # SP, SU, FA
    year: int
    start: date
    end: date
    add_drop: date
    withdraw: date
    grades_due: date
    status: str

    @property
    def regular(self) -> bool:
        return self.season != "SU"


@dataclass
class Catalog:
    spec: dict[str, Any]
    scale_ids: dict[str, int]
    mark_points: dict[str, dict[str, float]]
    courses: dict[int, CourseInfo] = field(default_factory=dict)
    by_code: dict[str, CourseInfo] = field(default_factory=dict)
    programs: list[ProgramInfo] = field(default_factory=list)
    terms: list[TermInfo] = field(default_factory=list)
    staff: dict[str, int] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    school_courses: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def min_points(self, scale: str, mark: str) -> float:
        return self.mark_points.get(scale, {}).get(mark, 0.0)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _term_dates(season: str, year: int) -> tuple[date, date]:
    if season == "SP":
        start = _monday_on_or_after(date(year, 1, 12))
        return start, start + timedelta(days=116)
    if season == "SU":
        start = _monday_on_or_after(date(year, 5, 25))
        return start, start + timedelta(days=67)
    start = _monday_on_or_after(date(year, 8, 24))
    return start, start + timedelta(days=109)


_SEASON_NAMES = {"SP": "Spring", "SU": "Summer", "FA": "Fall"}


def make_terms(today: date) -> list[TermInfo]:
    """Fifteen closed terms, the one in progress (if today is inside one), the next with
    registration open and a planned one, with deadlines and statuses relative to `today`."""
    sequence = [(year, season) for year in range(today.year - 7, today.year + 3)
                for season in ("SP", "SU", "FA")]  # fmt: skip
    dated = [(year, season, *_term_dates(season, year)) for year, season in sequence]
    first_open = next(i for i, (_, _, _, end) in enumerate(dated) if end >= today)
    in_progress = dated[first_open][2] <= today
    last = first_open + (2 if in_progress else 1)
    terms: list[TermInfo] = []
    opened = False
    for year, season, start, end in dated[first_open - HISTORY_TERMS : last + 1]:
        short = season if season != "SU" else "SU"
        grades_due = end + timedelta(days=5)
        if end < today:
            status = TermStatus.CLOSED if grades_due < today else TermStatus.GRADING
        elif start <= today:
            status = TermStatus.IN_PROGRESS
        elif not opened:
            status, opened = TermStatus.REGISTRATION_OPEN, True
        else:
            status = TermStatus.PLANNED
        length = (end - start).days
        terms.append(
            TermInfo(
                id=len(terms) + 1,
                code=f"{year}{short}",
                name=f"{_SEASON_NAMES[season]} {year}",
                season=season,
                year=year,
                start=start,
                end=end,
                add_drop=start + timedelta(days=11 if season != "SU" else 4),
                withdraw=start + timedelta(days=(length * 3) // 5),
                grades_due=grades_due,
                status=status.value,
            )
        )
    return terms


def _university_courses(catalog: Catalog, next_id: int) -> int:
    for dept in catalog.spec["departments"]:
        for number, title, course_credits, _prereqs, flags in dept["courses"]:
            graduate = int(number) >= 500
            if flags == "PF":
                scale = "PASS-FAIL"
            elif flags == "NG":
                scale = "NON-GRADE"
            else:
                scale = dept.get("scale", "US-LETTER" if graduate else "US-PM")
            course = CourseInfo(
                id=next_id,
                code=f"{dept['code']} {number}",
                title=title,
                credits=f"{Decimal(course_credits):.2f}",
                level=(ProgramLevel.GRADUATE if graduate else ProgramLevel.UNDERGRADUATE).value,
                scale=scale,
                department=dept["name"],
                number=int(number),
                building=dept["building"],
            )
            catalog.courses[next_id] = course
            catalog.by_code[course.code] = course
            next_id += 1
    # Prerequisites second: a course may require one from a department listed later.
    for dept in catalog.spec["departments"]:
        for number, _title, _credits, prereqs, _flags in dept["courses"]:
            course = catalog.by_code[f"{dept['code']} {number}"]
            resolved = []
            for required, min_mark in prereqs:
                code = required if " " in required else f"{dept['code']} {required}"
                if code not in catalog.by_code:
                    raise ValueError(f"{CATALOG_FILE}: {course.code} requires unknown {code}")
                target = catalog.by_code[code]
                resolved.append((target.id, min_mark))
            course.prereqs = tuple(
                (cid, catalog.min_points(catalog.courses[cid].scale, mark) or 1.0)
                for cid, mark in resolved
            )
            for cid, mark in resolved:
                catalog.rows["prerequisite"].append(
                    (len(catalog.rows["prerequisite"]) + 1, course.id, cid, mark)
                )
    return next_id


def _grade_label(grade: int) -> str:
    return "K" if grade == 0 else str(grade)


def _school_course(
    catalog: Catalog, next_id: int, grade: int, subject: tuple[str, str], semester: str,
    level: str, tag: str = "", title_prefix: str = "", weight: str = "0",
) -> int:  # fmt: skip
    secondary = level == ProgramLevel.SECONDARY.value
    code = f"G{_grade_label(grade)}-{subject[0]}{'-' + tag if tag else ''}-{semester}"
    title_subject = title_prefix or subject[1]
    grade_name = "Kindergarten" if grade == 0 else f"Grade {grade}"
    course = CourseInfo(
        id=next_id,
        code=code,
        title=f"{grade_name} {title_subject} ({'first' if semester == 'A' else 'second'} semester)",
        credits="0.50" if secondary else "0.00",
        level=level,
        scale="PCT-SEC" if secondary else "SBG-4",
        department="Laboratory School",
        number=grade,
        weight=weight,
        building="Laboratory School",
        grade=grade,
        semester=semester,
        subject=subject[0] + (f"-{tag}" if tag else ""),
    )
    catalog.courses[next_id] = course
    catalog.by_code[code] = course
    catalog.school_courses.setdefault((grade, semester), []).append(next_id)
    return next_id + 1


def _school_courses(catalog: Catalog, next_id: int) -> int:
    elementary = catalog.spec["elementary"]["subjects"]
    secondary = catalog.spec["secondary"]
    for grade in range(0, 13):
        level = ProgramLevel.ELEMENTARY.value if grade <= 5 else ProgramLevel.SECONDARY.value
        subjects = elementary if grade <= 5 else secondary["subjects"]
        for semester in ("A", "B"):
            for subject in subjects:
                next_id = _school_course(catalog, next_id, grade, subject, semester, level)
    names = dict(secondary["subjects"])
    for semester in ("A", "B"):
        for subject, grade in secondary["honors"]:
            next_id = _school_course(
                catalog, next_id, grade, (subject, names[subject]), semester,
                ProgramLevel.SECONDARY.value, tag="H",
                title_prefix=f"Honors {names[subject]}", weight="0.50",
            )  # fmt: skip
        for subject, grade, title in secondary["ap"]:
            next_id = _school_course(
                catalog, next_id, grade, (subject, names[subject]), semester,
                ProgramLevel.SECONDARY.value, tag="AP", title_prefix=title, weight="1.00",
            )  # fmt: skip
    return next_id


def _programs(catalog: Catalog) -> None:
    for index, spec in enumerate(catalog.spec["programs"], start=1):
        requirements = []
        for code in spec["requirements"]:
            if code not in catalog.by_code:
                raise ValueError(f"{CATALOG_FILE}: program {spec['code']} requires unknown {code}")
            requirements.append(catalog.by_code[code].id)
        level = spec["level"]
        electives = tuple(
            c.id
            for c in catalog.courses.values()
            if c.level == level
            and c.scale != "NON-GRADE"
            and c.id not in requirements
            and (level == ProgramLevel.GRADUATE.value or c.number < 300)
        )
        dept = spec["department"]
        thesis = next(
            (c.id for c in catalog.courses.values()
             if c.scale == "NON-GRADE" and c.code.startswith(f"{dept} ") and level == c.level),
            None,
        )  # fmt: skip
        program = ProgramInfo(
            id=index,
            code=spec["code"],
            name=spec["name"],
            level=level,
            award=spec["award"],
            required_credits=f"{Decimal(spec['required_credits']):.2f}",
            share=float(spec["share"]),
            requirements=tuple(requirements),
            electives=electives,
            thesis=thesis,
        )
        catalog.programs.append(program)
        dept_name = next((d["name"] for d in catalog.spec["departments"] if d["code"] == dept), "")
        catalog.rows["program"].append(
            (
                program.id,
                program.code,
                f"{program.award}, {program.name}" if program.award else program.name,
                level,
                program.award,
                dept_name or "Laboratory School",
                program.required_credits,
                None if spec["min_gpa"] is None else f"{Decimal(spec['min_gpa']):.2f}",
                1,
                NORMAL_TERMS.get(level),
            )
        )
        for course_id in requirements:
            min_mark = "C" if level == ProgramLevel.UNDERGRADUATE.value else "B"
            if catalog.courses[course_id].scale == "PASS-FAIL":
                min_mark = "P"
            catalog.rows["program_requirement"].append(
                (len(catalog.rows["program_requirement"]) + 1, program.id, course_id, min_mark)
            )


def repeat_limit(course: CourseInfo) -> int:
    """How many times the course may be repeated: letter-graded ones twice, the rest once."""
    return 2 if course.scale in ("US-PM", "US-PM-67", "US-LETTER") else 1


def grading_bases(course: CourseInfo) -> str:
    """University courses graded on letters may be taken pass/no pass or audited; the rest
    are graded only (the demo's terms close the choice at the withdrawal deadline)."""
    if course.grade is None and course.scale in ("US-PM", "US-PM-67", "US-LETTER"):
        return "graded,pass_no_pass,audit"
    return "graded"


def build_catalog(
    scale_ids: dict[str, int], mark_points: dict[str, dict[str, float]], today: date
) -> Catalog:
    """The fixed part of the demo as rows (ids assigned here) plus the lookups the student
    generator needs. Raises ValueError naming the catalog file when it is inconsistent."""
    missing = [code for code in SCALE_CODES if code not in scale_ids]
    if missing:
        raise ValueError(f"grading scales missing from the reference data: {', '.join(missing)}")
    catalog = Catalog(spec=load_json(CATALOG_FILE), scale_ids=scale_ids, mark_points=mark_points)
    for table in ("program", "course", "prerequisite", "program_requirement", "term"):
        catalog.rows[table] = []
    next_id = _university_courses(catalog, 1)
    _school_courses(catalog, next_id)
    for c in catalog.courses.values():
        catalog.rows["course"].append(
            (c.id, c.code, c.title, c.credits, c.department, c.level, scale_ids[c.scale],
             c.weight, "", repeat_limit(c), 1, grading_bases(c), "graded")
        )  # fmt: skip
    _programs(catalog)
    catalog.terms = make_terms(today)
    for t in catalog.terms:
        catalog.rows["term"].append(
            (t.id, t.code, t.name, t.start.isoformat(), t.end.isoformat(), t.add_drop.isoformat(),
             t.withdraw.isoformat(), t.grades_due.isoformat(), t.status, t.withdraw.isoformat())
        )  # fmt: skip
    return catalog

"""Exercise files: what a practice exercise says, sets up and checks, read from TOML.

An exercise is data, never code: one `.toml` file per exercise in the shipped `data/practice/`
(or an office's own folder). Reading one checks every name in it (tables, columns, subjects) so
a mistake in a file is reported with the file and the field when it is loaded, not when a
trainee checks it. The condition language is in `condition.py`; nothing in a file is evaluated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recordsdesk.resources import data_folder
from recordsdesk.services.shared.errors import ValidationFailed

#: The shipped exercises' folder in `data/`.
SHIPPED_FOLDER = "practice"
#: Terms a set-up names by what they are, so an exercise fits whichever demo it is built on.
TERM_KINDS = ("current", "registration_open")
STUDENT_STATUSES = ("applicant", "admitted", "active", "on_leave")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_REF = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass(frozen=True)
class SetupStudent:
    ref: str
    number: str
    first_name: str
    last_name: str
    birth_date: str
    status: str
    program: str


@dataclass(frozen=True)
class SetupSection:
    """A new section of `course` in the term of kind `term`, seating `capacity`, its seats
    taken by the students named in `filled_by`."""

    ref: str
    course: str
    term: str
    code: str
    capacity: int
    filled_by: tuple[str, ...]


@dataclass(frozen=True)
class SetupEnrollment:
    student: str
    section: str


@dataclass(frozen=True)
class SetupHold:
    student: str
    hold_type: str
    reason: str
    blocks_registration: bool
    blocks_transcript: bool


@dataclass(frozen=True)
class SetupApplication:
    """An open admission application of `student` to the student's program, its checklist
    copied from the office's own (as `open_application` copies it), every document received
    except those named in `missing`, each of which the office's checklist must hold."""

    ref: str
    student: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Setup:
    students: tuple[SetupStudent, ...] = ()
    sections: tuple[SetupSection, ...] = ()
    enrollments: tuple[SetupEnrollment, ...] = ()
    holds: tuple[SetupHold, ...] = ()
    applications: tuple[SetupApplication, ...] = ()

    def refs(self) -> dict[str, str]:
        """Every ref name the set-up makes, and what it names (student, section, application)."""
        return (
            {s.ref: "student" for s in self.students}
            | {s.ref: "section" for s in self.sections}
            | {a.ref: "application" for a in self.applications}
        )


@dataclass(frozen=True)
class Question:
    text: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Exercise:
    """`done` conditions must all hold for the exercise to be done; each `mistakes` condition
    that holds is something done wrong (and the exercise is not done while one does)."""

    id: str
    title: str
    order: int
    scenario: str
    hint: str
    setup: Setup
    question: Question | None
    done: tuple[Any, ...]  # condition.Condition, typed loosely to keep this module first
    mistakes: tuple[Any, ...]
    source: str


class ExerciseFileError(ValidationFailed):
    """An exercise file that cannot be used: names the file and the field."""


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ExerciseFileError(f"{where}.{key}", "must be text and not empty.")
    return value.strip()


def _refs(raw: dict[str, Any], key: str, where: str) -> str:
    value = _text(raw, key, where)
    if not _REF.match(value):
        raise ExerciseFileError(f"{where}.{key}", "a name of lower-case letters, digits and _.")
    return value


def _table_list(raw: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ExerciseFileError(f"{where}.{key}", "must be a list of tables ([[...]]).")
    return value


def _setup(raw: Any, where: str) -> Setup:
    if raw is None:
        return Setup()
    if not isinstance(raw, dict):
        raise ExerciseFileError(where, "must be a table.")
    students = []
    for i, s in enumerate(_table_list(raw, "students", where)):
        at = f"{where}.students[{i}]"
        status = _text(s, "status", at, required=False) or "active"
        if status not in STUDENT_STATUSES:
            raise ExerciseFileError(f"{at}.status", f"one of {', '.join(STUDENT_STATUSES)}.")
        birth = _text(s, "birth_date", at)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth):
            raise ExerciseFileError(f"{at}.birth_date", "a date as YYYY-MM-DD.")
        students.append(
            SetupStudent(
                ref=_refs(s, "ref", at),
                number=_text(s, "number", at),
                first_name=_text(s, "first_name", at),
                last_name=_text(s, "last_name", at),
                birth_date=birth,
                status=status,
                program=_text(s, "program", at, required=False),
            )
        )
    sections = []
    for i, s in enumerate(_table_list(raw, "sections", where)):
        at = f"{where}.sections[{i}]"
        term = _text(s, "term", at)
        if term not in TERM_KINDS:
            raise ExerciseFileError(f"{at}.term", f"one of {', '.join(TERM_KINDS)}.")
        capacity = s.get("capacity", 30)
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise ExerciseFileError(f"{at}.capacity", "a whole number of seats, 1 or more.")
        filled = s.get("filled_by", [])
        if not isinstance(filled, list) or not all(isinstance(f, str) for f in filled):
            raise ExerciseFileError(f"{at}.filled_by", "a list of students' ref names.")
        sections.append(
            SetupSection(
                ref=_refs(s, "ref", at),
                course=_text(s, "course", at),
                term=term,
                code=_text(s, "code", at, required=False) or "P1",
                capacity=capacity,
                filled_by=tuple(filled),
            )
        )
    enrollments = [
        SetupEnrollment(
            student=_refs(e, "student", f"{where}.enrollments[{i}]"),
            section=_refs(e, "section", f"{where}.enrollments[{i}]"),
        )
        for i, e in enumerate(_table_list(raw, "enrollments", where))
    ]
    holds = []
    for i, h in enumerate(_table_list(raw, "holds", where)):
        at = f"{where}.holds[{i}]"
        flags = {
            k: h.get(k, d) for k, d in (("blocks_registration", True), ("blocks_transcript", False))
        }
        if not all(isinstance(v, bool) for v in flags.values()):
            raise ExerciseFileError(
                at, "blocks_registration and blocks_transcript are true or false."
            )
        holds.append(
            SetupHold(
                student=_refs(h, "student", at),
                hold_type=_text(h, "type", at),
                reason=_text(h, "reason", at),
                **flags,
            )
        )
    applications = []
    for i, a in enumerate(_table_list(raw, "applications", where)):
        at = f"{where}.applications[{i}]"
        missing = a.get("missing", [])
        if not isinstance(missing, list) or not all(
            isinstance(m, str) and m.strip() for m in missing
        ):
            raise ExerciseFileError(
                f"{at}.missing", "a list of checklist items, as the office names them."
            )
        applications.append(
            SetupApplication(
                ref=_refs(a, "ref", at),
                student=_refs(a, "student", at),
                missing=tuple(m.strip() for m in missing),
            )
        )
    setup = Setup(
        tuple(students), tuple(sections), tuple(enrollments), tuple(holds), tuple(applications)
    )
    _check_setup_refs(setup, where)
    return setup


def _check_setup_refs(setup: Setup, where: str) -> None:
    students = [s.ref for s in setup.students]
    sections = [s.ref for s in setup.sections]
    names = students + sections + [a.ref for a in setup.applications]
    if len(set(names)) != len(names):
        raise ExerciseFileError(
            where, "each student, section and application needs a ref name of its own."
        )
    used = [(f, "sections.filled_by") for s in setup.sections for f in s.filled_by]
    used += [(e.student, "enrollments.student") for e in setup.enrollments]
    used += [(h.student, "holds.student") for h in setup.holds]
    used += [(a.student, "applications.student") for a in setup.applications]
    for ref, field in used:
        if ref not in students:
            raise ExerciseFileError(f"{where}.{field}", f"no student has the ref {ref!r}.")
    for e in setup.enrollments:
        if e.section not in sections:
            raise ExerciseFileError(f"{where}.enrollments.section", f"no section {e.section!r}.")


def _question(raw: Any, where: str) -> Question | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ExerciseFileError(where, "must be a table.")
    choices = raw.get("choices")
    if (
        not isinstance(choices, list)
        or not 2 <= len(choices) <= 9
        or not all(isinstance(c, str) and c.strip() for c in choices)
    ):
        raise ExerciseFileError(f"{where}.choices", "two to nine answers, each a line of text.")
    return Question(_text(raw, "text", where), tuple(c.strip() for c in choices))


def parse_exercise(text: str, source: str) -> Exercise:
    """One exercise from the text of its file (`source` names it in messages). Raises
    ExerciseFileError naming the file and field for anything it cannot use."""
    from recordsdesk.services.practice.condition import parse_conditions

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExerciseFileError(source, f"is not valid TOML: {exc}") from exc
    exercise_id = Path(source).stem
    if not _ID.match(exercise_id):
        raise ExerciseFileError(source, "the file name is the exercise's id: a-z, 0-9 and -.")
    order = raw.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        raise ExerciseFileError(f"{source}: order", "a whole number (the panel sorts by it).")
    setup = _setup(raw.get("setup"), f"{source}: setup")
    question = _question(raw.get("question"), f"{source}: question")
    refs = setup.refs()
    done = parse_conditions(raw.get("done"), f"{source}: done", refs, question)
    if not done:
        raise ExerciseFileError(f"{source}: done", "at least one condition says when it is done.")
    mistakes = parse_conditions(raw.get("mistakes", []), f"{source}: mistakes", refs, question)
    return Exercise(
        id=exercise_id,
        title=_text(raw, "title", source),
        order=order,
        scenario=_text(raw, "scenario", source),
        hint=_text(raw, "hint", source, required=False),
        setup=setup,
        question=question,
        done=tuple(done),
        mistakes=tuple(mistakes),
        source=source,
    )


def load_exercises(folder: Path | None = None) -> tuple[Exercise, ...]:
    """Every exercise in `folder` (the shipped ones by default), in the panel's order. Raises
    ExerciseFileError for the first file that cannot be used, or two files with one set-up
    student number."""
    folder = folder or data_folder(SHIPPED_FOLDER)
    exercises = [
        parse_exercise(path.read_text(encoding="utf-8"), path.name)
        for path in sorted(folder.glob("*.toml"))
    ]
    numbers: dict[str, str] = {}
    for exercise in exercises:
        for student in exercise.setup.students:
            if student.number in numbers:
                raise ExerciseFileError(
                    f"{exercise.source}: setup.students",
                    f"student number {student.number} is also set up by {numbers[student.number]}.",
                )
            numbers[student.number] = exercise.source
    return tuple(sorted(exercises, key=lambda e: (e.order, e.id)))

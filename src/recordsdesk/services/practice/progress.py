"""The exercise panel's services: the list with progress, starting, answering and checking an
exercise, and the supervisor's report. Results live in the practice database's
`practice_result` table; every function refuses a database that is not a practice desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from recordsdesk.models import Institution, PracticeResult, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.practice.condition import Facts, holds
from recordsdesk.services.practice.desk import subject_ids
from recordsdesk.services.practice.exercise import Exercise, load_exercises
from recordsdesk.services.shared.errors import NotFound, RecordsError


@dataclass(frozen=True)
class ExerciseRow:
    """One exercise as the panel lists it, with the trainee's progress so far."""

    id: str
    title: str
    scenario: str
    hint: str
    question: str
    choices: tuple[str, ...]
    state: str  # "not started" | "started" | "done"
    attempts: int
    mistakes: int
    answer: int
    last_check: str


@dataclass(frozen=True)
class CheckResult:
    done: bool
    problems: tuple[str, ...]  # what is undone or done wrong, in the file's words
    mistakes: int  # conditions among `mistakes` that held

    def describe(self) -> str:
        if self.done:
            return "Done."
        return "Not done: " + " ".join(self.problems)


def _require_practice(session: Session) -> None:
    if not session.exec(select(Institution.practice)).first():
        raise RecordsError("Exercises run on a practice desk only (recordsdesk practice).")


def _exercise(exercise_id: str, exercises: tuple[Exercise, ...] | None) -> Exercise:
    for exercise in exercises or load_exercises():
        if exercise.id == exercise_id:
            return exercise
    raise NotFound(f"There is no exercise {exercise_id!r}.")


def _result(session: Session, exercise_id: str) -> PracticeResult | None:
    return session.exec(
        select(PracticeResult).where(PracticeResult.exercise == exercise_id)
    ).first()


def _row(exercise: Exercise, result: PracticeResult | None) -> ExerciseRow:
    state = "not started"
    if result is not None:
        state = "done" if result.finished_at is not None else "started"
    return ExerciseRow(
        id=exercise.id,
        title=exercise.title,
        scenario=exercise.scenario,
        hint=exercise.hint,
        question=exercise.question.text if exercise.question else "",
        choices=exercise.question.choices if exercise.question else (),
        state=state,
        attempts=result.attempts if result else 0,
        mistakes=result.mistakes if result else 0,
        answer=int(result.answer) if result and result.answer else 0,
        last_check=result.last_check if result else "",
    )


def list_exercises(
    session: Session, *, actor: Actor, exercises: tuple[Exercise, ...] | None = None
) -> tuple[ExerciseRow, ...]:
    authorize(actor, Action.STUDENT_READ)
    _require_practice(session)
    return tuple(_row(e, _result(session, e.id)) for e in exercises or load_exercises())


def start_exercise(
    session: Session,
    *,
    actor: Actor,
    exercise_id: str,
    exercises: tuple[Exercise, ...] | None = None,
) -> ExerciseRow:
    """Start the clock on an exercise (a second start keeps the first time): what the trainee
    does from now on is what its check reads."""
    authorize(actor, Action.STUDENT_READ)
    _require_practice(session)
    exercise = _exercise(exercise_id, exercises)
    result = _result(session, exercise.id)
    if result is None:
        result = PracticeResult(exercise=exercise.id)
        session.add(result)
        session.flush()
    return _row(exercise, result)


def restart_exercise(
    session: Session,
    *,
    actor: Actor,
    exercise_id: str,
    exercises: tuple[Exercise, ...] | None = None,
) -> ExerciseRow:
    """Start the exercise's clock again: what the audit trail holds from before no longer
    counts (records stay as they are); checks and mistakes so far are kept for the report."""
    row = start_exercise(session, actor=actor, exercise_id=exercise_id, exercises=exercises)
    result = _result(session, row.id)
    assert result is not None
    result.started_at = utcnow()
    result.answer = ""
    session.add(result)
    session.flush()
    return _row(_exercise(exercise_id, exercises), result)


def answer_exercise(
    session: Session,
    *,
    actor: Actor,
    exercise_id: str,
    choice: int,
    exercises: tuple[Exercise, ...] | None = None,
) -> ExerciseRow:
    """Keep the trainee's answer to the exercise's question (the check reads it)."""
    authorize(actor, Action.STUDENT_READ)
    exercise = _exercise(exercise_id, exercises)
    if exercise.question is None or not 1 <= choice <= len(exercise.question.choices):
        raise RecordsError("That exercise has no such answer.")
    start_exercise(session, actor=actor, exercise_id=exercise_id, exercises=exercises)
    result = _result(session, exercise.id)
    assert result is not None
    result.answer = str(choice)
    session.add(result)
    session.flush()
    return _row(exercise, result)


def evaluate(
    session: Session, exercise: Exercise, started_at: datetime, answer: int
) -> CheckResult:
    """The exercise's conditions read against the database now (no result is kept)."""
    facts = Facts(subject_ids(session, exercise), started_at, answer)
    problems = [c.explain for c in exercise.done if not holds(session, c, facts)]
    wrong = [c.explain for c in exercise.mistakes if holds(session, c, facts)]
    return CheckResult(done=not problems and not wrong, problems=(*wrong, *problems),
                       mistakes=len(wrong))  # fmt: skip


def check_exercise(
    session: Session,
    *,
    actor: Actor,
    exercise_id: str,
    exercises: tuple[Exercise, ...] | None = None,
) -> CheckResult:
    """Check the exercise from the database and the audit trail, and keep the attempt: one
    more attempt, one more mistake if something was done wrong, the time of the first check
    that found it done."""
    authorize(actor, Action.STUDENT_READ)
    _require_practice(session)
    exercise = _exercise(exercise_id, exercises)
    start_exercise(session, actor=actor, exercise_id=exercise_id, exercises=exercises)
    result = _result(session, exercise.id)
    assert result is not None
    outcome = evaluate(session, exercise, result.started_at, int(result.answer or 0))
    result.attempts += 1
    result.mistakes += 1 if outcome.mistakes else 0
    if outcome.done and result.finished_at is None:
        result.finished_at = utcnow()
    result.last_check = outcome.describe()
    session.add(result)
    session.flush()
    return outcome


def practice_report(session: Session, trainee: str) -> str:
    """The supervisor's report: per exercise, done or not, time taken, attempts, mistakes and
    the last check's words. Text for a terminal (stored words are printed by the caller)."""
    _require_practice(session)
    exercises = load_exercises()
    lines = [f"PRACTICE results of {trainee}", ""]
    header = f"{'exercise':<34} {'state':<12} {'time':>8} {'attempts':>8} {'mistakes':>8}"
    lines += [header, "-" * len(header)]
    done = 0
    for exercise in exercises:
        row = _row(exercise, result := _result(session, exercise.id))
        minutes = ""
        if result is not None and result.finished_at is not None:
            seconds = (_aware(result.finished_at) - _aware(result.started_at)).total_seconds()
            minutes = f"{int(seconds // 60)}:{int(seconds % 60):02d}"
        done += row.state == "done"
        lines.append(f"{exercise.id[:34]:<34} {row.state:<12} {minutes:>8} "
                     f"{row.attempts:>8} {row.mistakes:>8}")  # fmt: skip
        if row.last_check and row.state != "done":
            lines.append(f"    last check: {row.last_check}")
    lines += ["", f"{done} of {len(exercises)} exercises done."]
    return "\n".join(lines) + "\n"


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

"""Class rank (secondary): a student's place in their class year by cumulative GPA, weighted and
unweighted, as the transcript prints the GPAs. Ties share a rank and the next rank skips
(1, 2, 2, 4); students with no GPA are left out. Percentile = 100 x (class size - rank + 1) /
class size, rounded down (the top student is at 100); decile 1 is the top tenth.

The class-rank report ranks whole classes; a secondary transcript prints its student's place
when the institution's `print_class_rank` is on (building the classmates' records: the cost of
a class's transcripts, paid only then).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from recordsdesk.models import Program, ProgramLevel, Student, StudentStatus
from recordsdesk.services.access.actor import Actor

#: Students a class is made of: those still at the school.
CURRENT = (
    StudentStatus.ACTIVE.value,
    StudentStatus.ON_LEAVE.value,
    StudentStatus.SUSPENDED.value,
)


@dataclass(frozen=True)
class ClassRank:
    class_year: int
    rank: int  # weighted
    unweighted_rank: int
    size: int

    @property
    def percentile(self) -> int:
        return percentile(self.rank, self.size)

    @property
    def decile(self) -> int:
        return decile(self.rank, self.size)

    def describe(self) -> str:
        return (
            f"Class of {self.class_year}: rank {self.rank} of {self.size} (weighted), "
            f"{self.unweighted_rank} of {self.size} (unweighted); percentile {self.percentile}, "
            f"decile {self.decile}"
        )


def competition_ranks(values: Iterable[Decimal]) -> list[int]:
    """The rank of each value, highest first, ties sharing a rank: 4, 3, 3, 2 -> 1, 2, 2, 4."""
    listed = list(values)
    first: dict[Decimal, int] = {}
    for place, value in enumerate(sorted(listed, reverse=True), start=1):
        first.setdefault(value, place)
    return [first[v] for v in listed]


def percentile(rank: int, size: int) -> int:
    return (100 * (size - rank + 1)) // size


def decile(rank: int, size: int) -> int:
    return -(-10 * rank // size)  # ceil(10 x rank / size): 1 is the top tenth


def class_gpas(
    session: Session,
    *,
    actor: Actor,
    student_ids: Iterable[int],
    through: Collection[str] | None = None,
) -> dict[int, tuple[Decimal, Decimal]]:
    """student id -> (weighted, unweighted) cumulative GPA through the terms named in
    `through` (every term when None), for those who have one."""
    from recordsdesk.services.transcripts.builder import build_transcript  # (it uses this module)

    found: dict[int, tuple[Decimal, Decimal]] = {}
    for sid in student_ids:
        transcript = build_transcript(session, actor=actor, student_id=sid, with_rank=False)
        records = [t for t in transcript.terms if through is None or t.code in through]
        unweighted = records[-1].cumulative_gpa if records else None
        if unweighted is not None:
            found[sid] = (records[-1].cumulative_weighted_gpa or unweighted, unweighted)
    return found


def rank_in_class(session: Session, *, actor: Actor, student_id: int) -> ClassRank | None:
    """The student's place in their class year today (None without a class year or a GPA)."""
    student = session.get(Student, student_id)
    if student is None or student.class_year is None:
        return None
    classmates = session.exec(
        select(Student.id)
        .join(Program, col(Program.id) == col(Student.program_id))
        .where(
            Student.class_year == student.class_year,
            Program.level == ProgramLevel.SECONDARY.value,
            col(Student.status).in_(CURRENT),
        )
    ).all()
    ids = sorted({int(i) for i in classmates if i is not None} | {student_id})
    gpas = class_gpas(session, actor=actor, student_ids=ids)
    if student_id not in gpas:
        return None
    members = list(gpas)
    weighted = competition_ranks(gpas[s][0] for s in members)
    unweighted = competition_ranks(gpas[s][1] for s in members)
    at = members.index(student_id)
    return ClassRank(student.class_year, weighted[at], unweighted[at], len(members))

"""Sections opened on demand while students register, so every section holds at most its
capacity, the number of sections follows the number of students, and no student is seated in
two sections that meet at the same time (the desk refuses such a registration)."""

from __future__ import annotations

import math
import random
from typing import Any

from recordsdesk.models import ProgramLevel, TermStatus
from recordsdesk.services.demo.catalog import Catalog, CourseInfo, TermInfo
from recordsdesk.services.demo.people import stamp

WAITLIST_CAPACITY = 10

# (days, minutes long, start minutes of day)
Pattern = tuple[str, int, tuple[int, ...]]
_UNDERGRAD_PATTERNS: tuple[Pattern, ...] = (
    ("MWF", 50, (480, 545, 610, 675, 740, 805, 870, 935)),
    ("TR", 75, (480, 580, 680, 780, 880, 980)),
    ("MW", 75, (480, 580, 780, 880, 980)),
)
_GRAD_PATTERNS: tuple[Pattern, ...] = (
    ("M", 170, (1080,)),
    ("T", 170, (1080,)),
    ("W", 170, (1080,)),
    ("R", 170, (1080,)),
)
_SUMMER_PATTERNS: tuple[Pattern, ...] = (("MTWR", 100, (540, 660, 780)),)
_SCHOOL_PATTERNS: tuple[Pattern, ...] = (("MTWRF", 50, (480, 540, 600, 660, 780, 840)),)
_ELEMENTARY_PATTERNS: tuple[Pattern, ...] = (("MTWRF", 55, (510, 570, 630, 750, 810)),)


#: A meeting as (weekday bits, first minute, last minute + 1): cheap to compare per student.
Meeting = tuple[int, int, int]
_DAY_BITS = {day: 1 << index for index, day in enumerate("MTWRFSU")}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00.000000"


def _meeting(days: str, begin: int, length: int) -> Meeting:
    bits = 0
    for day in days:
        bits |= _DAY_BITS[day]
    return bits, begin, begin + length


def clashes(meeting: Meeting, busy: list[Meeting]) -> bool:
    """True when `meeting` shares a day and a minute with any meeting in `busy`."""
    bits, begin, end = meeting
    return any(b & bits and begin < e and s < end for b, s, e in busy)


class SectionPool:
    """Hands out a section of (term, course) with room left, opening the next one when full.

    In terms still taking registrations a full section sometimes waitlists the student instead,
    as a records office sees it. New section rows collect in `new_rows` until the writer takes
    them (before the enrollments that refer to them)."""

    def __init__(
        self, catalog: Catalog, seed: int, first_id: int, registrar_id: int, students: int
    ) -> None:
        self._catalog = catalog
        # A small demo is a small school: smaller classes, so sections still fill and
        # waitlists form with a few hundred students.
        self._scale = min(1.0, math.sqrt(max(students, 1) / 20_000))
        self._rng = random.Random(seed * 7919 + 17)
        self._next_id = first_id
        self._registrar_id = registrar_id
        self._instructors: list[str] = catalog.spec["instructors"]
        # (term id, course id) -> its sections with seats or a line, oldest first; each
        # [section id, filled, capacity, waitlisted, number, meeting]. The meeting travels in
        # the slot: a lookup by section id in a table of every section ever opened misses the
        # CPU's caches, and `place` runs for every enrollment of the build.
        self._open: dict[tuple[int, int], list[list[Any]]] = {}
        self._numbers: dict[tuple[int, int], int] = {}
        self.new_rows: list[tuple[Any, ...]] = []

    def take_rows(self) -> list[tuple[Any, ...]]:
        rows, self.new_rows = self.new_rows, []
        return rows

    def place(
        self, term: TermInfo, course: CourseInfo, allow_waitlist: bool, busy: list[Meeting]
    ) -> tuple[int, int] | None:
        """(section id, waitlist position or 0 when a seat was taken), in a section that does
        not meet while the student is `busy`; None when no time in the course's patterns is
        free for this student (the student does not take the course that term). The seat's
        meeting is added to `busy`."""
        key = (term.id, course.id)
        sections = self._open.get(key)
        if sections is None:
            sections = self._open[key] = []
        for slot in sections:
            if slot[1] < slot[2]:
                # `clashes` inlined: this loop runs for every enrollment of the build.
                meeting = slot[5]
                bits, begin, end = meeting
                for b, s, e in busy:
                    if b & bits and begin < e and s < end:
                        break
                else:
                    slot[1] += 1
                    busy.append(meeting)
                    return slot[0], 0
        if sections and allow_waitlist and self._rng.random() < 0.35:
            last = sections[-1]
            if last[3] < WAITLIST_CAPACITY and not clashes(last[5], busy):
                last[3] += 1
                return last[0], last[3]
        opened = self._new_section(term, course, busy)
        if opened is None:
            return None
        # Full sections without a line are done with; keep the rest (a line may still grow).
        sections[:] = [s for s in sections if s[1] < s[2] or s[3]][-3:]
        sections.append(opened)
        opened[1] += 1
        busy.append(opened[5])
        return opened[0], 0

    def release(self, term: TermInfo, course: CourseInfo, section_id: int) -> bool:
        """Give back a seat (a drop) unless students wait for the section: the desk would
        offer them that seat, so the demo keeps the seat taken instead. True when released."""
        for slot in self._open.get((term.id, course.id), ()):
            if slot[0] == section_id:
                if slot[3]:
                    return False
                slot[1] -= 1
                return True
        return False

    def _capacity(self, course: CourseInfo) -> int:
        rng = self._rng
        if course.level == ProgramLevel.ELEMENTARY.value:
            return rng.choice((20, 22, 24))
        if course.level == ProgramLevel.SECONDARY.value:
            return rng.choice((26, 28, 30))
        if course.level == ProgramLevel.GRADUATE.value:
            return rng.choice((18, 20, 25))
        if course.scale == "PASS-FAIL":
            return rng.choice((15, 20))
        if course.number < 200:
            return rng.choice((45, 60, 90, 120))
        if course.number < 300:
            return rng.choice((35, 40, 45))
        return rng.choice((24, 30))

    def _new_section(
        self, term: TermInfo, course: CourseInfo, busy: list[Meeting]
    ) -> list[Any] | None:
        rng = self._rng
        if course.level == ProgramLevel.ELEMENTARY.value:
            patterns = _ELEMENTARY_PATTERNS
        elif course.level == ProgramLevel.SECONDARY.value:
            patterns = _SCHOOL_PATTERNS
        elif term.season == "SU":
            patterns = _SUMMER_PATTERNS
        elif course.level == ProgramLevel.GRADUATE.value:
            patterns = _GRAD_PATTERNS
        else:
            patterns = _UNDERGRAD_PATTERNS
        first = rng.randrange(len(patterns))
        chosen: tuple[str, int, int] | None = None
        for shift in range(len(patterns)):
            days, length, starts = patterns[(first + shift) % len(patterns)]
            offset = rng.randrange(len(starts))
            for k in range(len(starts)):
                begin = starts[(offset + k) % len(starts)]
                if not clashes(_meeting(days, begin, length), busy):
                    chosen = (days, length, begin)
                    break
            if chosen is not None:
                break
        if chosen is None:
            return None
        days, length, begin = chosen
        key = (term.id, course.id)
        number = self._numbers.get(key, 0) + 1
        self._numbers[key] = number
        section_id = self._next_id
        self._next_id += 1
        capacity = max(8, round(self._capacity(course) * self._scale))
        posted = term.status == TermStatus.CLOSED.value
        self.new_rows.append(
            (
                section_id,
                course.id,
                term.id,
                f"{number:03d}",
                rng.choice(self._instructors),
                capacity,
                WAITLIST_CAPACITY,
                days,
                _clock(begin),
                _clock(begin + length),
                f"{course.building} {rng.randint(1, 3)}{rng.randint(0, 40):02d}",
                stamp(term.grades_due, 16 * 60 + rng.randint(0, 59)) if posted else None,
                self._registrar_id if posted else None,
            )
        )
        return [section_id, 0, capacity, 0, number, _meeting(days, begin, length)]

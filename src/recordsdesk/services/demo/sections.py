"""Sections opened on demand while students register, so every section holds at most its
capacity and the number of sections follows the number of students."""

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


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00.000000"


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
        # (term id, course id) -> [section id, filled, capacity, waitlisted, number]
        self._open: dict[tuple[int, int], list[int]] = {}
        self.new_rows: list[tuple[Any, ...]] = []

    def take_rows(self) -> list[tuple[Any, ...]]:
        rows, self.new_rows = self.new_rows, []
        return rows

    def place(self, term: TermInfo, course: CourseInfo, allow_waitlist: bool) -> tuple[int, int]:
        """(section id, waitlist position or 0 when a seat was taken)."""
        key = (term.id, course.id)
        slot = self._open.get(key)
        if slot is None:
            slot = self._new_section(term, course, 1)
        elif slot[1] >= slot[2]:
            if allow_waitlist and slot[3] < WAITLIST_CAPACITY and self._rng.random() < 0.35:
                slot[3] += 1
                return slot[0], slot[3]
            slot = self._new_section(term, course, slot[4] + 1)
        slot[1] += 1
        return slot[0], 0

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

    def _new_section(self, term: TermInfo, course: CourseInfo, number: int) -> list[int]:
        rng = self._rng
        section_id = self._next_id
        self._next_id += 1
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
        days, length, starts = rng.choice(patterns)
        begin = rng.choice(starts)
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
        slot = [section_id, 0, capacity, 0, number]
        self._open[(term.id, course.id)] = slot
        return slot

"""Turning a student's ability into marks on each shipped scale, with the mark's GPA points."""

from __future__ import annotations

import random

LETTER_SCALES = ("US-PM", "US-PM-67", "US-LETTER", "PCT-SEC")
_RESOLUTION = 100  # score steps per point
_TOP = 450


class MarkTable:
    """Precomputed score -> mark lookups, so drawing a mark costs one gauss and one index."""

    def __init__(self, mark_points: dict[str, dict[str, float]]) -> None:
        self._tables: dict[str, list[tuple[str, float]]] = {}
        self._fail: dict[str, tuple[str, float]] = {}
        for scale in LETTER_SCALES:
            points = mark_points[scale]
            passing = [(m, p) for m, p in points.items() if p > 0 and m != "A+"]
            failing = min(points.items(), key=lambda item: item[1])
            self._fail[scale] = failing
            table = []
            for step in range(_TOP + 1):
                score = step / _RESOLUTION
                if scale == "US-PM" and score >= 4.25:
                    table.append(("A+", points["A+"]))
                    continue
                table.append(min(passing, key=lambda item: (abs(item[1] - score), -item[1])))
            self._tables[scale] = table

    def draw(
        self, rng: random.Random, scale: str, ability: float, fail_chance: float
    ) -> tuple[str, float, bool]:
        """(mark, points, passed) for one course; points are 0 for marks outside the GPA."""
        failed = rng.random() < fail_chance
        if scale in self._tables:
            if failed:
                mark, points = self._fail[scale]
                return mark, points, False
            score = ability + rng.gauss(0.0, 0.45)
            step = min(max(int(score * _RESOLUTION), 0), _TOP)
            mark, points = self._tables[scale][step]
            return mark, points, True
        if scale == "SBG-4":
            if failed:
                return "1", 0.0, False
            score = ability + rng.gauss(0.0, 0.5)
            return ("4" if score >= 3.4 else "3" if score >= 2.4 else "2"), 0.0, True
        if scale == "PASS-FAIL":
            return ("NP", 0.0, False) if failed else ("P", 0.0, True)
        return "IP", 0.0, False

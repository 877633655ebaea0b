"""Grade-point arithmetic: which attempts count, what they add up to, how the GPA is rounded.

Pure functions over plain values (no database), so every rule is tested by hand-worked cases
and property tests. Decimal only: a GPA is a legal figure and must be the same on every desk.

The rules, as the transcript prints them:
- A mark's meaning comes from its GradeMark flags: `counts_in_gpa` (its points enter the GPA),
  `counts_attempted` (its credits are attempted), `earns_credit` (its credits are earned).
  W, AU and IP attempt nothing; I is attempted but earns nothing; P earns credit outside the GPA.
- Repeats: attempts of the same course with a mark of the course's own scale (`graded`) are
  resolved by the repeat policy: `latest` keeps the last attempt, `highest` the best one (ties go
  to the later), `all` keeps every attempt in the GPA but earns the course's credit only once.
  An excluded attempt stays on the transcript, flagged, and adds nothing. Non-grade marks
  (W, I, AU, IP) never take part in repeat resolution.
- Weighted GPA adds the course's weight to the points of a mark that counts in the GPA and
  passes (an honors/AP bonus never rewards a failure).
- Transfer credit earns credit and never enters the GPA (handled by the transcript builder).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from operator import attrgetter
from typing import NamedTuple

from recordsdesk.models import RepeatPolicy, RoundingPolicy
from recordsdesk.services.shared.frozen import make_frozen

ZERO = Decimal("0")


@dataclass(frozen=True)
class MarkRule:
    """What one mark means: the flags of its GradeMark row. `graded` marks come from the
    course's own scale (letters, P/NP, standards) rather than the shared non-grade scale."""

    mark: str
    points: Decimal | None
    counts_in_gpa: bool
    earns_credit: bool
    counts_attempted: bool
    is_passing: bool
    graded: bool = True
    description: str = ""


class Attempt(NamedTuple):
    """One posted enrollment as the arithmetic sees it. `order` sorts attempts in time (term
    start, then anything stable); `course` identifies the course for repeat resolution."""

    key: int
    course: int
    order: int
    credits: Decimal
    rule: MarkRule
    weight: Decimal = ZERO


class Outcome(NamedTuple):
    """What one attempt adds to the record after the repeat policy is applied (a named tuple:
    a transcript makes one per course, and tuples are several times cheaper to build)."""

    included: bool
    repeated: bool
    attempted: Decimal
    earned: Decimal
    gpa_credits: Decimal
    quality_points: Decimal
    weighted_points: Decimal


@dataclass(frozen=True)
class Totals:
    credits_attempted: Decimal = ZERO
    credits_earned: Decimal = ZERO
    gpa_credits: Decimal = ZERO
    quality_points: Decimal = ZERO
    weighted_points: Decimal = ZERO

    def __add__(self, other: Totals) -> Totals:
        return make_frozen(
            Totals,
            credits_attempted=self.credits_attempted + other.credits_attempted,
            credits_earned=self.credits_earned + other.credits_earned,
            gpa_credits=self.gpa_credits + other.gpa_credits,
            quality_points=self.quality_points + other.quality_points,
            weighted_points=self.weighted_points + other.weighted_points,
        )

    def gpa(self, rounding: str, decimals: int, *, weighted: bool = False) -> Decimal | None:
        """The GPA under the policy, or None when nothing counts in it yet."""
        if self.gpa_credits == ZERO:
            return None
        points = self.weighted_points if weighted else self.quality_points
        return round_gpa(points / self.gpa_credits, rounding, decimals)


@cache
def _rounding(rounding: str, decimals: int) -> tuple[Decimal, str]:
    if not 0 <= decimals <= 4:
        raise ValueError(f"gpa decimals must be 0 to 4, not {decimals}")
    mode = ROUND_HALF_UP if RoundingPolicy(rounding) is RoundingPolicy.HALF_UP else ROUND_DOWN
    return Decimal(1).scaleb(-decimals), mode


def round_gpa(value: Decimal, rounding: str, decimals: int) -> Decimal:
    """Round half-up or truncate to `decimals` places (GPAs are never negative)."""
    step, mode = _rounding(rounding, decimals)
    return value.quantize(step, rounding=mode)


def _rank(attempt: Attempt) -> tuple[Decimal, int, int]:
    """How good an attempt is for the `highest` policy: points, then passing, then later."""
    points = attempt.rule.points if attempt.rule.counts_in_gpa and attempt.rule.points else ZERO
    return (points, 1 if attempt.rule.is_passing else 0, attempt.order)


def _graded_by_course(attempts: Iterable[Attempt]) -> dict[int, list[Attempt]]:
    """course -> its attempts with a mark of its own scale (the ones repeats are about)."""
    by_course: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        _key, course, _order, _hours, rule, _weight = attempt
        if rule.graded:
            group = by_course.get(course)
            if group is None:
                by_course[course] = [attempt]
            else:
                group.append(attempt)
    return by_course


def _excluded(by_course: dict[int, list[Attempt]], policy: str) -> set[int]:
    """Keys of the attempts the repeat policy leaves out."""
    chosen = RepeatPolicy(policy)
    excluded: set[int] = set()
    if chosen is RepeatPolicy.ALL:
        return excluded
    for group in by_course.values():
        if len(group) < 2:
            continue
        if chosen is RepeatPolicy.LATEST:
            keep = max(group, key=lambda a: (a.order, a.key))
        else:
            keep = max(group, key=lambda a: (*_rank(a), a.key))
        excluded.update(attempt.key for attempt in group if attempt.key != keep.key)
    return excluded


def included_attempts(attempts: Sequence[Attempt], policy: str) -> dict[int, bool]:
    """key -> whether the attempt counts, after the repeat policy."""
    excluded = _excluded(_graded_by_course(attempts), policy)
    return {a.key: a.key not in excluded for a in attempts}


_IN_TIME = attrgetter("order", "key")


def outcomes(attempts: Sequence[Attempt], policy: str) -> dict[int, Outcome]:
    """key -> what each attempt adds, in a way that does not depend on the input's order."""
    by_course = _graded_by_course(attempts)
    excluded = _excluded(by_course, policy)
    repeated_courses = {course for course, group in by_course.items() if len(group) > 1}
    earned_courses: set[int] = set()
    results: dict[int, Outcome] = {}
    for key, course, _order, hours, rule, weight in sorted(attempts, key=_IN_TIME):
        repeated = rule.graded and course in repeated_courses
        if key in excluded:
            results[key] = Outcome(False, repeated, ZERO, ZERO, ZERO, ZERO, ZERO)
            continue
        earned = ZERO
        if rule.earns_credit and rule.is_passing and course not in earned_courses:
            earned = hours
            if rule.graded:
                earned_courses.add(course)
        gpa_credits = quality = weighted = ZERO
        if rule.counts_in_gpa and rule.points is not None:
            gpa_credits = hours
            quality = hours * rule.points
            bonus = weight if rule.is_passing else ZERO
            weighted = hours * (rule.points + bonus)
        results[key] = Outcome(  # positional: a named tuple's keywords cost more
            True,  # included
            repeated,
            hours if rule.counts_attempted else ZERO,  # attempted
            earned,
            gpa_credits,
            quality,  # quality_points
            weighted,  # weighted_points
        )
    return results


def total(items: Iterable[Outcome]) -> Totals:
    attempted = earned = gpa_credits = quality = weighted = ZERO
    for o in items:
        if o.included:
            attempted += o.attempted
            earned += o.earned
            gpa_credits += o.gpa_credits
            quality += o.quality_points
            weighted += o.weighted_points
    return make_frozen(
        Totals,
        credits_attempted=attempted,
        credits_earned=earned,
        gpa_credits=gpa_credits,
        quality_points=quality,
        weighted_points=weighted,
    )


def cumulative_gpa(
    attempts: Sequence[Attempt],
    *,
    policy: str,
    rounding: str,
    decimals: int,
    weighted: bool = False,
) -> Decimal | None:
    """The GPA of a whole record in one call (what the property tests exercise)."""
    return total(outcomes(attempts, policy).values()).gpa(rounding, decimals, weighted=weighted)

"""Each demo student's stored term totals (`term_totals`), made from the rows the generator just
made, so a new demo needs no refresh and a million students cost no database reads.

The figures follow the transcript builder step for step, as `demo.standing` does: the same
mark rules and meanings (`meaning.rule_for`), the repeat policy (`gpa.outcomes`), the running
totals with transfer credit in earned credit; the seats, withdrawals and credits in progress
are counted as services/reports/totals.py counts them. tests/test_term_totals.py compares every
row of a new demo with the transcript builder's figures.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from recordsdesk.services.demo.standing import Posted, StandingPolicy
from recordsdesk.services.transcripts import gpa
from recordsdesk.services.transcripts.meaning import rule_for

_DECIMALS: dict[str, Decimal] = {}
# Columns of the enrollment rows the generator makes (writer.COLUMNS["enrollment"]).
_SECTION, _STATUS, _CREDITS, _GRADE_STATUS = 2, 3, 7, 9


def _decimal(text: str) -> Decimal:
    found = _DECIMALS.get(text)
    if found is None:
        found = _DECIMALS[text] = Decimal(text)
    return found


class TermTotalsRows:
    """Makes the rows, where a chunk is written (demo.standing's StandingStage calls it with
    each student's rows of the chunk)."""

    def __init__(self, policy: StandingPolicy, term_order: dict[int, int]) -> None:
        self.policy = policy
        self.term_order = term_order
        #: (scale id, basis, mark, credits, weight) -> what such an attempt adds on its own.
        self.alone: dict[tuple[int, str, str, str, str], gpa.Outcome] = {}

    def _rule(self, scale_id: int, basis: str, mark: str) -> gpa.MarkRule:
        """What the mark means (`demo.standing`'s table of meanings, shared)."""
        policy = self.policy
        key = (scale_id, basis, mark)
        rule = policy.meanings.get(key)
        if rule is None:
            rule = policy.meanings[key] = rule_for(
                policy.rules[0], scale_id, basis, mark, policy.np_counts_as_f
            )
        return rule

    def rows(
        self,
        student_id: int,
        program_id: int,
        posted: list[Posted],
        enrollments: list[tuple[Any, ...]],
        transfers: list[tuple[Any, ...]],
        term_of_section: Callable[[int], int],
    ) -> list[tuple[Any, ...]]:
        """The term_totals rows (COLUMNS order) of one student: their posted marks in term
        order, every enrollment row and transfer credit row of theirs."""
        policy = self.policy
        counts: dict[int, list[Any]] = {}  # term id -> [seats, seat credits, withdrawn, progress]
        for row in enrollments:
            status = row[_STATUS]
            if status not in ("registered", "completed", "withdrawn"):
                continue
            term_id = term_of_section(row[_SECTION])
            found = counts.get(term_id)
            if found is None:
                found = counts[term_id] = [0, gpa.ZERO, 0, gpa.ZERO]
            seat = _decimal(row[_CREDITS])
            if status == "withdrawn":
                found[2] += 1
            else:
                found[0] += 1
                found[1] += seat
                if status == "registered" and row[_GRADE_STATUS] != "posted":
                    found[3] += seat
        # Per term: attempted, earned, GPA credits, quality points, weighted points (gpa.total).
        zero = gpa.ZERO
        sums: dict[int, list[Decimal]] = {}
        posted_in: dict[int, int] = {}  # term id -> posted marks
        outcomes: list[tuple[int, gpa.Outcome]] = []  # (term id, what the attempt adds)
        if len({p[1] for p in posted}) == len(posted):
            # No course twice: each attempt adds what it adds alone (gpa.outcomes of it), the
            # same for every attempt with its mark, credits and weight.
            alone = self.alone
            for _eid, _course, _order, size, mark, basis, scale_id, weight, term_id in posted:
                key = (scale_id, basis, mark, size, weight)
                outcome = alone.get(key)
                if outcome is None:
                    rule = self._rule(scale_id, basis, mark)
                    attempt = gpa.Attempt(0, 0, 0, _decimal(size), rule, _decimal(weight))
                    outcome = alone[key] = gpa.outcomes([attempt], policy.repeat_policy)[0]
                outcomes.append((term_id, outcome))
        else:
            attempts = [
                gpa.Attempt(eid, course, order, _decimal(size), self._rule(scale_id, basis, mark),
                            _decimal(weight))
                for eid, course, order, size, mark, basis, scale_id, weight, _term in posted
            ]  # fmt: skip
            results = gpa.outcomes(attempts, policy.repeat_policy)
            outcomes = [(p[8], results[p[0]]) for p in posted]
        for term_id, o in outcomes:
            posted_in[term_id] = posted_in.get(term_id, 0) + 1
            if not o.included:
                continue
            found_sums = sums.get(term_id)
            if found_sums is None:
                found_sums = sums[term_id] = [zero, zero, zero, zero, zero]
            found_sums[0] += o.attempted
            found_sums[1] += o.earned
            found_sums[2] += o.gpa_credits
            found_sums[3] += o.quality_points
            found_sums[4] += o.weighted_points
        transfer = sum((_decimal(r[5]) for r in transfers), zero)
        running = [zero, transfer, zero, zero, zero]
        in_progress = zero
        made: list[tuple[Any, ...]] = []
        empty = (zero, zero, zero, zero, zero)
        for term_id in sorted(counts, key=self.term_order.__getitem__):
            seats, seat_credits, withdrawn, progress = counts[term_id]
            term = sums.get(term_id, empty)
            running = [r + t for r, t in zip(running, term, strict=True)]
            in_progress += progress
            made.append(
                (student_id, term_id, program_id, posted_in.get(term_id, 0),
                 *map(str, term), *map(str, running), _ratio(term), _ratio(running), seats,
                 str(seat_credits), withdrawn, str(progress), str(in_progress),
                 str(running[1] + in_progress), 0)
            )  # fmt: skip
        if made:
            made[-1] = (*made[-1][:-1], 1)
        return made


def _ratio(figures: Any) -> float | None:
    """The unrounded GPA as the stored float (None without GPA credits)."""
    if not figures[2]:
        return None
    return float(figures[3] / figures[2])

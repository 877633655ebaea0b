"""Each demo student's stored term totals (`term_totals`), made from the rows the generator just
made, so a new demo needs no refresh and a million students cost no database reads.

The figures follow the transcript builder step for step, as `demo.standing` does: the same
mark rules and meanings (`meaning.rule_for`), the repeat policy (`gpa.outcomes`), the running
totals with transfer credit in earned credit; the seats, withdrawals and credits in progress
are counted as services/reports/totals.py counts them. tests/test_term_totals.py compares every
row of a new demo with the transcript builder's figures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from recordsdesk.services.demo.standing import Posted, StandingPolicy
from recordsdesk.services.transcripts import gpa
from recordsdesk.services.transcripts.meaning import rule_for

_DECIMALS: dict[str, Decimal] = {}
# Columns of the enrollment rows the generator makes (writer.COLUMNS["enrollment"]).
_STUDENT, _SECTION, _STATUS, _CREDITS, _GRADE_STATUS = 1, 2, 3, 7, 9


def _decimal(text: str) -> Decimal:
    found = _DECIMALS.get(text)
    if found is None:
        found = _DECIMALS[text] = Decimal(text)
    return found


def _own_rows(rows: list[tuple[Any, ...]], student_id: int) -> list[tuple[Any, ...]]:
    """The student's rows at the end of `rows` (the generator appends a student's rows together)."""
    start = len(rows)
    while start and rows[start - 1][_STUDENT] == student_id:
        start -= 1
    return rows[start:]


class TermTotalsRows:
    """Makes the rows; `sections` is the generator's SectionPool, read for each new section's
    term as it is opened."""

    def __init__(self, policy: StandingPolicy, sections: Any, term_order: dict[int, int]) -> None:
        self.policy = policy
        self.sections = sections
        self.term_order = term_order
        self.section_term: dict[int, int] = {}
        self._seen: tuple[int, int] = (0, 0)  # (id of the pool's list, rows read from it)

    def _learn_sections(self) -> None:
        new_rows = self.sections.new_rows
        list_id, done = self._seen
        if list_id != id(new_rows):
            done = 0
        for row in new_rows[done:]:
            self.section_term[row[0]] = row[2]
        self._seen = (id(new_rows), len(new_rows))

    def rows(
        self, student_id: int, program_id: int, posted: list[Posted], out: dict[str, list[Any]]
    ) -> list[tuple[Any, ...]]:
        """The term_totals rows (COLUMNS order) of the student whose rows `out` ends with."""
        self._learn_sections()
        policy = self.policy
        rules = policy.rules[0]
        meanings = policy.meanings
        counts: dict[int, list[Any]] = {}  # term id -> [seats, seat credits, withdrawn, progress]
        section_term = self.section_term
        for row in _own_rows(out["enrollment"], student_id):
            status = row[_STATUS]
            if status not in ("registered", "completed", "withdrawn"):
                continue
            term_id = section_term[row[_SECTION]]
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
        attempts: list[gpa.Attempt] = []
        by_term: dict[int, list[gpa.Attempt]] = {}
        for eid, course_id, order, size, mark, basis, scale_id, weight, term_id in posted:
            key = (scale_id, basis, mark)
            rule = meanings.get(key)
            if rule is None:
                rule = meanings[key] = rule_for(rules, scale_id, basis, mark, policy.np_counts_as_f)
            attempt = gpa.Attempt(eid, course_id, order, _decimal(size), rule, _decimal(weight))
            attempts.append(attempt)
            by_term.setdefault(term_id, []).append(attempt)
        results = gpa.outcomes(attempts, policy.repeat_policy)
        transfer = sum(
            (_decimal(r[5]) for r in _own_rows(out["transfer_credit"], student_id)), gpa.ZERO
        )
        running = gpa.Totals(credits_earned=transfer)
        in_progress = gpa.ZERO
        made: list[tuple[Any, ...]] = []
        empty = gpa.Totals()
        for term_id in sorted(counts, key=self.term_order.__getitem__):
            seats, seat_credits, withdrawn, progress = counts[term_id]
            term_attempts = by_term.get(term_id, ())
            totals = gpa.total(results[a.key] for a in term_attempts) if term_attempts else empty
            running = running + totals
            in_progress += progress
            made.append(
                (student_id, term_id, program_id, len(term_attempts),
                 *(str(v) for v in _values(totals)), *(str(v) for v in _values(running)),
                 _ratio(totals), _ratio(running), seats, str(seat_credits), withdrawn,
                 str(progress), str(in_progress), 0)
            )  # fmt: skip
        if made:
            made[-1] = (*made[-1][:-1], 1)
        return made


def _values(totals: gpa.Totals) -> tuple[Decimal, ...]:
    return (totals.credits_attempted, totals.credits_earned, totals.gpa_credits,
            totals.quality_points, totals.weighted_points)  # fmt: skip


def _ratio(totals: gpa.Totals) -> float | None:
    """The unrounded GPA as the stored float (None without GPA credits)."""
    if not totals.gpa_credits:
        return None
    return float(totals.quality_points / totals.gpa_credits)

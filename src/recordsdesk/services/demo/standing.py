"""The academic standing of each demo student's posted terms, decided as posting decides it
(transcripts.standing.decide over the transcript's term and cumulative GPAs) but from the rows
the generator just made, so a million students cost no database reads.

The figures follow the transcript builder step for step: the same mark rules
(`builder.cached_rules`), the same meaning of each basis (`meaning.rule_for`), the same repeat
policy and rounding (`gpa.outcomes`, `Totals.gpa`); tests/test_demo.py checks that deciding
the demo's terms again through the service changes none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from recordsdesk.models import Institution, ProgramLevel, ScaleKind
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.transcripts import gpa
from recordsdesk.services.transcripts.builder import RulesByMark, cached_rules
from recordsdesk.services.transcripts.meaning import rule_for
from recordsdesk.services.transcripts.standing import StandingRules, decide, rules_of

#: One posted enrollment as the generator made it:
#: (enrollment id, course id, term order, credits, mark, basis, scale id, weight, term id).
Posted = tuple[int, int, int, str, str, str, int, str, int]


@dataclass(frozen=True)
class StandingPolicy:
    """What the decision needs from the institution and the grading scales, read once."""

    rules: RulesByMark
    repeat_policy: str
    rounding: str
    decimals: int
    np_counts_as_f: bool
    standing: StandingRules
    #: (scale id, basis, mark) -> what the mark counts for, filled as marks are met.
    meanings: dict[tuple[int, str, str], gpa.MarkRule] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session) -> StandingPolicy:
        institution = session.exec(select(Institution).order_by(col(Institution.id))).one()
        return cls(
            cached_rules(session),
            institution.repeat_policy,
            institution.gpa_rounding,
            institution.gpa_decimals,
            institution.np_counts_as_f,
            rules_of(institution),
        )


_DECIMALS: dict[str, Decimal] = {}


def _decimal(text: str) -> Decimal:
    found = _DECIMALS.get(text)
    if found is None:
        found = _DECIMALS[text] = Decimal(text)
    return found


def decide_posted(
    policy: StandingPolicy, program_level: str, posted: list[Posted], decided: set[int]
) -> list[tuple[int, str, Decimal | None, Decimal | None]]:
    """(term id, standing, term GPA, cumulative GPA) for each term in `decided` (the closed
    terms the student's marks were posted in), oldest first. `posted` is every posted
    enrollment of the student, in term order."""
    rules, kinds, _codes = policy.rules
    meanings = policy.meanings
    attempts: list[gpa.Attempt] = []
    by_term: dict[int, list[gpa.Attempt]] = {}
    kinds_seen: set[str] = set()
    for eid, course_id, order, size, mark, basis, scale_id, weight, term_id in posted:
        key = (scale_id, basis, mark)
        rule = meanings.get(key)
        if rule is None:
            rule = meanings[key] = rule_for(rules, scale_id, basis, mark, policy.np_counts_as_f)
        if rule.graded and basis == bases.GRADED:
            kinds_seen.add(kinds.get(scale_id, ""))
        attempt = gpa.Attempt(eid, course_id, order, _decimal(size), rule, _decimal(weight))
        attempts.append(attempt)
        by_term.setdefault(term_id, []).append(attempt)
    progress_only = program_level == ProgramLevel.ELEMENTARY.value or (
        bool(kinds_seen) and kinds_seen == {ScaleKind.STANDARDS.value}
    )
    results = gpa.outcomes(attempts, policy.repeat_policy)
    running = gpa.Totals()
    earlier: list[str] = []
    out: list[tuple[int, str, Decimal | None, Decimal | None]] = []
    for term_id, term_attempts in by_term.items():
        totals = gpa.total(results[a.key] for a in term_attempts)
        running = running + totals
        if term_id not in decided:
            continue
        term_gpa = None if progress_only else totals.gpa(policy.rounding, policy.decimals)
        cumulative = None if progress_only else running.gpa(policy.rounding, policy.decimals)
        standing = decide(policy.standing, term_gpa, cumulative, earlier)
        earlier.append(standing)
        out.append((term_id, standing, term_gpa, cumulative))
    return out


def standing_rows(
    decisions: list[tuple[int, str, Decimal | None, Decimal | None]],
    *,
    student_id: int,
    next_id: Any,
    decided_at: dict[int, str],
    decided_by: int,
) -> list[tuple[Any, ...]]:
    """The academic_standing rows of one student's decisions (writer.COLUMNS order)."""
    return [
        (next_id(), student_id, term_id, standing, standing,
         None if term_gpa is None else str(term_gpa),
         None if cumulative is None else str(cumulative),
         "", decided_at[term_id], decided_by, 1)
        for term_id, standing, term_gpa, cumulative in decisions
    ]  # fmt: skip

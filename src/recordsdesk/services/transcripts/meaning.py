"""What one posted mark means to the arithmetic: its grading basis's meaning when it was given
on a basis other than graded, else its course's scale's, else the NON-GRADE scale's; NP as F
when the institution says so. The transcript builder and the standing reports both read marks
through `rule_for`, so they cannot disagree."""

from __future__ import annotations

from recordsdesk.services.grades import basis as bases
from recordsdesk.services.transcripts import gpa


def unknown_mark(mark: str) -> gpa.MarkRule:
    """A mark no scale defines (data typed before a scale changed): it counts for nothing."""
    return gpa.MarkRule(mark, None, False, False, False, False, False, "not on any scale")


def _basis_rule(mark: bases.BasisMark) -> gpa.MarkRule:
    """A basis mark as the arithmetic reads it: credit (or none) outside the GPA. It is an
    attempt of the course (`graded`), so a repeat policy weighs it against the course's other
    attempts like any mark of the course."""
    return gpa.MarkRule(
        mark.mark,
        None,
        False,
        mark.earns_credit,
        mark.counts_attempted,
        mark.is_passing,
        True,
        mark.description,
    )


#: Basis marks with a meaning of their own; AU keeps the NON-GRADE scale's (it attempts nothing).
BASIS_RULES = {m.mark: _basis_rule(m) for m in bases.BASIS_MARKS.values() if m.mark != "AU"}
#: The basis marks (besides AU) whose meaning the basis decides, for SQL that sums them.
BASIS_MARKS = tuple(BASIS_RULES)


def _as_f(rule: gpa.MarkRule) -> gpa.MarkRule:
    return gpa.MarkRule(
        rule.mark, gpa.ZERO, True, False, True, False, rule.graded, rule.description
    )


_NP_AS_F: dict[gpa.MarkRule, gpa.MarkRule] = {}


def rule_for(
    rules: dict[tuple[int, str], gpa.MarkRule],
    scale_id: int,
    basis: str,
    mark: str,
    np_counts_as_f: bool,
) -> gpa.MarkRule:
    """What one posted mark means: its basis's meaning when given on a basis other than graded,
    else its course's scale's, else the NON-GRADE scale's; NP enters the GPA as an F (0 points)
    when the institution says so."""
    rule = None
    if basis != bases.GRADED:
        rule = BASIS_RULES.get(mark)
    if rule is None:
        rule = rules.get((scale_id, mark)) or rules.get((-1, mark)) or unknown_mark(mark)
    if np_counts_as_f and mark == bases.NO_PASS:
        found = _NP_AS_F.get(rule)
        if found is None:
            found = _NP_AS_F[rule] = _as_f(rule)
        return found
    return rule

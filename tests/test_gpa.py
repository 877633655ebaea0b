"""GPA arithmetic: hand-worked cases for every tricky mark and policy, and property tests."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recordsdesk.services.transcripts.gpa import (
    Attempt,
    MarkRule,
    Totals,
    cumulative_gpa,
    outcomes,
    round_gpa,
    total,
)


def letter(mark: str, points: str, passing: bool = True) -> MarkRule:
    return MarkRule(mark, D(points), True, passing, True, passing)


A, A_MINUS, B_PLUS, B, C, F = (
    letter("A", "4.00"),
    letter("A-", "3.70"),
    letter("B+", "3.30"),
    letter("B", "3.00"),
    letter("C", "2.00"),
    letter("F", "0.00", passing=False),
)
# The NON-GRADE scale's flags, as shipped in data/grading_scales.json.
W = MarkRule("W", None, False, False, False, False, graded=False)
INC = MarkRule("I", None, False, False, True, False, graded=False)
AU = MarkRule("AU", None, False, False, False, False, graded=False)
IP = MarkRule("IP", None, False, False, False, False, graded=False)
P = MarkRule("P", None, False, True, True, True)
NP = MarkRule("NP", None, False, False, True, False)
SBG3 = MarkRule("3", None, False, True, True, True)

_keys = iter(range(1, 1_000_000))


def att(
    rule: MarkRule, size: str = "3", course: int | None = None, order: int = 0, weight: str = "0"
) -> Attempt:
    key = next(_keys)
    return Attempt(key, course if course is not None else key, order, D(size), rule, D(weight))


def totals(attempts: list[Attempt], policy: str = "latest") -> Totals:
    return total(outcomes(attempts, policy).values())


def test_plain_letters_hand_worked() -> None:
    # 3 x 4.00 + 4 x 3.30 + 3 x 2.00 = 12 + 13.2 + 6 = 31.2 over 10 credits = 3.12
    t = totals([att(A, "3"), att(B_PLUS, "4"), att(C, "3")])
    assert (t.quality_points, t.gpa_credits) == (D("31.2"), D("10"))
    assert t.gpa("half_up", 2) == D("3.12")
    assert (t.credits_attempted, t.credits_earned) == (D("10"), D("10"))


def test_failure_attempts_and_counts_but_earns_nothing() -> None:
    t = totals([att(A, "3"), att(F, "3")])
    assert t.gpa("half_up", 2) == D("2.00")
    assert (t.credits_attempted, t.credits_earned, t.gpa_credits) == (D("6"), D("3"), D("6"))


@pytest.mark.parametrize(
    ("rule", "attempted", "earned"),
    [
        (W, "0", "0"),
        (INC, "3", "0"),
        (AU, "0", "0"),
        (IP, "0", "0"),
        (P, "3", "3"),
        (NP, "3", "0"),
        (SBG3, "3", "3"),
    ],
)
def test_non_gpa_marks(rule: MarkRule, attempted: str, earned: str) -> None:
    """None of these marks moves the GPA; each attempts and earns what its flags say."""
    t = totals([att(A_MINUS, "3"), att(rule, "3")])
    assert t.gpa("half_up", 2) == D("3.70")
    assert t.gpa_credits == D("3")
    assert t.credits_attempted == D("3") + D(attempted)
    assert t.credits_earned == D("3") + D(earned)


def test_only_non_gpa_marks_have_no_gpa() -> None:
    assert totals([att(P), att(W), att(SBG3)]).gpa("half_up", 2) is None


def test_rounding_half_up_and_truncate() -> None:
    # 3.70 + 3.30 + 3.30 = 10.3 / 3 = 3.4333...
    t = totals([att(A_MINUS, "1"), att(B_PLUS, "1"), att(B_PLUS, "1")])
    assert t.gpa("half_up", 2) == D("3.43")
    assert t.gpa("truncate", 2) == D("3.43")
    # 2.345 exactly: half-up 2.35, truncate 2.34
    assert round_gpa(D("2.345"), "half_up", 2) == D("2.35")
    assert round_gpa(D("2.345"), "truncate", 2) == D("2.34")
    assert round_gpa(D("3.9999"), "truncate", 1) == D("3.9")
    assert round_gpa(D("3.95"), "half_up", 1) == D("4.0")
    assert round_gpa(D("3.5"), "half_up", 0) == D("4")
    assert round_gpa(D("3.14159"), "half_up", 4) == D("3.1416")
    with pytest.raises(ValueError):
        round_gpa(D("3"), "half_up", 5)


def _repeat_case() -> list[Attempt]:
    # Course 7 taken three times: F, then B, then C; plus another course at A.
    return [
        att(F, "3", course=7, order=0),
        att(B, "3", course=7, order=1),
        att(C, "3", course=7, order=2),
        att(A, "3", course=8, order=0),
    ]


def test_repeat_latest() -> None:
    attempts = _repeat_case()
    result = outcomes(attempts, "latest")
    assert [result[a.key].included for a in attempts] == [False, False, True, True]
    assert all(result[a.key].repeated for a in attempts[:3])
    assert not result[attempts[3].key].repeated
    t = total(result.values())
    assert t.gpa("half_up", 2) == D("3.00")  # (2 + 4) x 3 / 6
    assert (t.credits_attempted, t.credits_earned) == (D("6"), D("6"))


def test_repeat_highest() -> None:
    attempts = _repeat_case()
    result = outcomes(attempts, "highest")
    assert [result[a.key].included for a in attempts] == [False, True, False, True]
    assert total(result.values()).gpa("half_up", 2) == D("3.50")  # (3 + 4) / 2


def test_repeat_all_counts_every_attempt_but_earns_once() -> None:
    attempts = _repeat_case()
    t = total(outcomes(attempts, "all").values())
    # (0 + 9 + 6 + 12) / 12 = 2.25
    assert t.gpa("half_up", 2) == D("2.25")
    assert t.credits_attempted == D("12")
    assert t.credits_earned == D("6")  # course 7 once, course 8 once


def test_repeat_highest_tie_goes_to_later_attempt() -> None:
    first, second = att(B, course=3, order=0), att(B, course=3, order=1)
    result = outcomes([first, second], "highest")
    assert (result[first.key].included, result[second.key].included) == (False, True)


def test_withdrawal_is_not_a_repeat() -> None:
    """A W on a course never replaces or hides a graded attempt of it."""
    graded, withdrawn = att(B, course=5, order=0), att(W, course=5, order=1)
    result = outcomes([graded, withdrawn], "latest")
    assert result[graded.key].included and not result[graded.key].repeated
    assert total(result.values()).gpa("half_up", 2) == D("3.00")


def test_latest_failed_retake_loses_the_earlier_credit() -> None:
    attempts = [att(B, course=4, order=0), att(F, course=4, order=1)]
    t = totals(attempts, "latest")
    assert (t.gpa("half_up", 2), t.credits_earned) == (D("0.00"), D("0"))


def test_weighted_adds_weight_only_to_passing_gpa_marks() -> None:
    honors_a = att(A, "1", weight="1")  # 5.0 weighted
    honors_f = att(F, "1", weight="1")  # failure: no bonus
    regular_b = att(B, "1")
    t = totals([honors_a, honors_f, regular_b])
    assert t.gpa("half_up", 2) == D("2.33")  # 7 / 3
    assert t.gpa("half_up", 2, weighted=True) == D("2.67")  # (5 + 0 + 3) / 3
    assert totals([att(P, "1", weight="1")]).weighted_points == D("0")


def test_cumulative_gpa_helper() -> None:
    assert cumulative_gpa(_repeat_case(), policy="latest", rounding="half_up", decimals=2) == D(
        "3.00"
    )


# ---- property tests -------------------------------------------------------------------------

GPA_RULES = [A, A_MINUS, B_PLUS, B, C, F]
NON_GPA_RULES = [W, INC, AU, IP, P, NP, SBG3]
ALL_RULES = GPA_RULES + NON_GPA_RULES

attempt_st = st.builds(
    lambda rule, size, course, order, weight: (rule, size, course, order, weight),
    st.sampled_from(ALL_RULES),
    st.sampled_from(["0.5", "1", "3", "4", "1.25"]),
    st.integers(1, 6),
    st.integers(0, 5),
    st.sampled_from(["0", "0.5", "1"]),
)
policies = st.sampled_from(["latest", "highest", "all"])
roundings = st.sampled_from(["half_up", "truncate"])


def build(specs: list[tuple[MarkRule, str, int, int, str]]) -> list[Attempt]:
    return [
        Attempt(i, course, order, D(size), rule, D(weight))
        for i, (rule, size, course, order, weight) in enumerate(specs)
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(attempt_st, max_size=12), policies, roundings, st.integers(0, 4))
def test_gpa_within_scale(specs: list, policy: str, rounding: str, decimals: int) -> None:
    attempts = build(specs)
    for weighted, ceiling in ((False, D("4")), (True, D("5"))):
        value = cumulative_gpa(
            attempts, policy=policy, rounding=rounding, decimals=decimals, weighted=weighted
        )
        if value is not None:
            assert D("0") <= value <= ceiling
            assert -value.as_tuple().exponent == decimals  # type: ignore[operator]


@settings(max_examples=150, deadline=None)
@given(st.lists(attempt_st, max_size=12), policies, st.randoms(use_true_random=False))
def test_order_of_input_does_not_matter(specs: list, policy: str, rnd: object) -> None:
    attempts = build(specs)
    shuffled = list(attempts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert totals(attempts, policy) == totals(shuffled, policy)


@settings(max_examples=150, deadline=None)
@given(st.lists(attempt_st, max_size=10), policies, st.sampled_from(NON_GPA_RULES))
def test_adding_a_non_gpa_mark_in_a_new_course_keeps_the_gpa(
    specs: list, policy: str, rule: MarkRule
) -> None:
    attempts = build(specs)
    extra = Attempt(10_000, 999, 3, D("3"), rule)
    before = totals(attempts, policy)
    after = totals([*attempts, extra], policy)
    assert (after.gpa_credits, after.quality_points) == (before.gpa_credits, before.quality_points)


@settings(max_examples=150, deadline=None)
@given(st.lists(attempt_st, max_size=12), policies)
def test_weighted_never_below_unweighted_and_earned_within_attempted_sum(
    specs: list, policy: str
) -> None:
    attempts = build(specs)
    t = totals(attempts, policy)
    assert t.weighted_points >= t.quality_points
    assert t.credits_earned <= sum((a.credits for a in attempts), D("0"))
    included = outcomes(attempts, policy)
    assert sum(1 for o in included.values() if o.included) >= len(
        {a.course for a in attempts if a.rule.graded}
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(attempt_st, max_size=10))
def test_without_repeats_every_policy_agrees(specs: list) -> None:
    attempts = [
        Attempt(i, 100 + i, order, D(size), rule, D(weight))
        for i, (rule, size, _course, order, weight) in enumerate(specs)
    ]
    assert totals(attempts, "latest") == totals(attempts, "highest") == totals(attempts, "all")

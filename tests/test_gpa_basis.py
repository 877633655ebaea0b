"""Grading-basis marks in the GPA arithmetic, through `meaning.rule_for` (the meaning the
transcript and the reports give a posted mark): property tests over random records."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from recordsdesk.services.transcripts.gpa import Attempt, MarkRule, cumulative_gpa
from recordsdesk.services.transcripts.meaning import rule_for

SCALE = 1
# US-PM's letters and the NON-GRADE scale (stored under -1), with their shipped flags.
RULES: dict[tuple[int, str], MarkRule] = {
    (SCALE, mark): MarkRule(mark, D(points), True, mark != "F", True, mark != "F")
    for mark, points in (("A", "4.00"), ("B+", "3.30"), ("B", "3.00"), ("C-", "1.70"),
                         ("D", "1.00"), ("F", "0.00"))
} | {
    (-1, "W"): MarkRule("W", None, False, False, False, False, graded=False),
    (-1, "I"): MarkRule("I", None, False, False, True, False, graded=False),
    (-1, "AU"): MarkRule("AU", None, False, False, False, False, graded=False),
}  # fmt: skip
LETTERS = ["A", "B+", "B", "C-", "D", "F"]
#: A record row: (course, term order, credits, basis, mark).
Row = tuple[int, int, str, str, str]

graded_row = st.tuples(
    st.integers(1, 6),
    st.integers(0, 5),
    st.just("3"),  # a course has one credit value, whichever attempt
    st.just("graded"),
    st.sampled_from([*LETTERS, "W", "I"]),
)
basis_row = st.sampled_from(
    [("pass_no_pass", "P"), ("pass_no_pass", "NP"), ("satisfactory", "S"),
     ("satisfactory", "U"), ("credit", "CR"), ("credit", "NC"), ("audit", "AU")]
).flatmap(
    lambda bm: st.tuples(st.integers(1, 6), st.integers(0, 5), st.just("3"), st.just(bm[0]),
                         st.just(bm[1]))
)  # fmt: skip
record = st.lists(st.one_of(graded_row, basis_row), max_size=12)
policies = st.sampled_from(["latest", "highest", "all"])
CREDIT_MARKS = [("pass_no_pass", "P"), ("satisfactory", "S"), ("credit", "CR"), ("audit", "AU")]


def gpa(rows: list[Row], policy: str, np_as_f: bool) -> D | None:
    attempts = [
        Attempt(i, course, order, D(size), rule_for(RULES, SCALE, basis, mark, np_as_f))
        for i, (course, order, size, basis, mark) in enumerate(rows)
    ]
    return cumulative_gpa(attempts, policy=policy, rounding="half_up", decimals=4)


@settings(max_examples=200, deadline=None)
@given(
    record,
    policies,
    st.booleans(),
    st.lists(st.tuples(st.sampled_from(CREDIT_MARKS), st.integers(0, 5)), min_size=1, max_size=4),
)
def test_adding_p_s_cr_or_au_courses_keeps_the_gpa(
    rows: list[Row], policy: str, np_as_f: bool, added: list[tuple[tuple[str, str], int]]
) -> None:
    extra = [(100 + n, order, "4", basis, mark) for n, ((basis, mark), order) in enumerate(added)]
    assert gpa([*rows, *extra], policy, np_as_f) == gpa(rows, policy, np_as_f)


@settings(max_examples=200, deadline=None)
@given(record, policies, st.data())
def test_with_np_counted_as_f_changing_a_graded_course_to_np_never_raises_the_gpa(
    rows: list[Row], policy: str, data: st.DataObject
) -> None:
    """The property holds with `np_counts_as_f` on: the course stays in the GPA at 0 points.
    By default NP leaves the GPA, exactly as if the course had not been taken (asserted last),
    so it can raise the GPA (test_by_default_np_can_raise_the_gpa). (A course taken once:
    under `highest` a repeat could hand the course to an earlier P, which is the policy, not
    the basis, at work.)"""
    taken = {course for course, *_ in rows}
    course = 100
    letter = data.draw(st.sampled_from(LETTERS))
    graded = [*rows, (course, data.draw(st.integers(0, 5)), "3", "graded", letter)]
    as_np = [*rows, (course, graded[-1][1], "3", "pass_no_pass", "NP")]
    assert course not in taken
    before, after = gpa(graded, policy, True), gpa(as_np, policy, True)
    assert before is not None and after is not None and after <= before
    assert gpa(as_np, policy, False) == gpa(rows, policy, False)


@settings(max_examples=200, deadline=None)
@given(record, st.sampled_from(["latest", "all"]), st.data())
def test_np_as_f_on_a_repeated_course_never_raises_the_gpa(
    rows: list[Row], policy: str, data: st.DataObject
) -> None:
    """Any graded attempt, repeats included, turned to NP counted as F."""
    graded_at = [i for i, row in enumerate(rows) if row[3] == "graded" and row[4] in LETTERS]
    if not graded_at:
        return
    index = data.draw(st.sampled_from(graded_at))
    course, order, size, _basis, _mark = rows[index]
    changed = list(rows)
    changed[index] = (course, order, size, "pass_no_pass", "NP")
    before, after = gpa(rows, policy, True), gpa(changed, policy, True)
    if before is not None:  # (a record whose letters a later P replaced has no GPA to raise)
        assert after is not None and after <= before


def test_by_default_np_can_raise_the_gpa() -> None:
    """Why the property above needs `np_counts_as_f`: the guide's example (Settings), a D
    beside an A is 2.50; the D course as NP, left out of the GPA by default, leaves 4.00."""
    a_and_d = [(1, 0, "3", "graded", "A"), (2, 0, "3", "graded", "D")]
    a_and_np = [(1, 0, "3", "graded", "A"), (2, 0, "3", "pass_no_pass", "NP")]
    assert gpa(a_and_d, "latest", False) == D("2.5000")
    assert gpa(a_and_np, "latest", False) == D("4.0000")  # raised
    assert gpa(a_and_np, "latest", True) == D("2.0000")  # as an F: not raised

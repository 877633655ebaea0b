"""The academic standing of each demo student's posted terms, decided as posting decides it
(transcripts.standing.decide over the transcript's term and cumulative GPAs) but from the rows
the generator just made, so a million students cost no database reads. `StandingStage` does it
where each chunk is written (in the writer process for a large build), from the chunk's own
section, student and enrollment rows: no random draws, so it need not run on the generator.

The figures follow the transcript builder step for step: the same mark rules
(`builder.cached_rules`), the same meaning of each basis (`meaning.rule_for`), the same repeat
policy and rounding (`gpa.outcomes`, `Totals.gpa`); tests/test_demo.py checks that deciding
the demo's terms again through the service changes none of them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from recordsdesk.models import Institution, ProgramLevel, ScaleKind
from recordsdesk.services.demo.writer import COLUMNS
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.transcripts import gpa
from recordsdesk.services.transcripts.builder import RulesByMark, cached_rules
from recordsdesk.services.transcripts.gpa import ZERO
from recordsdesk.services.transcripts.meaning import rule_for
from recordsdesk.services.transcripts.standing import StandingRules, decide, rules_of

if TYPE_CHECKING:
    from recordsdesk.services.demo.totals import TermTotalsRows

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
    #: (credits text, scale id, basis, mark) -> (graded, counts in the GPA, GPA credits,
    #: quality points): what one posted attempt adds before the repeat policy.
    adds: dict[tuple[str, int, str, str], tuple[bool, bool, Decimal, Decimal]] = field(
        default_factory=dict
    )

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


def _adds(
    policy: StandingPolicy, size: str, scale_id: int, basis: str, mark: str
) -> tuple[bool, bool, Decimal, Decimal]:
    rules, _kinds, _codes = policy.rules
    key = (scale_id, basis, mark)
    rule = policy.meanings.get(key)
    if rule is None:
        rule = policy.meanings[key] = rule_for(rules, scale_id, basis, mark, policy.np_counts_as_f)
    hours = _decimal(size)
    # As gpa.outcomes: an included attempt adds its hours and hours x points when it counts.
    if rule.counts_in_gpa and rule.points is not None:
        return rule.graded, True, hours, hours * rule.points
    return rule.graded, False, ZERO, ZERO


def decide_posted(
    policy: StandingPolicy, program_level: str, posted: list[Posted], decided: set[int]
) -> list[tuple[int, str, Decimal | None, Decimal | None]]:
    """(term id, standing, term GPA, cumulative GPA) for each term in `decided` (the closed
    terms the student's marks were posted in), oldest first. `posted` is every posted
    enrollment of the student, in term order.

    The GPA sums are gpa.outcomes' and gpa.total's, the same Decimal operations in the same
    order, but only the two a standing needs (GPA credits, quality points) and without an
    Attempt or Outcome per mark: this runs for every student of the build, on its critical
    path. Repeats go through gpa's own repeat policy."""
    kinds = policy.rules[1]
    adds_of = policy.adds
    kinds_seen: set[str] = set()
    graded_by_course: dict[int, list[int]] = {}  # course -> positions of its graded attempts
    adds: list[tuple[bool, bool, Decimal, Decimal]] = []
    for position, (_eid, course_id, _order, size, mark, basis, scale_id, _w, _t) in enumerate(
        posted
    ):
        key = (size, scale_id, basis, mark)
        add = adds_of.get(key)
        if add is None:
            add = adds_of[key] = _adds(policy, size, scale_id, basis, mark)
        adds.append(add)
        if add[0]:
            if basis == bases.GRADED:
                kinds_seen.add(kinds.get(scale_id, ""))
            group = graded_by_course.get(course_id)
            if group is None:
                graded_by_course[course_id] = [position]
            else:
                group.append(position)
    progress_only = program_level == ProgramLevel.ELEMENTARY.value or (
        bool(kinds_seen) and kinds_seen == {ScaleKind.STANDARDS.value}
    )
    excluded = _excluded(policy, posted, graded_by_course)
    out: list[tuple[int, str, Decimal | None, Decimal | None]] = []
    earlier: list[str] = []
    run_credits = run_quality = ZERO
    term_id = posted[0][8] if posted else None
    term_credits = term_quality = ZERO
    for position, row in enumerate(posted):
        if row[8] != term_id:
            run_credits, run_quality, earlier = _close_term(
                policy, term_id, term_credits, term_quality, run_credits, run_quality, earlier,
                decided, progress_only, out,
            )  # fmt: skip
            term_id = row[8]
            term_credits = term_quality = ZERO
        add = adds[position]
        if add[1] and row[0] not in excluded:
            term_credits += add[2]
            term_quality += add[3]
    if posted:
        _close_term(
            policy, term_id, term_credits, term_quality, run_credits, run_quality, earlier, decided,
            progress_only, out,
        )  # fmt: skip
    return out


def _excluded(
    policy: StandingPolicy, posted: list[Posted], graded_by_course: dict[int, list[int]]
) -> set[int]:
    """Enrollment ids of the attempts the repeat policy leaves out (gpa's own rule decides)."""
    attempts: list[gpa.Attempt] = []
    for group in graded_by_course.values():
        if len(group) < 2:
            continue
        for position in group:
            eid, course_id, order, size, mark, basis, scale_id, weight, _term = posted[position]
            rule = policy.meanings[(scale_id, basis, mark)]
            attempts.append(
                gpa.Attempt(eid, course_id, order, _decimal(size), rule, _decimal(weight))
            )
    if not attempts:
        return set()
    return {key for key, kept in gpa.included_attempts(attempts, policy.repeat_policy).items()
            if not kept}  # fmt: skip


def _close_term(
    policy: StandingPolicy,
    term_id: int | None,
    term_credits: Decimal,
    term_quality: Decimal,
    run_credits: Decimal,
    run_quality: Decimal,
    earlier: list[str],
    decided: set[int],
    progress_only: bool,
    out: list[tuple[int, str, Decimal | None, Decimal | None]],
) -> tuple[Decimal, Decimal, list[str]]:
    """Add a finished term to the running sums and decide it when its marks were posted."""
    run_credits = run_credits + term_credits
    run_quality = run_quality + term_quality
    if term_id is None or term_id not in decided:
        return run_credits, run_quality, earlier
    term_gpa = cumulative = None
    if not progress_only:
        if term_credits != ZERO:
            term_gpa = gpa.round_gpa(term_quality / term_credits, policy.rounding, policy.decimals)
        if run_credits != ZERO:
            cumulative = gpa.round_gpa(run_quality / run_credits, policy.rounding, policy.decimals)
    standing = decide(policy.standing, term_gpa, cumulative, earlier)
    earlier.append(standing)
    out.append((term_id, standing, term_gpa, cumulative))
    return run_credits, run_quality, earlier


_ENROLLMENT = COLUMNS["enrollment"]
_E_ID, _E_STUDENT, _E_SECTION = 0, 1, _ENROLLMENT.index("section_id")
_E_CREDITS, _E_MARK = _ENROLLMENT.index("credits"), _ENROLLMENT.index("mark")
_E_STATUS, _E_BASIS = _ENROLLMENT.index("grade_status"), _ENROLLMENT.index("grading_basis")
_S_PROGRAM = COLUMNS["student"].index("program_id")
#: One student's posted marks as StandingStage gathers them from a chunk:
#: (student id, program level, every posted enrollment in term order, the closed terms posted).
PostedRecord = tuple[int, str, list[Posted], set[int]]


@dataclass
class StandingStage:
    """Decides a chunk's academic_standing rows from its other rows (students, sections,
    enrollments with their posted marks), wherever the chunk is written: in the writer process
    for a large SQLite build, so the decisions (no random draws in them) run beside the
    generator instead of on its critical path. Chunks arrive in student order and ids continue
    from one to the next, so the rows are the ones deciding inside the generator gave."""

    policy: StandingPolicy
    decided_at: dict[int, str]  # term id -> when its marks were posted, as stored
    decided_by: int
    next_id: int
    courses: dict[int, tuple[int, str]]  # course id -> (scale id, weight)
    terms: dict[int, tuple[int, bool]]  # term id -> (order, closed)
    levels: dict[int, str]  # program id -> level
    #: Every section seen so far, by id from the first: its course and term (sections are
    #: numbered in the order they are opened and a chunk carries the ones it opened).
    _first_section: int = 0
    _section_course: array[int] = field(default_factory=lambda: array("l"))
    _section_term: array[int] = field(default_factory=lambda: array("l"))

    #: Makes each student's term_totals rows beside the standing (demo.totals), if given.
    totals: TermTotalsRows | None = None

    def records(
        self, chunk: dict[str, list[tuple[Any, ...]]]
    ) -> Iterator[tuple[int, int, list[Posted], set[int], list[tuple[Any, ...]]]]:
        """(student id, program id, every posted enrollment in term order, the closed terms
        posted, all their enrollment rows) for each student of the chunk with an enrollment, in
        student order: what the generator used to collect while it walked the student's terms.
        Call once per chunk, in chunk order (the chunk's sections are remembered for later
        ones)."""
        section_course, section_term = self._section_course, self._section_term
        for section in chunk["section"]:
            if not section_course:
                self._first_section = section[0]
            assert section[0] == self._first_section + len(section_course)
            section_course.append(section[1])
            section_term.append(section[2])
        first_section = self._first_section
        programs = {row[0]: row[_S_PROGRAM] for row in chunk["student"]}
        courses, terms = self.courses, self.terms
        student = 0
        posted: list[Posted] = []
        decided: set[int] = set()
        own: list[tuple[Any, ...]] = []
        for row in chunk["enrollment"]:
            if row[_E_STUDENT] != student:
                if own:
                    yield student, programs[student], posted, decided, own
                student, posted, decided, own = row[_E_STUDENT], [], set(), []
            own.append(row)
            mark = row[_E_MARK]
            if row[_E_STATUS] != "posted" or mark is None:
                continue
            index = row[_E_SECTION] - first_section
            course_id, term_id = section_course[index], section_term[index]
            scale_id, weight = courses[course_id]
            order, closed = terms[term_id]
            posted.append(
                (row[_E_ID], course_id, order, row[_E_CREDITS], mark, row[_E_BASIS], scale_id,
                 weight, term_id)
            )  # fmt: skip
            if closed:
                decided.add(term_id)
        if own:
            yield student, programs[student], posted, decided, own

    def term_of_section(self, section_id: int) -> int:
        """The term of a section seen in this or an earlier chunk."""
        return self._section_term[section_id - self._first_section]

    def posted_by_student(self, chunk: dict[str, list[tuple[Any, ...]]]) -> Iterator[PostedRecord]:
        """(student id, program level, posted enrollments in term order, closed terms posted)
        for each student of the chunk with a mark posted in a closed term (see `records`)."""
        levels = self.levels
        for student, program, posted, decided, _own in self.records(chunk):
            if decided:
                yield student, levels[program], posted, decided

    def derive(self, chunk: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
        """The chunk's academic_standing rows and, with `totals`, its term_totals rows, in one
        pass over its enrollments."""
        standing: list[tuple[Any, ...]] = []
        made: list[tuple[Any, ...]] = []
        policy, decided_at, decided_by = self.policy, self.decided_at, self.decided_by
        levels, totals = self.levels, self.totals
        transfer: dict[int, list[tuple[Any, ...]]] = {}
        for row in chunk["transfer_credit"]:
            transfer.setdefault(row[1], []).append(row)
        next_id = self.next_id
        for student, program, posted, decided, own in self.records(chunk):
            if totals is not None:
                made += totals.rows(
                    student, program, posted, own, transfer.get(student, []),
                    self.term_of_section,
                )  # fmt: skip
            if not decided:
                continue
            for term_id, level_standing, term_gpa, cumulative in decide_posted(
                policy, levels[program], posted, decided
            ):
                standing.append(
                    (next_id, student, term_id, level_standing, level_standing,
                     None if term_gpa is None else str(term_gpa),
                     None if cumulative is None else str(cumulative),
                     "", decided_at[term_id], decided_by, 1)
                )  # fmt: skip
                next_id += 1
        self.next_id = next_id
        return {"academic_standing": standing, "term_totals": made}

    def rows(self, chunk: dict[str, list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        """The chunk's academic_standing rows alone (writer.COLUMNS order)."""
        return self.derive(chunk)["academic_standing"]

"""Registrar reports against a demo institution, each figure recomputed here independently:
plain SQL or a straightforward pass over the rows, and the transcript builder (one student at a
time) for anything GPA-based, so a report can never disagree with a printed transcript.

One 300-student demo per module (reports only read; the export test adds an audit event).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.reports import REPORTS, ReportTable, export_csv, run_report, to_csv
from recordsdesk.services.reports.output import cell_text, to_text
from recordsdesk.services.reports.standing import student_figures
from recordsdesk.services.reports.table import resolve_term
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from recordsdesk.services.transcripts.builder import DEANS_LIST, PROBATION, build_transcript
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.totals import refresh
from tests.conftest import demo_engine_for
from tests.totals_oracle import assert_rows_are_the_transcripts

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 25)
STUDENTS = 300


@pytest.fixture(scope="module")
def demo_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    yield from demo_engine_for(
        request, tmp_path_factory, folder="reports", students=STUDENTS, seed=3, today=TODAY
    )


@pytest.fixture
def db(demo_engine: Engine) -> Iterator[Session]:
    with session_scope(demo_engine) as session:
        yield session


@pytest.fixture
def registrar(db: Session) -> Actor:
    return actor_for(db, "registrar")


def sql(session: Session, query: str, **params: Any) -> list[Any]:
    return list(session.execute(text(query), params).all())


def by_number(table: ReportTable) -> dict[str, tuple[Any, ...]]:
    return {str(row[0]): row for row in table.rows}


def posted_students(session: Session, term_code: str) -> list[str]:
    return [
        r[0]
        for r in sql(
            session,
            "SELECT DISTINCT s.student_number FROM enrollment e JOIN student s "
            "ON s.id = e.student_id JOIN section sec ON sec.id = e.section_id "
            "JOIN term t ON t.id = sec.term_id WHERE t.code = :c AND e.grade_status = 'posted'",
            c=term_code,
        )
    ]


def repeaters(session: Session) -> set[str]:
    return {
        r[0]
        for r in sql(
            session,
            "SELECT s.student_number FROM enrollment e JOIN student s ON s.id = e.student_id "
            "JOIN section sec ON sec.id = e.section_id WHERE e.grade_status = 'posted' "
            "AND e.mark NOT IN ('W', 'I', 'AU', 'IP') "
            "GROUP BY s.student_number, sec.course_id HAVING COUNT(*) > 1",
        )
    }


# --- enrollment ---------------------------------------------------------------------------


def test_enrollment_counts_match_a_pass_over_the_rows(db: Session, registrar: Actor) -> None:
    students: dict[tuple[str, str], set[int]] = defaultdict(set)
    seats: Counter[tuple[str, str]] = Counter()
    seat_credits: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    withdrawn: Counter[tuple[str, str]] = Counter()
    headcount: dict[str, set[int]] = defaultdict(set)
    for term, program, sid, status, credit in sql(
        db,
        "SELECT t.code, COALESCE(p.code, ''), e.student_id, e.status, "
        "COALESCE(e.credits, c.credits) FROM enrollment e JOIN section sec "
        "ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id JOIN term t "
        "ON t.id = sec.term_id JOIN student s ON s.id = e.student_id LEFT JOIN program p "
        "ON p.id = s.program_id",
    ):
        key = (term, program or "(no program)")
        if status in ("registered", "completed"):
            students[key].add(sid)
            headcount[term].add(sid)
            seats[key] += 1
            seat_credits[key] += Decimal(str(credit))
        elif status == "withdrawn":
            withdrawn[key] += 1

    table = run_report(db, actor=registrar, name="enrollment")
    programs = {(str(r[0]), str(r[2])): r for r in table.rows if r[2] != "All programs"}
    totals = {str(r[0]): r for r in table.rows if r[2] == "All programs"}
    expected_keys = set(students) | set(withdrawn)
    assert set(programs) == expected_keys
    for key in expected_keys:
        row = programs[key]
        assert row[4:] == (
            len(students[key]),
            seats[key],
            seat_credits[key].quantize(Decimal("0.01")),
            withdrawn[key],
        ), key
    for term, ids in headcount.items():
        assert totals[term][4] == len(ids)
    assert table.chart is not None and dict(table.chart.bars) == {
        t: len(ids) for t, ids in headcount.items()
    }

    one = run_report(
        db, actor=registrar, name="enrollment", term_code="2026FA", program_code="BS-CS"
    )
    assert [r[4] for r in one.rows] == [len(students[("2026FA", "BS-CS")])] * 2


# --- section fill -------------------------------------------------------------------------


def test_section_fill_matches_a_pass_over_the_enrollments(db: Session, registrar: Actor) -> None:
    registered: Counter[tuple[str, str]] = Counter()
    waitlisted: Counter[tuple[str, str]] = Counter()
    capacity: dict[tuple[str, str], int] = {}
    for code, section, cap, status in sql(
        db,
        "SELECT c.code, sec.section_code, sec.capacity, e.status FROM section sec "
        "JOIN course c ON c.id = sec.course_id JOIN term t ON t.id = sec.term_id "
        "LEFT JOIN enrollment e ON e.section_id = sec.id WHERE t.code = '2026FA'",
    ):
        capacity[(code, section)] = cap
        registered[(code, section)] += status in ("registered", "completed")
        waitlisted[(code, section)] += status == "waitlisted"

    table = run_report(db, actor=registrar, name="section-fill", today=TODAY)
    assert table.subtitle.startswith("2026FA")  # the term running on TODAY
    rows = {(str(r[0]), str(r[1])): r for r in table.rows}
    assert set(rows) == set(capacity)
    for key, row in rows.items():
        assert row[4:6] == (capacity[key], registered[key])
        assert row[8] == waitlisted[key]
        if capacity[key]:
            share = Decimal(registered[key] * 100) / capacity[key]
            assert abs(Decimal(str(row[6])) - share) <= Decimal("0.05")
    fills = [r[6] for r in table.rows if r[6] is not None]
    assert fills == sorted(fills, reverse=True)


# --- dean's list and probation: the transcript is the oracle ------------------------------


def transcript_standing(session: Session, actor: Actor, number: str, term: str) -> Any:
    transcript = build_transcript(session, actor=actor, student_number=number)
    return next((t for t in transcript.terms if t.code == term), None)


@pytest.mark.parametrize("policy", ["latest", "highest", "all"])
def test_deans_list_is_the_transcripts_term_standing(
    db: Session, registrar: Actor, policy: str
) -> None:
    db.execute(text("UPDATE institution SET repeat_policy = :p"), {"p": policy})
    term = "2026SP"
    expected = {}
    for number in posted_students(db, term):
        record = transcript_standing(db, registrar, number, term)
        if record is not None and record.standing == DEANS_LIST:
            expected[number] = (record.gpa, record.cumulative_gpa)
    table = run_report(db, actor=registrar, name="deans-list", term_code=term)
    listed = by_number(table)
    assert {n: (r[4], r[5]) for n, r in listed.items()} == expected
    assert expected and repeaters(db) & set(posted_students(db, term)), "repeats are exercised"
    gpas = [r[4] for r in table.rows]
    assert gpas == sorted(gpas, reverse=True)
    db.rollback()


@pytest.mark.parametrize("policy", ["latest", "highest", "all"])
def test_every_students_figures_are_the_transcripts(
    db: Session, registrar: Actor, policy: str
) -> None:
    """The figures every standing report reads, student by student, against the builder: the
    whole record and one term's, weighted points included, under each repeat policy; and the
    stored term totals, every term of every student."""
    db.execute(text("UPDATE institution SET repeat_policy = :p"), {"p": policy})
    numbers = dict(sql(db, "SELECT id, student_number FROM student"))
    whole = student_figures(db, scope="SELECT id FROM student", params={}, repeat_policy=policy)
    term = resolve_term(db, "2026SP")
    in_term = student_figures(
        db, scope="SELECT id FROM student", params={}, repeat_policy=policy, term=term
    )
    compared = 0
    for sid, number in numbers.items():
        transcript = build_transcript(db, actor=registrar, student_number=number)
        if not transcript.terms:
            assert sid not in whole
            continue
        transfer = Totals(credits_earned=transcript.transfer_credits)
        assert whole[sid].through + transfer == transcript.cumulative, number
        record = next((t for t in transcript.terms if t.code == "2026SP"), None)
        earlier = [t for t in transcript.terms if t.start_date and t.start_date <= term.start_date]
        if record is not None:
            assert in_term[sid].term == record.totals, number
        if earlier:
            assert in_term[sid].through + transfer == earlier[-1].cumulative, number
        compared += 1
    assert compared > STUDENTS // 2 and repeaters(db), "repeats are exercised"
    # The stored term totals the reports read, term by term (refreshed under the new policy).
    refresh(db)
    assert assert_rows_are_the_transcripts(db, registrar) > STUDENTS
    db.rollback()


@pytest.mark.parametrize("policy", ["latest", "highest", "all"])
def test_class_rank_is_the_transcripts_cumulative_gpas(
    db: Session, registrar: Actor, policy: str
) -> None:
    db.execute(text("UPDATE institution SET repeat_policy = :p"), {"p": policy})
    term = "2026SP"
    expected = {}
    for (number,) in sql(
        db,
        "SELECT s.student_number FROM student s JOIN program p ON p.id = s.program_id "
        "WHERE p.level = 'secondary' AND s.class_year IS NOT NULL "
        "AND s.status IN ('active', 'on_leave', 'suspended')",
    ):
        transcript = build_transcript(db, actor=registrar, student_number=number)
        start = (
            next(t.start_date for t in transcript.terms if t.code == term)
            if any(t.code == term for t in transcript.terms)
            else resolve_term(db, term).start_date
        )
        records = [t for t in transcript.terms if t.start_date and t.start_date <= start]
        if records and records[-1].cumulative_gpa is not None:
            last = records[-1]
            expected[number] = (last.cumulative_weighted_gpa, last.cumulative_gpa)
    table = run_report(db, actor=registrar, name="class-rank", term_code=term)
    assert {str(r[2]): (r[4], r[5]) for r in table.rows} == expected
    assert expected, "the demo has secondary students with a GPA"
    db.rollback()


@pytest.mark.parametrize("policy", ["latest", "highest", "all"])
def test_probation_is_the_transcripts_cumulative_gpa(
    db: Session, registrar: Actor, policy: str
) -> None:
    db.execute(text("UPDATE institution SET repeat_policy = :p"), {"p": policy})
    current = sql(
        db,
        "SELECT s.student_number FROM student s LEFT JOIN program p ON p.id = s.program_id "
        "WHERE s.status IN ('active', 'on_leave', 'suspended') "
        "AND (p.level IS NULL OR p.level <> 'elementary')",
    )
    expected = {}
    for (number,) in current:
        transcript = build_transcript(db, actor=registrar, student_number=number)
        if transcript.cumulative_gpa is not None and transcript.cumulative_gpa < Decimal("2.00"):
            expected[number] = transcript.cumulative_gpa
    table = run_report(db, actor=registrar, name="probation")
    assert {n: r[5] for n, r in by_number(table).items()} == expected
    assert expected, "the demo has students on probation"

    # For a term: the standing its transcript prints, decided when the demo's marks were
    # posted (a second probation term in a row is a suspension, and so on: all are listed).
    term = "2026SP"
    below_the_line = {PROBATION, "Academic suspension", "Academic dismissal"}
    in_term = {}
    for number in posted_students(db, term):
        record = transcript_standing(db, registrar, number, term)
        if record is not None and record.standing in below_the_line:
            in_term[number] = (record.cumulative_gpa, record.gpa)
    for_term = run_report(db, actor=registrar, name="probation", term_code=term)
    assert {n: (r[5], r[6]) for n, r in by_number(for_term).items()} == in_term
    db.rollback()


def test_term_lists_follow_decided_standings_and_filters(db: Session, registrar: Actor) -> None:
    """One term's probation and dean's list read each student's decided standing (an override
    either way, or none decided, when the GPA decides) as the transcript prints it, and keep
    the same rows under --program and the directory opt-out."""
    term = "2026SP"
    tid = resolve_term(db, term).id
    standings = dict(
        sql(db, "SELECT student_id, standing FROM academic_standing WHERE term_id = :t", t=tid)
    )
    assert len(set(standings.values())) > 1, "the demo decided standings at posting"
    before = run_report(db, actor=registrar, name="probation", term_code=term)
    honoured = run_report(db, actor=registrar, name="deans-list", term_code=term)
    ids = dict(sql(db, "SELECT student_number, id FROM student"))
    listed = [ids[str(r[0])] for r in before.rows]
    best = [ids[str(r[0])] for r in honoured.rows]
    assert len(listed) >= 3 and len(best) >= 2
    # A listed student overridden to good, an honoured one to probation, and two students
    # below the line left with no decision (the GPA decides for them).
    overrides = {listed[0]: "good", best[0]: "probation"}
    for sid, level in overrides.items():
        db.execute(
            text(
                "UPDATE academic_standing SET standing = :l WHERE student_id = :s AND term_id = :t"
            ),
            {"l": level, "s": sid, "t": tid},
        )
    for sid in (listed[1], listed[2], best[1]):
        db.execute(
            text("DELETE FROM academic_standing WHERE student_id = :s AND term_id = :t"),
            {"s": sid, "t": tid},
        )
    below_the_line = {PROBATION, "Academic suspension", "Academic dismissal"}
    expected_below, expected_best = {}, {}
    for number in posted_students(db, term):
        record = transcript_standing(db, registrar, number, term)
        if record is None:
            continue
        if record.standing in below_the_line:
            expected_below[number] = (record.cumulative_gpa, record.gpa)
        if record.standing == DEANS_LIST:
            expected_best[number] = (record.gpa, record.cumulative_gpa)
    after = run_report(db, actor=registrar, name="probation", term_code=term)
    assert {n: (r[5], r[6]) for n, r in by_number(after).items()} == expected_below
    numbers = {sid: number for number, sid in ids.items()}
    assert numbers[listed[0]] not in expected_below and numbers[best[0]] in expected_below
    assert numbers[listed[1]] in expected_below  # no decision, below the line
    honoured_after = run_report(db, actor=registrar, name="deans-list", term_code=term)
    assert {n: (r[4], r[5]) for n, r in by_number(honoured_after).items()} == expected_best
    assert numbers[best[0]] not in expected_best and numbers[best[1]] in expected_best

    # --program and the directory opt-out narrow the same rows.
    program, confidential = sql(
        db,
        "SELECT p.code, s.id FROM student s JOIN program p ON p.id = s.program_id "
        "WHERE s.student_number = :n",
        n=str(after.rows[0][0]),
    )[0]
    db.execute(text("UPDATE student SET confidential = TRUE WHERE id = :s"), {"s": confidential})
    for name, full in (("probation", after), ("deans-list", honoured_after)):
        narrowed = run_report(db, actor=registrar, name=name, term_code=term, program_code=program)
        # (the flag column now says yes for the student made confidential)
        assert [r[:-1] for r in narrowed.rows] == [r[:-1] for r in full.rows if r[2] == program]
        public = run_report(db, actor=registrar, name=name, term_code=term, directory_only=True)
        assert [r[:-1] for r in public.rows] == [
            r[:-1] for r in full.rows if not r[-1] and str(r[0]) != numbers[confidential]
        ]
    db.rollback()


# --- incompletes ----------------------------------------------------------------------------


def test_incompletes_states_by_hand(db: Session, registrar: Actor) -> None:
    expected = {}
    for number, course, term, expires, term_end in sql(
        db,
        "SELECT s.student_number, c.code, t.code, e.incomplete_expires, t.end_date "
        "FROM enrollment e JOIN student s ON s.id = e.student_id JOIN section sec "
        "ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id JOIN term t "
        "ON t.id = sec.term_id WHERE e.mark = 'I' AND e.grade_status = 'posted'",
    ):
        deadline = date.fromisoformat(str(expires)[:10]) if expires else None
        if deadline is None:
            deadline = date.fromisoformat(str(term_end)[:10]) + timedelta(days=120)
        if deadline < TODAY:
            state = "lapsed"
        elif deadline <= TODAY + timedelta(days=30):
            state = "expiring"
        else:
            state = "open"
        expected[(number, course, term)] = (deadline, state)
    table = run_report(db, actor=registrar, name="incompletes", today=TODAY)
    got = {
        (str(r[0]), str(r[3]), str(r[4])): (r[6], str(r[8]).replace(" (by policy)", ""))
        for r in table.rows
    }
    assert got == expected and expected
    assert table.chart is not None
    assert sum(n for _, n in table.chart.bars) == len(expected)
    # Lapsed ones first, oldest first; the subtitle counts them apart.
    states = [str(r[8]).replace(" (by policy)", "") for r in table.rows]
    lapsed = states.count("lapsed")
    assert states[:lapsed] == ["lapsed"] * lapsed and "lapsed" not in states[lapsed:]
    assert [r[6] for r in table.rows] == sorted(r[6] for r in table.rows)
    assert table.subtitle.endswith(f": {len(table.rows)} ({lapsed} lapsed, to convert)")
    # A day after the earliest deadline, that incomplete has lapsed.
    earliest = min(d for d, _ in expected.values())
    later = run_report(db, actor=registrar, name="incompletes", today=earliest + timedelta(days=1))
    assert any(r[6] == earliest and str(r[8]).startswith("lapsed") for r in later.rows)


# --- graduation -----------------------------------------------------------------------------


def test_graduation_audit_by_hand(db: Session, registrar: Actor) -> None:
    rank = {
        (scale, mark): (order, bool(passing))
        for scale, mark, order, passing in sql(
            db, "SELECT scale_id, mark, sort_order, is_passing FROM grade_mark"
        )
    }
    current = sql(
        db,
        "SELECT s.id, s.student_number, s.program_id, p.required_credits, p.min_gpa "
        "FROM student s JOIN program p ON p.id = s.program_id WHERE s.status IN "
        "('active', 'on_leave') AND p.required_credits > 0 AND p.level <> 'elementary'",
    )
    requirements = defaultdict(list)
    for program_id, course_id, code, min_mark in sql(
        db,
        "SELECT r.program_id, r.course_id, c.code, r.min_mark FROM program_requirement r "
        "JOIN course c ON c.id = r.course_id",
    ):
        requirements[program_id].append((course_id, code, min_mark))
    expected = {}
    for sid, number, program_id, required, min_gpa in current:
        transcript = build_transcript(db, actor=registrar, student_number=number)
        earned = transcript.cumulative.credits_earned
        progress = sum((line.credits for line in transcript.in_progress), Decimal(0))
        if earned + progress < Decimal(str(required)):
            continue
        taken = sql(
            db,
            "SELECT sec.course_id, c.grading_scale_id, e.mark, e.grade_status, e.status "
            "FROM enrollment e JOIN section sec ON sec.id = e.section_id JOIN course c "
            "ON c.id = sec.course_id WHERE e.student_id = :sid",
            sid=sid,
        )
        transferred = {
            r[0]
            for r in sql(
                db,
                "SELECT equivalent_course_id FROM transfer_credit WHERE student_id = :sid",
                sid=sid,
            )
        }
        missing, pending = [], []
        for course_id, code, min_mark in requirements[program_id]:
            met = course_id in transferred
            for taken_course, scale, mark, grade_status, _status in taken:
                if taken_course != course_id or grade_status != "posted":
                    continue
                order, passing = rank.get((scale, mark), (99, False))
                needed = rank.get((scale, min_mark or ""), (99, True))[0]
                if passing and (not min_mark or (scale, min_mark) not in rank or order <= needed):
                    met = True
            if not met:
                missing.append(code)
                if any(
                    t[0] == course_id and t[4] == "registered" and t[3] != "posted" for t in taken
                ):
                    pending.append(code)
        gpa_ok = min_gpa is None or (
            transcript.cumulative_gpa is not None
            and transcript.cumulative_gpa >= Decimal(str(min_gpa))
        )
        if earned >= Decimal(str(required)) and not missing and gpa_ok:
            result = "Meets every requirement"
        elif gpa_ok and set(missing) == set(pending):
            result = "Meets every requirement once in-progress courses pass"
        else:
            result = "Missing"
        expected[number] = (earned, progress, transcript.cumulative_gpa, sorted(pending), result)
    table = run_report(db, actor=registrar, name="graduation")
    got = {
        number: (
            row[3],
            row[4],
            row[7],
            sorted(c for c in str(row[11]).split(", ") if c),
            str(row[12]).split(":")[0],
        )
        for number, row in by_number(table).items()
    }
    assert got == expected
    results = Counter(v[4] for v in expected.values())
    assert results["Meets every requirement"] and len(results) >= 2, results


# --- grade distribution ---------------------------------------------------------------------


def test_grade_distribution_counts_by_plain_sql(db: Session, registrar: Actor) -> None:
    term = "2025FA"
    expected = {
        (code, mark): n
        for code, mark, n in sql(
            db,
            "SELECT c.code, e.mark, COUNT(*) FROM enrollment e JOIN section sec "
            "ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id JOIN term t "
            "ON t.id = sec.term_id WHERE t.code = :t AND e.grade_status = 'posted' "
            "GROUP BY c.code, e.mark",
            t=term,
        )
    }
    table = run_report(db, actor=registrar, name="grade-distribution", term_code=term)
    got = {}
    for row in table.rows:
        for index in table.chart_columns:
            if row[index]:
                got[(str(row[0]), table.columns[index])] = row[index]
        assert row[-1] == sum(int(row[i] or 0) for i in table.chart_columns)
    assert got == expected
    marks = [table.columns[i] for i in table.chart_columns]
    assert marks.index("A") < marks.index("B") < marks.index("F") < marks.index("W")
    assert table.chart is not None
    assert sum(n for _, n in table.chart.bars) == sum(expected.values())
    first = table.row_chart(0)
    assert first is not None and str(table.rows[0][0]) in first.title

    # --program counts that program's students' marks alone.
    program = sql(db, "SELECT code FROM program WHERE code = 'BS-CS'")[0][0]
    narrowed = run_report(
        db, actor=registrar, name="grade-distribution", term_code=term, program_code=program
    )
    mine = {
        (code, mark): n
        for code, mark, n in sql(
            db,
            "SELECT c.code, e.mark, COUNT(*) FROM enrollment e JOIN section sec "
            "ON sec.id = e.section_id JOIN course c ON c.id = sec.course_id JOIN term t "
            "ON t.id = sec.term_id JOIN student s ON s.id = e.student_id JOIN program p "
            "ON p.id = s.program_id WHERE t.code = :t AND e.grade_status = 'posted' "
            "AND p.code = :p GROUP BY c.code, e.mark",
            t=term,
            p=program,
        )
    }
    assert mine and sum(mine.values()) < sum(expected.values())
    assert {
        (str(row[0]), narrowed.columns[i]): row[i]
        for row in narrowed.rows
        for i in narrowed.chart_columns
        if row[i]
    } == mine


# --- holds and confidentiality -------------------------------------------------------------


def test_holds_and_the_directory_opt_out(db: Session, registrar: Actor) -> None:
    db.execute(
        text(
            "UPDATE student SET confidential = TRUE WHERE id = "
            "(SELECT MIN(student_id) FROM hold WHERE released_at IS NULL)"
        )
    )
    active = sql(
        db,
        "SELECT s.student_number, h.hold_type, h.reason, s.confidential FROM hold h "
        "JOIN student s ON s.id = h.student_id WHERE h.released_at IS NULL",
    )
    table = run_report(db, actor=registrar, name="holds")
    assert Counter((str(r[0]), r[4], r[6]) for r in table.rows) == Counter(
        (n, t, reason) for n, t, reason, _ in active
    )
    flagged = {str(r[0]) for r in table.rows if r[-1] == "yes"}
    assert flagged == {n for n, _, _, secret in active if secret}
    public = run_report(db, actor=registrar, name="holds", directory_only=True)
    assert {str(r[0]) for r in public.rows} == {n for n, _, _, secret in active if not secret}
    assert "may be released" in public.footnotes[-1]
    assert flagged, "a confidential student with a hold is listed, flagged"
    db.rollback()


# --- registry, output, permissions ----------------------------------------------------------


def test_bad_names_and_filters_are_refused_in_words(db: Session, registrar: Actor) -> None:
    cases = [
        ({"name": "nope"}, "report", "no report 'nope'"),
        ({"name": "holds", "term_code": "2026FA"}, "term", "no term filter"),
        ({"name": "section-fill", "program_code": "BS-CS"}, "program", "no program filter"),
        ({"name": "deans-list", "term_code": "2099XX"}, "term", "no term '2099XX'"),
        ({"name": "probation", "program_code": "ZZZ"}, "program", "no program 'ZZZ'"),
    ]
    for arguments, field, words in cases:
        with pytest.raises(ValidationFailed) as caught:
            run_report(db, actor=registrar, **arguments)
        assert caught.value.field == field and words in caught.value.message
    with pytest.raises(PermissionDenied):
        run_report(db, actor=actor_for(db, "clerk"), name="holds")


def test_every_report_exports_csv_that_reads_back(
    db: Session, registrar: Actor, tmp_path: Path
) -> None:
    for spec in REPORTS:
        table = run_report(db, actor=registrar, name=spec.name, today=TODAY)
        parsed = list(csv.reader(io.StringIO(to_csv(table))))
        assert tuple(parsed[0]) == table.columns
        assert parsed[1:] == [[cell_text(v) for v in row] for row in table.rows], spec.name
        assert table.title in to_text(table)
    table = run_report(db, actor=registrar, name="probation")
    target = export_csv(db, actor=registrar, table=table, path=tmp_path / "out" / "p.csv")
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # spreadsheets read accented names
    assert len(content.decode("utf-8-sig").splitlines()) == len(table.rows) + 1
    event = sql(
        db,
        "SELECT action, entity, entity_id, after FROM audit_event WHERE action = 'export' "
        "ORDER BY id DESC LIMIT 1",
    )[0]
    assert event[:3] == ("export", "report", "probation") and str(target) in event[3]
    with pytest.raises(ValidationFailed) as caught:
        export_csv(db, actor=registrar, table=table, path=tmp_path)
    assert caught.value.field == "path"

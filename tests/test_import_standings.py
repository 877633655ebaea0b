"""A history import decides its terms' standings from set-based figures: the very standings
posting's path (a transcript per student) would decide, under each repeat policy, whether it
reads them from the stored term totals or (every row awaiting a rebuild) sums the marks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AcademicStanding, Institution, Term
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.interchange.imports.standings import decide_standings
from recordsdesk.services.transcripts import totals
from recordsdesk.services.transcripts.standing import decide_many

HEAD = "student_number,last_name,first_name,birth_date,term,course_code,course_title,credits,mark"
TERMS = ("2019FA", "2020WI", "2020SP", "2020FA")
MARKS = ("A", "A-", "B+", "B", "C", "C-", "D", "F", "F", "W", "P", "NP")


def _history(path: Path) -> None:
    """40 students: half repeat courses in later terms, half never do (their figures are summed
    term by term, the others' read from the transcript); failing and passing marks,
    withdrawals and pass/no pass marks on a letter scale."""
    rng = random.Random(17)
    lines = [HEAD]
    for n in range(40):
        for k, term in enumerate(TERMS):
            courses = rng.sample(range(6), 3) if n < 20 else [10 + 3 * k + j for j in range(3)]
            for c in courses:
                mark = rng.choice(MARKS)
                lines.append(f"R{n:03d},Ngata,Aroha,2001-01-0{1 + n % 9},{term},C{c},C {c},"
                             f"{1 + (c + k) % 4},{mark}")  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("stored", [True, False], ids=["stored-totals", "from-marks"])
@pytest.mark.parametrize("policy", ["latest", "highest", "all"])
def test_imported_standings_are_the_ones_posting_decides(
    engine: Engine, system: Actor, tmp_path: Path, policy: str, stored: bool
) -> None:
    with session_scope(engine) as session:
        institution = session.exec(select(Institution).order_by(col(Institution.id))).one()
        institution.repeat_policy = policy
        session.add(institution)
        session.flush()
        if stored:
            totals.rebuild(session)  # the term totals current: the standings read them
        else:  # a policy changed since the last rebuild: the figures come from the marks
            session.execute(text("DELETE FROM term_totals_basis"))
        assert totals.needs_rebuild(session) is not stored
    csv = tmp_path / "history.csv"
    _history(csv)
    run_import(engine, actor=system, kind="history", path=csv)
    with Session(engine) as session:
        stored = session.exec(select(AcademicStanding)).all()
        term_ids = [t.id for t in session.exec(select(Term)) if t.id is not None]
        students = {s.student_id for s in stored}
        assert len(stored) == 40 * len(TERMS)
        assert {s.standing for s in stored} > {"good"}  # the marks give more than one standing
        # Posting's path over the same records: it changes nothing the import stored.
        decisions = decide_many(
            session, actor=system, terms_by_student=dict.fromkeys(students, term_ids)
        )
        assert len(decisions) == len(stored)
        assert [d for d in decisions if d.changed] == []
        session.rollback()


def test_a_step_refreshes_a_student_written_since_the_import(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    """A desk that changes a student's marks between the import's commit and the standing step
    leaves them noted stale: the step brings their term totals up to date before it reads."""
    csv = tmp_path / "history.csv"
    _history(csv)
    run_import(engine, actor=system, kind="history", path=csv)
    with session_scope(engine) as session:
        student_id = int(session.execute(text("SELECT min(student_id) FROM enrollment")).one()[0])
        session.execute(
            text("UPDATE enrollment SET mark = 'F' WHERE student_id = :s"), {"s": student_id}
        )
        assert student_id in {
            int(r[0]) for r in session.execute(text("SELECT student_id FROM term_totals_stale"))
        }
        term_ids = [t.id for t in session.exec(select(Term)) if t.id is not None]
        decide_standings(system, "test", {student_id: term_ids}, 0, 1, session, lambda *_args: None)
        stale = session.execute(
            text("SELECT 1 FROM term_totals_stale WHERE student_id = :s"), {"s": student_id}
        ).first()
        assert stale is None
        decisions = decide_many(session, actor=system, terms_by_student={student_id: term_ids})
        assert [d for d in decisions if d.changed] == []
        assert {d.row.standing for d in decisions} != {"good"}  # the F marks were read
        session.rollback()

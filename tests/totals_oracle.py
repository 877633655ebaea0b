"""The stored term totals against the transcript builder, student by student (shared by the
report and term-totals tests)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.reports.table import decimal
from recordsdesk.services.transcripts.builder import build_transcript
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.totals import term_rows


def _totals(row: tuple[object, ...], first: int) -> Totals:
    return Totals(*(decimal(v) for v in row[first : first + 5]))


def assert_rows_are_the_transcripts(
    session: Session, actor: Actor, student_ids: Iterable[int] | None = None
) -> int:
    """Every listed student's stored rows (all students when None) hold their transcript's
    term and cumulative figures, one posted row per transcript term, the last row marked
    latest with the whole record's figures. Returns how many terms were compared."""
    if student_ids is None:
        student_ids = [int(r[0]) for r in session.execute(text("SELECT id FROM student"))]
    compared = 0
    for sid in student_ids:
        transcript = build_transcript(session, actor=actor, student_id=sid, with_rank=False)
        stored = term_rows(session, sid)
        posted = [row for row in stored if int(row[3]) > 0]
        assert [row[-1] for row in posted] == [t.code for t in transcript.terms], sid
        for row, record in zip(posted, transcript.terms, strict=True):
            assert _totals(row, 4) == record.totals, (sid, record.code)
            assert _totals(row, 9) == record.cumulative, (sid, record.code)
            compared += 1
        latest = [bool(row[-2]) for row in stored]
        assert latest == [i == len(stored) - 1 for i in range(len(stored))], sid
        if stored:
            last = _totals(stored[-1], 9)
            assert last == transcript.cumulative, sid
    return compared

"""The standings of a history import's terms, decided after its commit, a few hundred students
per short transaction.

The rules and their order are posting's (`transcripts.standing.decide_in_order`, over each
student's transcript); what differs is the writing: the stored standings are read as plain
rows, new ones inserted in bulk and changed ones updated by one executemany, with one audit
event per student listing every term decided for them (an ORM object per standing cost more
than the transcripts themselves).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlmodel import Session, col
from sqlmodel import select as model_select

from recordsdesk.models import AcademicStanding, Institution, Term, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.trail import hold_chain_lock, plain
from recordsdesk.services.interchange.imports.audit_batch import AuditBatch
from recordsdesk.services.interchange.imports.bulk import insert_rows
from recordsdesk.services.interchange.imports.common import Progress
from recordsdesk.services.transcripts import standing
from recordsdesk.services.transcripts.builder import build_transcript

_STANDING: Table = AcademicStanding.__table__  # type: ignore[attr-defined]
_TERM: Table = Term.__table__  # type: ignore[attr-defined]
#: The key of a standing event's before and after: one entry per term decided.
STANDINGS = "standings"


def _number(value: Any) -> Decimal | None:
    """A stored GPA as the decision gives it (SQLite hands back a float)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def decide_standings(
    actor: Actor,
    reason: str,
    terms_by_student: Mapping[int, Sequence[int]],
    done: int,
    total: int,
    session: Session,
    progress: Progress,
) -> None:
    """One step of an import's standings: each student of `terms_by_student` for each of
    their terms, stored and audited (one event per student whose standings changed)."""
    progress("deciding standing", done, total)
    hold_chain_lock(session)
    wanted = sorted({t for ids in terms_by_student.values() for t in ids})
    terms = {
        row.id: row for row in session.execute(select(_TERM).where(_TERM.c.id.in_(wanted))).all()
    }
    institution = session.exec(model_select(Institution).order_by(col(Institution.id))).first()
    assert institution is not None
    rules = standing.rules_of(institution)
    students = sorted(terms_by_student)
    stored: dict[int, dict[int, Any]] = {}
    query = (
        select(_STANDING, _TERM.c.start_date)
        .join(_TERM, _TERM.c.id == _STANDING.c.term_id)
        .where(_STANDING.c.student_id.in_(students))
    )
    for found in session.execute(query):
        stored.setdefault(found.student_id, {})[found.term_id] = found
    now = utcnow()
    new_rows: list[tuple[Any, ...]] = []
    changed_rows: list[dict[str, Any]] = []
    batch = AuditBatch(session, actor, reason=reason, at=now)
    for student_id in students:
        transcript = build_transcript(session, actor=actor, student_id=student_id, with_rank=False)
        mine = stored.get(student_id, {})
        standings = {t: r.standing for t, r in mine.items()}
        starts = {t: r.start_date for t, r in mine.items()}
        kept = {t for t, r in mine.items() if r.override_reason}
        ordered = [terms[t] for t in set(terms_by_student[student_id])]
        before: list[dict[str, Any]] = []
        after: list[dict[str, Any]] = []
        for term, level, computed, term_gpa, cumulative in standing.decide_in_order(
            rules, transcript, ordered, standings, starts, kept
        ):
            figures = {
                "standing": level,
                "computed": computed,
                "term_gpa": plain(term_gpa),
                "cumulative_gpa": plain(cumulative),
            }
            row = mine.get(term.id)
            if row is None:
                new_rows.append(
                    (student_id, term.id, level, computed, term_gpa, cumulative, "", now,
                     actor.id, 1)
                )  # fmt: skip
            else:
                was = (
                    row.standing,
                    row.computed,
                    _number(row.term_gpa),
                    _number(row.cumulative_gpa),
                )
                if was == (level, computed, term_gpa, cumulative):
                    continue  # decided alike: nothing to write
                changed_rows.append(
                    {"key": row.id, "standing": level, "computed": computed,
                     "term_gpa": term_gpa, "cumulative_gpa": cumulative, "version": row.version + 1}
                )  # fmt: skip
                before.append(
                    {"term": term.code, "standing": was[0], "computed": was[1],
                     "term_gpa": plain(was[2]), "cumulative_gpa": plain(was[3]),
                     "version": row.version}
                )  # fmt: skip
                figures["version"] = row.version + 1
            after.append({"term": term.code} | figures)
        if after:
            batch.add(
                action=standing.DECIDE,
                entity="student",
                entity_id=student_id,
                student_id=student_id,
                before={STANDINGS: before} if before else None,
                after={STANDINGS: after},
            )
    columns = ("student_id", "term_id", "standing", "computed", "term_gpa", "cumulative_gpa",
               "override_reason", "decided_at", "decided_by_id", "version")  # fmt: skip
    insert_rows(session, _STANDING, columns, new_rows)
    if changed_rows:
        table = _STANDING
        session.execute(
            update(table)
            .where(table.c.id == bindparam("key"))
            .values(
                standing=bindparam("standing"),
                computed=bindparam("computed"),
                term_gpa=bindparam("term_gpa"),
                cumulative_gpa=bindparam("cumulative_gpa"),
                version=bindparam("version"),
                decided_at=now,
                decided_by_id=actor.id,
            ),
            changed_rows,
        )
    batch.flush()
    progress("deciding standing", done + len(terms_by_student), total)

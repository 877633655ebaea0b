"""Students with holds: every hold not yet released, oldest first, with what it blocks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from recordsdesk.models import HoldType
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.people import (
    CONFIDENTIAL_COLUMN,
    PERSON_COLUMNS,
    PERSON_JOIN,
    student_scope,
)
from recordsdesk.services.reports.table import (
    Chart,
    ReportTable,
    Value,
    confidential_note,
    day,
    full_name,
    resolve_program,
)
from recordsdesk.services.shared.rawsql import Statement

TITLE = "Students with holds"
COLUMNS = (
    "Student no.",
    "Name",
    "Program",
    "Status",
    "Hold",
    "Blocks",
    "Reason",
    "Placed",
    "Placed by",
    CONFIDENTIAL_COLUMN,
)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _blocks(registration: bool, transcript: bool) -> str:
    return " + ".join(
        word for word, on in (("registration", registration), ("transcript", transcript)) if on
    )


def holds(
    session: Session,
    *,
    actor: Actor,
    program_code: str | None = None,
    directory_only: bool = False,
) -> ReportTable:
    """Active holds (placed, not released), oldest first; a chart of holds by type. Raises
    ValidationFailed for an unknown program."""
    authorize(actor, Action.REPORT_RUN)
    program = resolve_program(session, program_code) if program_code else None
    scope, params = student_scope(
        session, "SELECT id FROM student", program=program, directory_only=directory_only
    )
    found = Statement(
        f"SELECT {PERSON_COLUMNS}, h.hold_type, h.blocks_registration, h.blocks_transcript, "
        "h.reason, h.placed_at, COALESCE(u.username, '') FROM hold h "
        f"{PERSON_JOIN.format(sid='h.student_id')} "
        "LEFT JOIN staff_user u ON u.id = h.placed_by_id "
        "WHERE h.released_at IS NULL "
        # Every student unless narrowed: no list of all ids for the database to build first.
        + (f"AND h.student_id IN ({scope}) " if program or directory_only else "")
        + "ORDER BY h.placed_at, h.id"
    ).driver_rows(session, params)
    # On the driver's cursor, columns read in place and each placing day parsed once: the list
    # runs to tens of thousands of rows, and a SQLAlchemy Row and a Person object per row cost
    # more than the query.
    table: list[tuple[Value, ...]] = []
    by_type = {kind.value: 0 for kind in HoldType}
    days: dict[Any, date | None] = {}
    blocks = {(r, t): _blocks(r, t) for r in (False, True) for t in (False, True)}
    for row in found:
        (_, number, first, last, preferred, code, status, secret) = row[:8]
        kind, registration, transcript, reason, placed, placed_by = row[8:]
        by_type[kind] = by_type.get(kind, 0) + 1
        if isinstance(placed, datetime):
            placed_day: date | None = placed.date()
        else:
            key = placed[:10] if isinstance(placed, str) else placed
            placed_day = days.get(key)
            if placed_day is None:
                placed_day = days[key] = day(key)
        table.append(
            (
                number,
                full_name(first, last, preferred),
                code or "",
                status,
                kind,
                blocks[bool(registration), bool(transcript)],
                reason,
                placed_day,
                placed_by,
                "yes" if secret else "",
            )
        )
    students = len({r[0] for r in table})
    return ReportTable(
        name="holds",
        title=TITLE,
        subtitle=f"{_count(len(table), 'active hold')} on {_count(students, 'student')}"
        + (f" in {program.code}" if program else ""),
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=(
            "Active: placed and not yet released. A registration hold blocks new registrations; "
            "a transcript hold blocks official transcripts.",
            confidential_note(sum(1 for r in table if r[-1]), directory_only),
        ),
        chart=Chart("Active holds by type", tuple((k, n) for k, n in by_type.items() if n)),
    )

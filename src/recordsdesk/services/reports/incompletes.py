"""Incompletes outstanding: posted I marks not yet replaced, and when each one lapses.

An I is still outstanding while the enrollment's posted mark is I. Its deadline is the
enrollment's `incomplete_expires` (set at grading from Institution.incomplete_days); a row
without one shows the deadline the policy would give (term end + incomplete_days), marked so.
Nothing converts an I by itself: one whose deadline has passed is *lapsed*, still on the
record, and the office must replace it (the final mark, or the lapse grade); the report lists
those first, oldest first, and counts them apart from the ones still running.
"""

from __future__ import annotations

from datetime import date, timedelta
from operator import itemgetter

from sqlmodel import Session

from recordsdesk.models.enrollment import INCOMPLETE_WHERE
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.people import (
    CONFIDENTIAL_COLUMN,
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
    gpa_policy,
    resolve_program,
    resolve_term,
)
from recordsdesk.services.shared.rawsql import Statement

TITLE = "Incompletes outstanding"
COLUMNS = (
    "Student no.",
    "Name",
    "Program",
    "Course",
    "Term",
    "Instructor",
    "Expires",
    "Days left",
    "State",
    CONFIDENTIAL_COLUMN,
)
#: The deadline has passed and the I still stands: to be converted.
LAPSED = "lapsed"
#: The deadline falls within SOON_DAYS days.
EXPIRING = "expiring"
OPEN = "open"
SOON_DAYS = 30
INCOMPLETE = "I"
# Word for word the predicate of ix_enrollment_incomplete (a literal, not a bound mark: SQLite
# uses a partial index only when the statement's own condition implies the index's).
_OUTSTANDING = " AND ".join(f"e.{c}" for c in INCOMPLETE_WHERE.split(" AND "))


def state_of(expires: date, today: date) -> str:
    """Lapsed when the deadline has passed, expiring when it falls within 30 days."""
    if expires < today:
        return LAPSED
    if expires <= today + timedelta(days=SOON_DAYS):
        return EXPIRING
    return OPEN


def incompletes(
    session: Session,
    *,
    actor: Actor,
    term_code: str | None = None,
    program_code: str | None = None,
    directory_only: bool = False,
    today: date | None = None,
) -> ReportTable:
    """Every outstanding I (of one term's sections with --term), earliest deadline first, so
    the lapsed ones (to be converted) lead, oldest first. Raises ValidationFailed for an
    unknown term or program."""
    authorize(actor, Action.REPORT_RUN)
    today = today or date.today()
    policy = gpa_policy(session)
    term = resolve_term(session, term_code) if term_code else None
    program = resolve_program(session, program_code) if program_code else None
    scope, params = student_scope(
        session, "SELECT id FROM student", program=program, directory_only=directory_only
    )
    where = ""
    if term is not None:
        where = "AND t.id = :tid "
        params["tid"] = term.id
    # On the driver's own cursor: tens of thousands of rows at a million students, each a
    # plain tuple rather than a SQLAlchemy Row.
    found = Statement(
        "SELECT s.student_number, s.legal_first_name, s.legal_last_name, s.preferred_name, "
        "pp.code, s.confidential, c.code, t.code, sec.instructor, e.incomplete_expires, "
        f"t.end_date FROM enrollment e {PERSON_JOIN.format(sid='e.student_id')} "
        "JOIN section sec ON sec.id = e.section_id "
        "JOIN course c ON c.id = sec.course_id JOIN term t ON t.id = sec.term_id "
        f"WHERE {_OUTSTANDING} "
        + (f"AND e.student_id IN ({scope}) " if program or directory_only else "")
        + where
    ).driver_rows(session, params)
    table: list[tuple[Value, ...]] = []
    assumed = 0
    counts = {LAPSED: 0, EXPIRING: 0, OPEN: 0}
    soon = today + timedelta(days=SOON_DAYS)
    lapse = timedelta(days=policy.incomplete_days)
    # What a deadline means today, worked out once per distinct (deadline, term end): at a
    # million students there are tens of thousands of rows but a few hundred deadlines, and the
    # report must keep near its bare query. Rows are tuples straight from the columns.
    deadlines: dict[tuple[object, object], tuple[date, int, str, str]] = {}
    for (
        number,
        first,
        last,
        preferred,
        program_of,
        confidential,
        course,
        term_of,
        instructor,
        expires_raw,
        term_end,
    ) in found:
        key = (expires_raw, term_end)
        meaning = deadlines.get(key)
        if meaning is None:
            expires = day(expires_raw)
            note = ""
            if expires is None:
                expires = (day(term_end) or today) + lapse
                note = " (by policy)"
            state = LAPSED if expires < today else EXPIRING if expires <= soon else OPEN
            meaning = deadlines[key] = (expires, (expires - today).days, state + note, state)
        counts[meaning[3]] += 1
        if meaning[2] != meaning[3]:
            assumed += 1
        table.append(
            (
                number,
                full_name(first, last, preferred),
                program_of or "",
                course,
                term_of,
                instructor,
                meaning[0],
                meaning[1],
                meaning[2],
                "yes" if confidential else "",
            )
        )
    # Deadline, name, course, term, number: every key a date or text, compared as they are.
    table.sort(key=itemgetter(6, 1, 3, 4, 0))
    notes = [
        f"As of {today.isoformat()}: {counts[LAPSED]} lapsed, {counts[EXPIRING]} expiring "
        f"within {SOON_DAYS} days, {counts[OPEN]} open.",
        "Lapsed: the deadline has passed and the I still stands on the record. Convert it: "
        "post the final mark, or the lapse grade the policy gives. Listed first, oldest first.",
    ]
    if assumed:
        notes.append(
            f"{assumed} without a recorded deadline: shown with term end + "
            f"{policy.incomplete_days} days (the incomplete_days policy)."
        )
    notes.append(confidential_note(sum(1 for r in table if r[-1]), directory_only))
    where_text = f" in {term.code}" if term else ""
    return ReportTable(
        name="incompletes",
        title=TITLE,
        subtitle=f"outstanding I marks{where_text}"
        + (f", {program.code}" if program else "")
        + f": {len(table)} ({counts[LAPSED]} lapsed, to convert)",
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=tuple(notes),
        chart=Chart("Incompletes by state", tuple(counts.items())),
    )

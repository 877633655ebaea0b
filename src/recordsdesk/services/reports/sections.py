"""Section fill rates and waitlists for one term: capacity against seats taken, fullest first."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.table import (
    Chart,
    ReportTable,
    Value,
    current_term,
    resolve_term,
    rows,
)

TITLE = "Section fill rates and waitlists"
COLUMNS = (
    "Course",
    "Section",
    "Title",
    "Instructor",
    "Capacity",
    "Registered",
    "Fill %",
    "Seats left",
    "Waitlisted",
    "Waitlist cap",
    "Offers out",
)
BANDS = ("Under 50%", "50-79%", "80-99%", "Full", "Over capacity")

# One pass over the term's sections, each section's enrollments counted from its own index
# range, grouped by the section's id (grouping by the text columns instead made the database
# sort every enrollment row of the term; counting in a subquery first cost a sort and a join).
_QUERY = (
    "SELECT c.code, sec.section_code, c.title, sec.instructor, sec.capacity, "
    "sec.waitlist_capacity, "
    "COUNT(CASE WHEN e.status IN ('registered', 'completed') THEN 1 END), "
    "COUNT(CASE WHEN e.status = 'waitlisted' THEN 1 END), "
    "COUNT(CASE WHEN e.status = 'waitlisted' AND e.seat_offered_at IS NOT NULL THEN 1 END) "
    "FROM section sec JOIN course c ON c.id = sec.course_id "
    "LEFT JOIN enrollment e ON e.section_id = sec.id "
    "WHERE sec.term_id = :tid GROUP BY sec.id, c.id"
)


def _band(registered: int, capacity: int) -> str:
    if registered > capacity:
        return BANDS[4]
    if registered == capacity:
        return BANDS[3]
    share = registered * 100 / capacity if capacity else 0
    return BANDS[0] if share < 50 else BANDS[1] if share < 80 else BANDS[2]


def section_fill(
    session: Session,
    *,
    actor: Actor,
    term_code: str | None = None,
    today: date | None = None,
) -> ReportTable:
    """Every section of the term (default: the term running today), fullest first. Registered
    counts registered and completed seats; Offers out are waitlisted students offered a freed
    seat who have not answered. Raises ValidationFailed for an unknown term."""
    authorize(actor, Action.REPORT_RUN)
    term = (
        resolve_term(session, term_code)
        if term_code
        else current_term(session, today or date.today())
    )
    if term is None:
        return ReportTable("section-fill", TITLE, "there are no terms yet", COLUMNS, ())
    table: list[tuple[Value, ...]] = []
    bands = dict.fromkeys(BANDS, 0)
    seats = taken = waiting = 0
    for code, section, title, instructor, capacity, wl_cap, registered, waitlisted, offers in rows(
        session, _QUERY, {"tid": term.id}
    ):
        capacity, registered = int(capacity), int(registered)
        fill = (
            (Decimal(registered * 100) / capacity).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if capacity
            else None
        )
        bands[_band(registered, capacity)] += 1
        seats, taken, waiting = seats + capacity, taken + registered, waiting + int(waitlisted)
        table.append(
            (
                code,
                section,
                title,
                instructor,
                capacity,
                registered,
                fill,
                max(capacity - registered, 0),
                int(waitlisted),
                int(wl_cap),
                int(offers),
            )
        )
    table.sort(key=lambda r: (-(r[6] or Decimal(-1)), str(r[0]), str(r[1])))  # type: ignore[operator]
    full = bands["Full"] + bands["Over capacity"]
    return ReportTable(
        name="section-fill",
        title=TITLE,
        subtitle=f"{term.code} ({term.name}): {len(table)} sections",
        columns=COLUMNS,
        rows=tuple(table),
        footnotes=(
            f"{taken} of {seats} seats taken; {full} sections full; {waiting} students waitlisted.",
            "Registered counts registered and completed seats (not waitlisted, dropped or "
            "withdrawn). Offers out: waitlisted students offered a freed seat, not yet answered.",
        ),
        chart=Chart(f"Sections by fill, {term.code}", tuple(bands.items())),
    )

"""Section fill rates and waitlists for one term: capacity against seats taken, fullest first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from operator import itemgetter

from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.table import (
    Chart,
    ReportTable,
    Value,
    current_term,
    resolve_term,
)
from recordsdesk.services.shared.rawsql import Statement

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

# The term's sections, each count read from its own range of ix_enrollment_section_status
# (section_id, status): seats and waitlist from the index alone, and only the waitlisted rows
# fetched for their offers. Counting in one grouped join read every enrollment row of the term
# for `seat_offered_at`.
_QUERY = Statement(
    "SELECT c.code, sec.section_code, c.title, sec.instructor, sec.capacity, "
    "sec.waitlist_capacity, "
    "(SELECT COUNT(*) FROM enrollment e WHERE e.section_id = sec.id "
    "AND e.status IN ('registered', 'completed')), "
    "(SELECT COUNT(*) FROM enrollment e WHERE e.section_id = sec.id AND e.status = 'waitlisted'), "
    "(SELECT COUNT(e.seat_offered_at) FROM enrollment e WHERE e.section_id = sec.id "
    "AND e.status = 'waitlisted') "
    "FROM section sec JOIN course c ON c.id = sec.course_id WHERE sec.term_id = :tid"
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
    keyed: list[tuple[int, str, str, tuple[Value, ...]]] = []
    bands = dict.fromkeys(BANDS, 0)
    seats = taken = waiting = 0
    fills: dict[int, Decimal] = {}
    # Tens of thousands of sections at a million students: the driver's plain tuples.
    found = _QUERY.driver_rows(session, {"tid": term.id})
    for code, section, title, instructor, capacity, wl_cap, registered, waitlisted, offers in found:
        capacity, registered, waitlisted = int(capacity), int(registered), int(waitlisted)
        # Fill in tenths of a percent, rounded half up, in integers: a section's place in the
        # order without a Decimal division per row (the Decimal shown is one per distinct value).
        tenths = (registered * 2000 + capacity) // (2 * capacity) if capacity else 0
        fill = fills.get(tenths) if capacity else None
        if fill is None and capacity:
            fill = fills[tenths] = Decimal(tenths).scaleb(-1)
        bands[_band(registered, capacity)] += 1
        seats, taken, waiting = seats + capacity, taken + registered, waiting + waitlisted
        row: tuple[Value, ...] = (
            code,
            section,
            title,
            instructor,
            capacity,
            registered,
            fill,
            max(capacity - registered, 0),
            waitlisted,
            int(wl_cap),
            int(offers),
        )
        # Fullest first; an empty section and one without capacity last, as fill 0 or none.
        keyed.append((-tenths if tenths else 1, str(code), str(section), row))
    keyed.sort(key=itemgetter(0, 1, 2))
    table = [k[3] for k in keyed]
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

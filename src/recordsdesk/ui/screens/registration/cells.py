"""How the registration screen draws a sheet's band, a registration line and a section choice:
every stored value wrapped in Text, long titles clipped to their column."""

from __future__ import annotations

from rich.text import Text

from recordsdesk.services.grades.basis import GRADED
from recordsdesk.services.grades.basis import label as basis_label
from recordsdesk.services.registration.view import (
    RegistrationLine,
    RegistrationSheet,
    SectionChoice,
)
from recordsdesk.ui.widgets.cells import HOLD_STYLE, cell, meeting


def band(sheet: RegistrationSheet) -> Text:
    band = Text()
    band.append(sheet.student_name, style="bold")
    band.append(f"  ·  {sheet.student_number}  ·  {sheet.student_status.replace('_', ' ')}")
    term = sheet.term
    band.append(f"\n{term.code} {term.name} ({term.status.replace('_', ' ')})")
    deadlines = [
        f"add/drop by {term.add_drop_deadline.isoformat()}" if term.add_drop_deadline else "",
        f"withdraw by {term.withdraw_deadline.isoformat()}" if term.withdraw_deadline else "",
        f"grading basis by {term.grading_basis_deadline.isoformat()}"
        if term.grading_basis_deadline
        else "",
    ]
    band.append("".join(f"  ·  {d}" for d in deadlines if d))
    load = f"  ·  {cell(sheet.credits).plain} of {cell(sheet.max_credit_load).plain} credits"
    over = sheet.credits > sheet.max_credit_load
    band.append(load, style="bold red" if over else "bold")
    for hold in sheet.holds:
        band.append("\n")
        band.append(f"HOLD blocks registration: {hold}", style=HOLD_STYLE)
    return band


def line_cells(line: RegistrationLine) -> tuple[Text, ...]:
    if line.seat_offered_at is not None:
        status = Text("seat offered", style="bold reverse")
    elif line.status == "waitlisted":
        status = Text(f"waitlisted #{line.waitlist_position}")
    else:
        status = Text(line.status)
    notes = []
    if line.grading_basis != GRADED:
        notes.append(basis_label(line.grading_basis))
    if line.provisional:
        notes.append(f"⚑ provisional: {'; '.join(line.provisional)}")
    if line.override_reason:
        notes.append(f"override: {line.override_reason}")
    if line.status == "registered" and line.exit == "withdraw":
        notes.append("leaving now gives W")
    return (
        cell(line.course_code),
        _clip(line.course_title, 30),
        cell(line.section_code),
        cell(line.credits),
        status,
        meeting(line.meeting_days, line.start_time, line.end_time),
        Text("  ".join(notes), style="yellow" if line.provisional else ""),
    )


def section_cells(choice: SectionChoice) -> tuple[Text, ...]:
    seats = choice.seats_left
    return (
        cell(choice.course_code),
        cell(choice.section_code),
        Text(f"{seats} of {choice.capacity}") if seats else Text("FULL", style="bold red"),
        Text(f"{choice.waitlisted} of {choice.waitlist_capacity}"),
        cell(choice.credits),
        meeting(choice.meeting_days, choice.start_time, choice.end_time),
        _clip(choice.course_title, 34),
        _clip(choice.instructor, 22),
    )


def _clip(value: str, width: int) -> Text:
    """A long title or name cut to the column with an ellipsis (the row stays one line)."""
    return Text(value if len(value) <= width else value[: width - 1] + "…")

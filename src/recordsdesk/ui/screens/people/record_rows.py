"""The student record's band and the rows of its tabs, built from the record as loaded: every
stored value goes through `cell` (plain Text), so nothing a record holds is read as markup."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from recordsdesk.services.audit.detail import IMPORT_ACTION, change_text
from recordsdesk.services.people.record import StudentRecord
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.transcripts.standing import LABELS
from recordsdesk.ui.privacy import mask
from recordsdesk.ui.widgets.cells import (
    CONFIDENTIAL_STYLE,
    HOLD_STYLE,
    cell,
    meeting,
    words,
)


def band(record: StudentRecord) -> Text:
    """Two lines: the name with the badges a clerk must not miss, then the key facts."""
    p = record.profile
    name = printable(p.legal_name)
    if p.preferred_name and p.preferred_name != p.legal_first_name:
        name += f" ({printable(p.preferred_name)})"
    band = Text()
    band.append(name, style="bold")
    if record.has_active_hold:
        band.append("  ")
        band.append(" HOLD ", style=f"{HOLD_STYLE} reverse")
    if p.confidential:
        band.append("  ")
        band.append(" CONFIDENTIAL ", style=f"{CONFIDENTIAL_STYLE} reverse")
    facts = [
        p.student_number,
        p.status.replace("_", " "),
        p.program_code or "no program",
        _level(p.grade_level, p.class_year),
        f"{cell(record.credits_earned).plain} credits earned",
        f"GPA {record.cumulative_gpa}" if record.cumulative_gpa is not None else "",
    ]
    band.append("\n")
    band.append(printable("  ·  ".join(fact for fact in facts if fact)))
    consents = record.consents_in_force(date.today())
    if consents:
        band.append("\n")
        band.append("Release: ", style="bold")
        band.append(printable("; ".join(c.summary for c in consents)))
    return band


def _level(grade_level: str, class_year: int | None) -> str:
    """'grade 7' for schools, 'SR, class of 2027' for colleges: whatever the record holds."""
    level = grade_level
    if grade_level.isdigit() or grade_level == "K":
        level = f"grade {grade_level}"
    year = f"class of {class_year}" if class_year is not None else ""
    return ", ".join(x for x in (level, year) if x)


def profile_rows(record: StudentRecord, hidden: bool) -> list[tuple[Text, ...]]:
    """The profile's fields; with `hidden` (the privacy key) the birth date, email, phone,
    address and the guardian's phone and email are masked."""
    p = record.profile
    address = ", ".join(
        x
        for x in (p.address_line1, p.address_line2, p.city, p.region, p.postal_code, p.country)
        if x
    )
    guardian = " ".join(
        x
        for x in (
            p.guardian_name,
            f"({p.guardian_relationship})" if p.guardian_relationship else "",
            mask(p.guardian_phone, hidden),
            mask(p.guardian_email, hidden),
        )
        if x
    )
    fields: list[tuple[str, object]] = [
        ("Student number", p.student_number),
        ("Legal name", p.legal_name),
        ("Preferred name", p.preferred_name),
        ("Former names", p.former_names),
        ("Birth date", mask(cell(p.birth_date).plain, hidden)),
        ("Email", mask(p.email, hidden)),
        ("Phone", mask(p.phone, hidden)),
        ("Address", mask(address, hidden)),
        ("Guardian", guardian),
        ("Program", " ".join(x for x in (p.program_code, p.program_name) if x)),
        ("Program level", p.program_level),
        ("Grade level", p.grade_level),
        ("Class year", p.class_year),
        ("Status", p.status.replace("_", " ")),
        ("Entry term", p.entry_term_code),
        ("Admitted", p.admission_date),
        ("Departed", p.departure_date),
        ("Departure reason", p.departure_reason),
        ("Degree conferred", p.degree_conferred),
        ("Conferral date", p.conferral_date),
        ("Honours", p.honours),
        ("Leave started", p.leave_start),
        ("Expected return", p.leave_expected_return),
        ("Leave reason", p.leave_reason),
        ("Credits earned", record.credits_earned),
        ("Confidential", p.confidential),
        ("Record created", p.created_at),
        ("Last changed", p.updated_at),
        ("Version", p.version),
    ]
    return [(Text(label, style="bold"), _left(cell(value))) for label, value in fields]


def _left(text: Text) -> Text:
    text.justify = "left"
    return text


def history_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    rows: list[tuple[Text, ...]] = [
        (
            Text("TRANSFER"),
            cell(t.awarded_as or t.source_course_code),
            cell(f"{t.source_course_title} ({t.source_institution})"),
            cell(t.credits),
            cell(t.mark),
            Text("accepted"),
            cell(t.awarded_on),
        )
        for t in record.transfer_credits
    ]
    for term in record.history:
        for course in term.courses:
            rows.append(
                (
                    cell(term.term_code),
                    cell(course.course_code),
                    cell(course.course_title),
                    cell(course.credits),
                    cell(course.mark, style="bold"),
                    words(course.grade_status),
                    words(course.enrollment_status),
                )
            )
        for title, status in term_summary(record, term.term_code):
            rows.append(
                (
                    cell(term.term_code),
                    Text(""),
                    Text(title, style="bold"),
                    *_blank(3),
                    Text(status, style="bold"),
                )
            )
    return rows


def term_summary(record: StudentRecord, term_code: str) -> list[tuple[str, str]]:
    """The rows under a term as (title cell, status cell): its GPA and standing, the
    cumulative GPA, then, when a registrar overrode the standing, the reason as stored (plain
    text) beside what the rules gave. Short cells, so the standing stays on screen at 80
    columns while a long reason gives way."""
    lines: list[tuple[str, str]] = []
    gpa = record.term_gpa(term_code)
    decided = record.standing(term_code)
    standing = gpa.standing if gpa is not None and gpa.standing else ""
    if not standing and decided is not None:
        standing = LABELS.get(decided.standing, decided.standing)
    if gpa is not None and gpa.gpa is not None:
        lines.append((f"Term GPA {gpa.gpa}", standing))
        lines.append((f"Cumulative {gpa.cumulative_gpa}", ""))
    elif standing:
        lines.append(("Standing", standing))
    if decided is not None and decided.override_reason:
        lines.append(
            (f"Set by a registrar: {decided.override_reason}", f"rules: {decided.computed}")
        )
    return [(printable(title), printable(status)) for title, status in lines]


def _blank(n: int) -> tuple[Text, ...]:
    return tuple(Text("") for _ in range(n))


def gpa_summary(record: StudentRecord) -> Text:
    """One line over the history: the cumulative GPA and the term GPAs the sparkline draws."""
    if record.cumulative_gpa is None:
        return Text("No GPA yet: nothing graded counts in it.", style="dim")
    terms = "  ".join(f"{t.term_code} {t.gpa}" for t in record.term_gpas if t.gpa is not None)
    return Text(printable(f"Cumulative GPA {record.cumulative_gpa}   Term GPAs: {terms}"))


def audit_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    rows: list[tuple[Text, ...]] = []
    for a in record.audit or ():
        before, after = a.before, a.after
        if a.action == IMPORT_ACTION:  # the rows an import wrote, in words, line by line
            before, after = "", change_text(a.before, a.after)
        rows.append(
            (
                cell(a.occurred_at),
                cell(a.actor),
                cell(a.action),
                cell(a.entity),
                cell(_short(before)),
                cell(_short(after)),
                cell(a.reason),
            )
        )
    return rows


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def registration_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (
            cell(r.term_code),
            cell(r.course_code),
            cell(r.course_title),
            cell(r.section_code),
            cell(r.credits),
            Text(
                f"waitlisted #{r.waitlist_position}, seat offered"
                if r.seat_offered_at is not None
                else f"waitlisted #{r.waitlist_position}"
                if r.waitlist_position is not None and r.status == "waitlisted"
                else r.status
            ),
            cell(r.instructor),
            meeting(r.meeting_days, r.start_time, r.end_time),
            cell(r.room),
        )
        for r in record.registrations
    ]


def hold_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    rows: list[tuple[Text, ...]] = []
    for h in record.holds:
        blocks = ", ".join(
            what
            for what, on_ in (
                ("registration", h.blocks_registration),
                ("transcript", h.blocks_transcript),
            )
            if on_
        )
        rows.append(
            (
                cell(h.hold_type.upper(), style=HOLD_STYLE if h.active else "dim"),
                Text(blocks),
                cell(h.reason),
                cell(h.placed_by),
                cell(h.placed_at),
                cell(h.released_at) if h.released_at else Text("active", style=HOLD_STYLE),
                cell(h.released_by),
                cell(h.release_reason),
            )
        )
    return rows


def note_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (cell(n.created_at), cell(n.author), cell(n.channel), cell(n.body)) for n in record.notes
    ]


def request_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (
            cell(r.requested_at),
            cell(r.requested_by),
            Text("official" if r.official else "unofficial"),
            cell(r.recipient),
            cell(r.format),
            words(r.status),
            cell(r.released_at),
            cell(r.note),
        )
        for r in record.transcript_requests
    ]


def disclosure_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    """The disclosure log, newest first: what left the office, to whom, why, on what basis."""
    return [
        (
            cell(d.disclosed_at),
            cell(d.disclosed_by),
            words(d.document),
            cell(d.recipient),
            cell(d.purpose),
            Text(d.basis_words),
            cell(d.consent),
        )
        for d in record.disclosures
    ]

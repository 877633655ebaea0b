"""Report output: CSV and plain text from a ReportTable, and the audited CSV export.

Writing a report to a file takes its rows (often names) out of the database, so every export
is recorded in the audit log with the report, its filters and the row count.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from rich.cells import cell_len
from sqlmodel import Session

from recordsdesk.config import data_dir
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.disclosure.log import (
    BulkRelease,
    check_bulk_release,
    record_bulk_disclosure,
)
from recordsdesk.services.reports.table import Chart, ReportTable, Value
from recordsdesk.services.shared.clean_text import printable, spreadsheet_safe
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import write_private

#: The first line of every CSV a practice desk writes.
PRACTICE_LINE = "PRACTICE - made on a practice desk - not a record of any student"
#: The column every report listing students carries; each number in it is one disclosure.
STUDENT_COLUMN = "Student no."
#: Who an exported report goes to unless the clerk says otherwise: the office's own staff.
INTERNAL = BulkRelease(
    recipient="school officials (internal report)",
    purpose="internal report",
    basis="school_official",
)
MAX_CELL = 40  # widest text cell in the plain-text table; CSV keeps everything
BAR_WIDTH = 40


def cell_text(value: Value) -> str:
    """One value as the desk shows and CSV writes it: ISO dates, Decimals as stored, '' for
    nothing."""
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def csv_cell(value: Value) -> str:
    """One value as a CSV cell: text is neutralised so a spreadsheet never reads it as a
    formula; numbers and dates are written as they are, since a Decimal such as -3.5 is a
    figure the desk computed, never text someone typed, and must stay a number in Excel."""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return cell_text(value)


def to_csv(table: ReportTable) -> str:
    """The table as CSV: one header row, then the rows (titles and footnotes stay out, so a
    spreadsheet reads it as it is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if table.practice:  # the one line above the header: a practice file is never a real one
        writer.writerow([PRACTICE_LINE])
    writer.writerow([spreadsheet_safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def _numeric(value: Value) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def chart_lines(chart: Chart, width: int = BAR_WIDTH) -> list[str]:
    """Horizontal bars, scaled to the largest count, with the count after each bar."""
    if not chart.bars:
        return []
    bars = [(printable(label), count) for label, count in chart.bars]
    label_width = max(cell_len(label) for label, _ in bars)
    top = max((n for _, n in bars), default=0) or 1
    lines = [printable(chart.title)]
    for label, count in bars:
        length = round(count * width / top)
        bar = "█" * length if length or not count else "▏"
        pad = " " * (label_width - cell_len(label))
        lines.append(f"  {label}{pad} {bar} {count}")
    return lines


def _clip(text: str) -> str:
    """Cut a long cell to MAX_CELL terminal columns (wide CJK characters count twice)."""
    if cell_len(text) <= MAX_CELL:
        return text
    while cell_len(text) > MAX_CELL - 1:
        text = text[:-1]
    return text + "…"


def to_text(table: ReportTable) -> str:
    """The table for a terminal or a printout: title, subtitle, aligned columns, footnotes and
    the chart as text bars."""
    cells = [[printable(cell_text(v)) for v in row] for row in table.rows]
    cells = [[_clip(c) for c in row] for row in cells]
    widths = [cell_len(printable(h)) for h in table.columns]
    for row in cells:
        widths = [max(w, cell_len(c)) for w, c in zip(widths, row, strict=True)]
    right = [
        any(_numeric(row[i]) for row in table.rows)
        and not any(isinstance(row[i], str) and row[i] for row in table.rows)
        for i in range(len(table.columns))
    ]

    def line(values: list[str]) -> str:
        parts = [
            " " * (w - cell_len(v)) + v if r else v + " " * (w - cell_len(v))
            for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [
        printable(table.title),
        printable(table.subtitle),
        "",
        line([printable(c) for c in table.columns]),
    ]
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in cells)
    if not table.rows:
        out.append("(no rows)")
    if table.chart and table.chart.bars:
        out.append("")
        out.extend(chart_lines(table.chart))
    if table.footnotes:
        out.append("")
        out.extend(f"* {printable(note)}" for note in table.footnotes)
    if table.practice:
        out.extend(["", PRACTICE_LINE])
    return "\n".join(out) + "\n"


def default_export_path(table: ReportTable, now: datetime | None = None) -> Path:
    """Where the desk offers to save a report: the data directory's `reports` folder, named
    after the report and the moment."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return data_dir() / "reports" / f"{table.name}-{stamp}.csv"


def export_csv(
    session: Session,
    *,
    actor: Actor,
    table: ReportTable,
    path: str | Path,
    overwrite: bool = False,
    create_folders: bool = True,
    field: str = "path",
    release: BulkRelease = INTERNAL,
) -> Path:
    """Write the report as CSV (UTF-8 with a byte-order mark, so spreadsheets read accented
    names) as an owner-only file, and audit the export. Raises OutputExists when the file
    exists and `overwrite` is not set, ValidationFailed naming `field` when it cannot be
    written; nothing is audited then. A report listing students puts one row per student in
    the disclosure log, to `release`'s recipient, in the same transaction."""
    authorize(actor, Action.REPORT_RUN)
    if not str(path).strip():
        raise ValidationFailed(field, "give a file to write the CSV to.")
    check_bulk_release(release)  # a wrong basis is refused before the file is written
    content = to_csv(table).encode("utf-8-sig")
    target = write_private(
        Path(path), content, overwrite=overwrite, create_folders=create_folders, field=field
    )
    try:
        record_export(session, actor=actor, table=table, destination=str(target), release=release)
    except ValidationFailed:  # refused (a directory list naming a confidential student)
        target.unlink(missing_ok=True)
        raise
    return target


def listed_students(table: ReportTable) -> list[str]:
    """The student numbers a report lists (none for a report of counts)."""
    if STUDENT_COLUMN not in table.columns:
        return []
    return [str(number) for number in table.column(STUDENT_COLUMN) if number]


def record_export(
    session: Session,
    *,
    actor: Actor,
    table: ReportTable,
    destination: str,
    release: BulkRelease = INTERNAL,
) -> int:
    """The audit event for a report leaving the database (file or standard output), and the
    disclosure log's row for each student it lists. Returns the disclosures written."""
    audit.record(
        session,
        actor,
        action="export",
        entity="report",
        entity_id=table.name,
        after={"rows": len(table.rows), "subtitle": table.subtitle, "to": destination},
    )
    numbers = listed_students(table)
    if not numbers:
        return 0
    return record_bulk_disclosure(
        session,
        actor=actor,
        document="report",
        release=release,
        student_numbers=numbers,
        note=f"report {table.name} to {destination}"[:500],
    )

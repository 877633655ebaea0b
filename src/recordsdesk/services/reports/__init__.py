"""Registrar reports: each a function (session, *, actor, ...) -> ReportTable, run by name
through the registry. One module per report; `standing` holds the GPA figures they share (a
history import's standings read them too, with `table`'s policy and numbers), and `graduation`
the degree audit a departure checks."""

from recordsdesk.services.reports.output import (
    INTERNAL,
    cell_text,
    default_export_path,
    export_csv,
    listed_students,
    record_export,
    to_csv,
    to_text,
)
from recordsdesk.services.reports.registry import (
    REPORTS,
    ReportSpec,
    find_report,
    report_names,
    run_report,
)
from recordsdesk.services.reports.table import Chart, ReportTable

__all__ = [
    "INTERNAL",
    "REPORTS",
    "Chart",
    "ReportSpec",
    "ReportTable",
    "cell_text",
    "default_export_path",
    "export_csv",
    "find_report",
    "graduation",
    "listed_students",
    "record_export",
    "report_names",
    "run_report",
    "standing",
    "table",
    "to_csv",
    "to_text",
]

"""Registrar reports: each a function (session, *, actor, ...) -> ReportTable, run by name
through the registry. One module per report; `standing` holds the GPA figures they share."""

from recordsdesk.services.reports.output import export_csv, to_csv, to_text
from recordsdesk.services.reports.registry import (
    REPORTS,
    ReportSpec,
    find_report,
    report_names,
    run_report,
)
from recordsdesk.services.reports.table import Chart, ReportTable

__all__ = [
    "REPORTS",
    "Chart",
    "ReportSpec",
    "ReportTable",
    "export_csv",
    "find_report",
    "report_names",
    "run_report",
    "to_csv",
    "to_text",
]

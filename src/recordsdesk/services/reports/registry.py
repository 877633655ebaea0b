"""The reports the office can run, by name: one place the command line and the screen share.

`run_report` checks the name and the filters a report takes before running it, so a wrong
`--term` on a report without terms is refused in words rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlmodel import Session, select

from recordsdesk.models import Institution
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.reports.class_rank import class_rank
from recordsdesk.services.reports.deans_list import deans_list
from recordsdesk.services.reports.enrollment import enrollment
from recordsdesk.services.reports.grade_distribution import grade_distribution
from recordsdesk.services.reports.graduation import graduation_candidates
from recordsdesk.services.reports.holds import holds
from recordsdesk.services.reports.incompletes import incompletes
from recordsdesk.services.reports.probation import probation
from recordsdesk.services.reports.sections import section_fill
from recordsdesk.services.reports.table import ReportTable
from recordsdesk.services.shared.errors import ValidationFailed


@dataclass(frozen=True)
class ReportSpec:
    """A report as the menus show it. `term_default` says, in words, what no --term means."""

    name: str
    title: str
    summary: str
    run: Callable[..., ReportTable]
    takes_term: bool
    takes_program: bool
    lists_people: bool
    takes_today: bool = False
    term_default: str = ""


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        "enrollment",
        "Enrollment by term, program and level",
        "headcount, seats and credits per term, level and program",
        enrollment,
        takes_term=True,
        takes_program=True,
        lists_people=False,
        term_default="every term",
    ),
    ReportSpec(
        "section-fill",
        "Section fill rates and waitlists",
        "capacity, seats taken, fill % and waitlists per section",
        section_fill,
        takes_term=True,
        takes_program=False,
        lists_people=False,
        takes_today=True,
        term_default="the term running today",
    ),
    ReportSpec(
        "deans-list",
        "Dean's list / honour roll",
        "term GPA at or above the dean's list line",
        deans_list,
        takes_term=True,
        takes_program=True,
        lists_people=True,
        term_default="the latest graded term",
    ),
    ReportSpec(
        "probation",
        "Academic probation",
        "cumulative GPA below the probation line",
        probation,
        takes_term=True,
        takes_program=True,
        lists_people=True,
        term_default="current students today",
    ),
    ReportSpec(
        "class-rank",
        "Class rank (secondary)",
        "weighted and unweighted rank within each class year, percentile and decile",
        class_rank,
        takes_term=True,
        takes_program=True,
        lists_people=True,
        term_default="the latest graded term",
    ),
    ReportSpec(
        "incompletes",
        "Incompletes outstanding",
        "posted I marks and their deadline: lapsed (to convert), expiring in 30 days, open",
        incompletes,
        takes_term=True,
        takes_program=True,
        lists_people=True,
        takes_today=True,
        term_default="every term",
    ),
    ReportSpec(
        "graduation",
        "Graduation candidates (degree audit)",
        "credits, required courses and GPA against the program: met and missing",
        graduation_candidates,
        takes_term=False,
        takes_program=True,
        lists_people=True,
    ),
    ReportSpec(
        "grade-distribution",
        "Grade distribution by course and term",
        "posted marks counted per course, with a bar chart",
        grade_distribution,
        takes_term=True,
        takes_program=True,
        lists_people=False,
        term_default="the latest graded term",
    ),
    ReportSpec(
        "holds",
        "Students with holds",
        "active holds, what they block, who placed them",
        holds,
        takes_term=False,
        takes_program=True,
        lists_people=True,
    ),
)
_BY_NAME = {spec.name: spec for spec in REPORTS}


def report_names() -> tuple[str, ...]:
    return tuple(spec.name for spec in REPORTS)


def find_report(name: str) -> ReportSpec:
    """The report called `name` (case and _/- forgiven), or ValidationFailed listing them."""
    key = name.strip().lower().replace("_", "-")
    spec = _BY_NAME.get(key)
    if spec is None:
        raise ValidationFailed(
            "report", f"there is no report {name!r}; reports: {', '.join(report_names())}."
        )
    return spec


def run_report(
    session: Session,
    *,
    actor: Actor,
    name: str,
    term_code: str | None = None,
    program_code: str | None = None,
    directory_only: bool = False,
    today: date | None = None,
) -> ReportTable:
    """Run the named report with the filters it takes. Raises ValidationFailed naming `report`,
    `term` or `program` for an unknown name, a filter the report has no use for, or an unknown
    term or program; PermissionDenied without the registrar role."""
    authorize(actor, Action.REPORT_RUN)
    spec = find_report(name)
    arguments: dict[str, Any] = {}
    if term_code and term_code.strip():
        if not spec.takes_term:
            raise ValidationFailed("term", f"the {spec.name} report has no term filter.")
        arguments["term_code"] = term_code.strip()
    if program_code and program_code.strip():
        if not spec.takes_program:
            raise ValidationFailed("program", f"the {spec.name} report has no program filter.")
        arguments["program_code"] = program_code.strip()
    if spec.lists_people:
        arguments["directory_only"] = directory_only
    if spec.takes_today and today is not None:
        arguments["today"] = today
    table: ReportTable = spec.run(session, actor=actor, **arguments)
    if session.exec(select(Institution.practice)).first():
        table = replace(table, title=f"PRACTICE · {table.title}", practice=True)
    return table

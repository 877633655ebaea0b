"""What every report returns, and the look-ups every report shares (terms, programs, policy).

A report is a plain, frozen table of values (no ORM rows, no markup): the screen draws it, the
command line prints it, CSV writes it, and tests compare it with figures of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from recordsdesk.services.shared.errors import ValidationFailed

Value = str | int | Decimal | date | None


@dataclass(frozen=True)
class Chart:
    """A bar chart the screen draws under the table: one bar per label, in this order."""

    title: str
    bars: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ReportTable:
    """One run of a report: `rows` hold plain values in `columns` order; `subtitle` says which
    term/program/day it covers; `footnotes` explain the policy the figures follow."""

    name: str
    title: str
    subtitle: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    footnotes: tuple[str, ...] = ()
    chart: Chart | None = None
    # Columns whose counts chart one selected row (the grade distribution's mark columns).
    chart_columns: tuple[int, ...] = ()
    #: Run on a practice desk: the title, the screen, and every CSV and printout say PRACTICE.
    practice: bool = False

    def row_chart(self, index: int) -> Chart | None:
        """The chart of one row's `chart_columns` (None when the report has none)."""
        if not self.chart_columns or not 0 <= index < len(self.rows):
            return None
        row = self.rows[index]
        bars = tuple((self.columns[i], int(row[i] or 0)) for i in self.chart_columns)  # type: ignore[arg-type]
        label = " ".join(str(v) for v in row[: self.chart_columns[0]] if v not in (None, ""))
        return Chart(label, bars)

    def column(self, name: str) -> list[Value]:
        """One column's values, by heading (for tests and callers that want one figure)."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class TermRef:
    id: int
    code: str
    name: str
    start_date: date
    end_date: date


@dataclass(frozen=True)
class ProgramRef:
    id: int
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class GpaPolicy:
    repeat_policy: str
    rounding: str
    decimals: int
    deans_list_min_gpa: Decimal
    probation_below_gpa: Decimal
    incomplete_days: int
    deans_list_min_credits: Decimal = Decimal("0")


def rows(session: Session, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Plain SQL through SQLAlchemy's text(): both engines, bound parameters, column tuples."""
    return list(session.execute(text(sql), params or {}).all())


def decimal(value: Any, places: str = "0.0001") -> Decimal:
    """A NUMERIC figure as Decimal. PostgreSQL returns Decimal; SQLite a float whose error sits
    far below the four places that credits x points ever need, so quantizing restores it."""
    if type(value) is float:  # SQLite's sums: the common case first
        return _from_float(value, places)
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value).quantize(Decimal(places))
    return _from_float(float(value), places)


@lru_cache(maxsize=65536)
def _from_float(value: float, places: str) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(places))


def day(value: Any) -> date | None:
    """A DATE column: a date on PostgreSQL, ISO text on SQLite."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def full_name(first: str, last: str, preferred: str = "") -> str:
    """`Last, First` as registrar lists sort and print them (preferred name in brackets)."""
    given = first or ""
    if preferred and preferred != first:
        given = f"{given} ({preferred})" if given else preferred
    return f"{last}, {given}" if given else last


def _term(row: Any) -> TermRef:
    return TermRef(int(row[0]), row[1], row[2], day(row[3]) or date.min, day(row[4]) or date.min)


_TERM_SQL = "SELECT id, code, name, start_date, end_date FROM term"


def resolve_term(session: Session, code: str) -> TermRef:
    """The term with this code, or ValidationFailed naming `term` and the codes that exist."""
    found = rows(session, f"{_TERM_SQL} WHERE code = :code", {"code": code.strip().upper()})
    if found:
        return _term(found[0])
    codes = [r[0] for r in rows(session, "SELECT code FROM term ORDER BY start_date, id")]
    known = f"terms run from {codes[0]} to {codes[-1]}" if codes else "there are no terms yet"
    raise ValidationFailed("term", f"there is no term {code!r} ({known}).")


def current_term(session: Session, today: date) -> TermRef | None:
    """The term running today, else the latest one already started, else the first one."""
    found = rows(
        session,
        f"{_TERM_SQL} WHERE start_date <= :today ORDER BY start_date DESC, id DESC LIMIT 1",
        {"today": today},
    ) or rows(session, f"{_TERM_SQL} ORDER BY start_date, id LIMIT 1")
    return _term(found[0]) if found else None


def last_graded_term(session: Session) -> TermRef | None:
    """The latest term in grading or closed with posted marks (what standing reports mean by
    'this term'; a term still running has only its withdrawals posted), else the latest term
    with any posted mark."""
    posted = (
        f"{_TERM_SQL} t WHERE EXISTS (SELECT 1 FROM section s JOIN enrollment e "
        "ON e.section_id = s.id WHERE s.term_id = t.id AND e.grade_status = 'posted') "
    )
    latest = " ORDER BY start_date DESC, id DESC LIMIT 1"
    found = rows(session, posted + "AND t.status IN ('grading', 'closed')" + latest) or rows(
        session, posted + latest
    )
    return _term(found[0]) if found else None


def resolve_program(session: Session, code: str) -> ProgramRef:
    """The program with this code, or ValidationFailed naming `program`."""
    found = rows(
        session,
        "SELECT id, code, name, level FROM program WHERE code = :code",
        {"code": code.strip().upper()},
    )
    if not found:
        codes = ", ".join(r[0] for r in rows(session, "SELECT code FROM program ORDER BY code"))
        raise ValidationFailed(
            "program", f"there is no program {code!r} (programs: {codes or 'none yet'})."
        )
    row = found[0]
    return ProgramRef(int(row[0]), row[1], row[2], row[3])


def gpa_policy(session: Session) -> GpaPolicy:
    row = rows(
        session,
        "SELECT repeat_policy, gpa_rounding, gpa_decimals, deans_list_min_gpa, "
        "probation_below_gpa, incomplete_days, deans_list_min_credits "
        "FROM institution ORDER BY id LIMIT 1",
    )[0]
    return GpaPolicy(
        repeat_policy=row[0],
        rounding=row[1],
        decimals=int(row[2]),
        deans_list_min_gpa=decimal(row[3], "0.01"),
        probation_below_gpa=decimal(row[4], "0.01"),
        incomplete_days=int(row[5]),
        deans_list_min_credits=decimal(row[6], "0.01"),
    )


def confidential_note(count: int, directory_only: bool) -> str:
    """The footnote every report listing people carries, so nobody releases it blindly."""
    if directory_only:
        return "Directory opt-outs (confidential students) are left out: this list may be released."
    if count == 0:
        return "No confidential student is listed."
    return (
        f"{count} confidential student{'s are' if count != 1 else ' is'} listed and flagged: "
        "internal use only; leave them out (--directory) before this list leaves the office."
    )

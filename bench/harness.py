"""What every hot path's measurement turns into: one row of the table `python -m bench` prints.

A row holds the samples of the desk's own code and, where there is such a thing, of the same
work done with plain `sqlite3` on the same file; the table shows median, p95, their ratio and
the issue's goal. The docs writer replaces only the text between the markers, so the
hand-written sections of docs/benchmarks.md around it stay as they are.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of `values` by nearest rank (what every bench script here reports)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass(frozen=True)
class Goal:
    """An issue's goal for one path: its words and the test of a row against it."""

    text: str
    met: Callable[[Row], bool]


@dataclass
class Row:
    """One hot path: seconds per call of the desk's code and of the raw equivalent.

    `value` replaces the timing columns for a figure that is not a time (peak RSS); `stats`
    (median, p95, runs) stands for the samples when a script reports only its quantiles.
    """

    name: str
    samples: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    goal: Goal | None = None
    note: str = ""
    value: str = ""
    stats: tuple[float, float, int] | None = None

    @property
    def runs(self) -> int:
        return self.stats[2] if self.stats else len(self.samples)

    @property
    def median(self) -> float:
        return self.stats[0] if self.stats else statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return self.stats[1] if self.stats else percentile(self.samples, 0.95)

    @property
    def ratio(self) -> float | None:
        """Median over raw's median (how much the desk adds to the bare work)."""
        if not self.runs or not self.raw or statistics.median(self.raw) <= 0:
            return None
        return self.median / statistics.median(self.raw)

    def verdict(self) -> str:
        if self.goal is None or (not self.runs and not self.value):
            return "–"
        return "met" if self.goal.met(self) else "**not met**"


def p95_within(seconds: float, text: str | None = None) -> Goal:
    return Goal(text or f"p95 <= {shown(seconds)}", lambda row: row.p95 <= seconds)


def median_within(seconds: float, text: str | None = None) -> Goal:
    return Goal(text or f"median <= {shown(seconds)}", lambda row: row.median <= seconds)


def ratio_within(times: float, text: str) -> Goal:
    return Goal(text, lambda row: row.ratio is not None and row.ratio <= times)


def shown(seconds: float) -> str:
    """A duration in the unit a reader takes in at a glance."""
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.01:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1000:.2f} ms"


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| path | runs | median | p95 | raw median | ratio to raw | goal | met | notes |",
        "|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for row in rows:
        if row.value:
            timing = f"– | {row.value} | – | – | – "
        elif row.runs:
            raw = shown(statistics.median(row.raw)) if row.raw else "–"
            ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "–"
            timing = f"{row.runs} | {shown(row.median)} | {shown(row.p95)} | {raw} | {ratio} "
        else:
            timing = "0 | – | – | – | – "
        lines.append(
            f"| {row.name} | {timing}| {row.goal.text if row.goal else '–'} "
            f"| {row.verdict()} | {row.note} |"
        )
    return lines


def machine() -> str:
    """The machine in one line: what a reader needs to weigh the figures."""
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            kib = int(info.readline().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores{memory}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def section(
    rows: list[Row],
    *,
    command: str,
    students: int,
    started: str,
    load_start: str,
    profiles: list[str] | None = None,
) -> str:
    """The table with what it was measured on (and where the time went, when profiled), between
    the markers the docs writer looks for."""
    where = (
        [
            "",
            "Where the time goes (each group run once more under cProfile; the share of the "
            "desk's own time by layer, SQLite's time charged to whoever ran the statement):",
            "",
            *profiles,
        ]
        if profiles
        else []
    )
    return "\n".join(
        [
            START,
            f"Command: `{command}`",
            "",
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (started {started}), "
            f"{students:,} students; {machine()}; load average (1 / 5 / 15 min) at the start "
            f"{load_start}, at the end {load()}.",
            "",
            *table(rows),
            "",
            "Times are wall clock; on a shared machine read them against the load average and "
            "the raw column of the same run. Goals are the issue's, stated for 1,000,000 "
            "students: at a smaller scale a met goal is no proof.",
            *where,
            END,
        ]
    )


def write_docs(text: str, docs: Path = DOCS) -> None:
    """Put `text` between the markers in `docs` (appended at the end the first time)."""
    current = docs.read_text(encoding="utf-8")
    if START in current and END in current:
        current = re.sub(
            re.escape(START) + ".*?" + re.escape(END), lambda _match: text, current, flags=re.S
        )
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    docs.write_text(current, encoding="utf-8")

"""Every registrar report as the desk runs it, for the `reports` group of `python -m bench`:
the registrar account, default filters, plus a --term run of the standing reports, each in a
fresh session; the hand-written SQL each is compared with is in bench/report_sql.py."""

from __future__ import annotations

import time
from typing import Any

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.reports import REPORTS, run_report

EXTRA_RUNS = (
    ("enrollment", "2026SP"),
    ("deans-list", "2026SP"),
    ("probation", "2026SP"),
    ("grade-distribution", "2026SP"),
    ("class-rank", "2026SP"),
)


def time_report(
    engine: Any, name: str, term: str | None, repeat: int
) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of `repeat` runs of one report, each in a fresh session as the desk
    runs it (the registrar account), and the rows it returned."""
    walls, cpus, rows = [], [], 0
    for _ in range(repeat):
        with session_scope(engine) as session:
            actor = actor_for(session, "registrar")
            wall, cpu = time.perf_counter(), time.process_time()
            table = run_report(session, actor=actor, name=name, term_code=term)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            rows = len(table.rows)
    return walls, cpus, rows


def report_runs() -> list[tuple[str, str | None]]:
    """Every report with its default filters, and the standing reports for one term."""
    return [(spec.name, None) for spec in REPORTS] + list(EXTRA_RUNS)

"""Demo marks by enrollment status, whatever the build's `today` (a term in grading, one
mid-term): a W belongs to a withdrawn enrollment only, and nothing but a registered or completed
enrollment carries any other mark. Issue 5 noted registered rows with a W on a roster; the W
there is the Prev column (an earlier, withdrawn attempt of the course), which this pins down."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from recordsdesk.services.demo.build import build_demo_database


@pytest.mark.parametrize("today", [date(2026, 5, 10), date(2026, 10, 20)])
def test_w_only_on_withdrawn_enrollments(tmp_path: Path, today: date) -> None:
    path = tmp_path / "demo.db"
    build_demo_database(
        f"sqlite:///{path}", students=150, seed=2026, rebuild=True, progress=lambda _: None,
        today=today,
    )  # fmt: skip
    con = sqlite3.connect(path)
    try:
        marked = dict(
            con.execute(
                "SELECT status, count(*) FROM enrollment WHERE mark IS NOT NULL GROUP BY status"
            ).fetchall()
        )
        w_rows = con.execute(
            "SELECT status, grade_status, count(*) FROM enrollment WHERE mark = 'W'"
            " GROUP BY status, grade_status"
        ).fetchall()
    finally:
        con.close()
    assert set(marked) <= {"registered", "completed", "withdrawn"}
    assert [(status, grade) for status, grade, _ in w_rows] == [("withdrawn", "posted")]

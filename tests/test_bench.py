"""The benchmark command keeps working: `python -m bench` at a tiny scale measures every hot
path and prints its table; the docs writer touches only the text between its markers.

No time is asserted (the figures belong to docs/benchmarks.md, not to the suite).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND, POSTGRES_URL

REPO = Path(__file__).resolve().parent.parent
PATHS = (
    "demo build",
    "demo build (400 students, a fresh process)",
    "lookup: service rows",
    "lookup: keystroke to rows drawn",
    "record open",
    "transcript build",
    "transcript PDF",
    "transcript preview: open (t)",
    "transcript preview: official (o)",
    "roster load",
    "mark save",
    "grade entry: 10 marks keyed",
    "import history",
    "import students",
    "import OneRoster",
    "import students again, unchanged",
    "import students again, every row changed",
    "post a section (300 marks and standings)",
    "report to CSV (every student",
    "report enrollment",
    "report deans-list --term 2026SP",
    "audit verify",
    "audit viewer (one student)",
    "sign-in (scrypt",
    "backup",
    "start-up to sign-in drawn",
    "`recordsdesk --help`",
    "db optimize --cheap",
    "db optimize (full)",
    "peak RSS",
)


@pytest.mark.slow
def test_bench_measures_every_hot_path_at_a_tiny_scale(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["RECORDSDESK_DATA_DIR"] = str(tmp_path / "data")
    docs_before = (REPO / "docs" / "benchmarks.md").read_bytes()
    command = [sys.executable, "-m", "bench", "--students", "400", "--repeat", "2"]
    command += ["--import-rows", "400", "--cache", str(tmp_path / "cache")]
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "<!-- bench:start -->" and lines[-1] == "<!-- bench:end -->"
    header = "| path | runs | median | p95 | raw median | ratio to raw | goal | met | notes |"
    assert header in lines
    rows = [line for line in lines if line.startswith("| ")]
    for path in PATHS:
        assert any(row.startswith(f"| {path}") for row in rows), path
    # Every measured row has figures (a path that silently measured nothing would show "0").
    # (PostgreSQL's group says it was not run without a server: tested below with one.)
    assert not [
        r for r in rows if r.split(" | ")[1] == "0" and "cached" not in r and "not run" not in r
    ]
    assert any(r.startswith("| imports on PostgreSQL |") and "--postgres" in r for r in rows)
    assert "400 students" in result.stdout
    # Without --write-docs the docs are left alone; a second run reuses the cached demo.
    assert (REPO / "docs" / "benchmarks.md").read_bytes() == docs_before
    again = subprocess.run(
        [*command, "--only", "backup,reports,audit", "--profile", "reports"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-4000:]
    assert "building" not in again.stderr
    assert "| demo build | 0 |" in again.stdout and "| backup (SQLite file) |" in again.stdout
    # The audit group again on the same cache: its copy is made anew (it holds a sign-in user).
    assert "| sign-in (scrypt n=2^17) | 3 |" in again.stdout and "failed:" not in again.stdout
    # The profile asked for says, inside the markers, where the reports' time went by layer,
    # with SQLite's time charged to the desk (the raw baselines are left out of the shares).
    where = again.stdout.split("Where the time goes", 1)[1]
    assert where.rstrip().endswith("<!-- bench:end -->")
    profiled = [line for line in where.splitlines() if line.startswith("- **reports**")]
    assert len(profiled) == 1, where
    assert "SQLite running the desk's statements" in profiled[0]
    assert "recordsdesk.services.reports" in profiled[0]
    assert "`services.reports." in where and "raw baselines" not in profiled[0]
    assert "- **backup**" not in where


@pytest.mark.db
@pytest.mark.skipif(BACKEND != "postgresql", reason="the PostgreSQL run (.ci/run) times it")
def test_bench_imports_again_on_postgresql_beside_sqlite(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["RECORDSDESK_DATA_DIR"] = str(tmp_path / "data")
    command = [sys.executable, "-m", "bench", "--students", "400", "--import-rows", "400"]
    command += ["--only", "imports,postgres", "--postgres", POSTGRES_URL]
    command += ["--cache", str(tmp_path / "cache")]
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| import")]
    on_postgres = [row for row in rows if " on PostgreSQL (" in row]
    assert [row.split(" on PostgreSQL")[0] for row in on_postgres] == [
        "| import history", "| import students", "| import OneRoster"
    ]  # fmt: skip
    for row in on_postgres:  # each beside the SQLite import of the same file, with a verdict
        cells = row.split(" | ")
        assert cells[1] == "1" and cells[4] != "–" and cells[5].endswith("x"), row
        assert cells[7] in ("met", "**not met**"), row


def test_the_docs_writer_replaces_only_its_own_table(tmp_path: Path) -> None:
    import sys as _sys

    _sys.path.insert(0, str(REPO))
    from bench.harness import END, START, Row, p95_within, section, write_docs

    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nHand-written figures.\n", encoding="utf-8")
    first = section(
        [Row("lookup", [0.001, 0.002], [0.001], p95_within(0.003))],
        command="python -m bench --quick",
        students=10_000,
        started="13:00 UTC",
        load_start="0.10 / 0.20 / 0.30",
    )
    write_docs(first, docs)
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written figures.\n\n" + START)
    assert "| lookup | 2 | 1.50 ms | 2.00 ms | 1.00 ms | 1.50x | p95 <= 3.00 ms | met |" in text
    docs.write_text(text + "\nLater hand-written notes.\n", encoding="utf-8")
    second = first.replace("python -m bench --quick", "python -m bench --students 100000")
    write_docs(second, docs)
    text = docs.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    assert "--students 100000" in text and "--quick" not in text
    assert "Hand-written figures." in text and text.endswith("Later hand-written notes.\n")

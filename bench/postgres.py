"""Imports on PostgreSQL (the `postgres` group of `python -m bench`, run with `--postgres URL`).

The issue's goal for PostgreSQL is relative: each import within 3x the SQLite figure. So the
same files the `imports` group imported into SQLite (history, students, OneRoster) are imported
into fresh PostgreSQL databases cloned from one migrated template, and the "raw" column of these
rows is the desk's own SQLite import of the same file in the same run. The databases are
created and dropped here; the URL names a server and a user allowed to create databases.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench import bench_import, loading
from bench.harness import Row, ratio_within, shown

KINDS = (("history", "history"), ("students", "students"), ("oneroster", "OneRoster"))


def _admin(url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(url, isolation_level="AUTOCOMMIT")


def _create(admin: Any, name: str, template: str | None = None) -> None:
    from sqlalchemy import text

    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        clause = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f"CREATE DATABASE {name}{clause}"))


def _drop(admin: Any, name: str) -> None:
    from sqlalchemy import text

    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))


def _sources(workdir: Path, rows: int) -> dict[str, tuple[Path, int]]:
    """The files the imports group wrote (made here when that group did not run)."""
    history, students = workdir / "history.csv", workdir / "students.csv"
    oneroster = workdir / "oneroster"
    if not history.exists():
        loading.write_history(history, rows)
    if not students.exists():
        bench_import.write_csv(students, max(1, rows // 10))
    if not oneroster.exists():
        template = loading.empty_database(workdir / "empty.db")
        oneroster = loading.oneroster_set(workdir, template, max(20, rows // 10))
    return {
        "history": (history, rows),
        "students": (students, max(1, rows // 10)),
        "oneroster": (oneroster, 0),
    }


def imports(url: str | None, workdir: Path, rows: int, measured: list[Row]) -> list[Row]:
    """Each import kind into a fresh PostgreSQL database, beside the SQLite import of the same
    file among `measured` (the rows this run has so far)."""
    if not url:
        return [Row("imports on PostgreSQL", note="not run: give --postgres URL")]
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from recordsdesk.db import make_engine, open_database

    sqlite_seconds = {
        row.name.split(" (")[0].removeprefix("import "): row.samples
        for row in measured
        if row.name.startswith("import ") and row.samples
    }
    admin = _admin(url)
    with admin.connect() as connection:
        server = connection.execute(text("SHOW server_version")).scalar_one().split()[0]
    base = make_url(url)
    tag = f"rd_bench_{os.getpid()}"
    template = f"{tag}_empty"
    _create(admin, template)
    open_database(base.set(database=template).render_as_string(hide_password=False)).dispose()
    out: list[Row] = []
    try:
        for kind, (source, count) in _sources(workdir, rows).items():
            label = dict(KINDS)[kind]
            name = f"{tag}_{kind}"
            _create(admin, name, template)
            engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
            try:
                seconds, report, stages = loading.timed_import(engine, kind, source)
            finally:
                engine.dispose()
                _drop(admin, name)
            count = count or report.rows
            beside = sqlite_seconds.get(label, [])
            held = stages.write_phase()
            lock = f"; write phase {shown(held)}" if held is not None else ""
            out.append(
                Row(
                    f"import {label} on PostgreSQL ({count:,} rows)",
                    [seconds],
                    beside,
                    ratio_within(3.0, "<= 3x the SQLite import") if beside else None,
                    note=f"PostgreSQL {server}, {count / seconds:,.0f} rows/s{lock}; raw: the "
                    "desk's SQLite import of the same file in this run"
                    + ("" if beside else " (not run: add the imports group)"),
                )
            )
    finally:
        _drop(admin, template)
        admin.dispose()
    return out

"""The counter lookup on a big demo, for the `lookup` and `keys` groups of `python -m bench`.

Realistic queries (one letter, prefixes, full names, two words, accented, misspelt, number,
email, birth date): the service as the desk's database thread runs it, on its long-lived
LookupReader, beside raw sqlite3 running exactly the statements the service ran (recorded from
the service) on its own connection, interleaved run by run; and keystroke-to-drawn, headless
with the Pilot, from just before the key is sent to the first render of the results table
holding that query's rows."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from recordsdesk.db import (
    make_engine,
    open_database,
    session_scope,
)
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.lookup import query as lookup_query
from recordsdesk.services.lookup import search as lookup
from recordsdesk.services.lookup import sqlite as lookup_sqlite
from recordsdesk.services.lookup.reader import LookupReader
from recordsdesk.services.lookup.search import LookupResult
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.lookup.search import RESULT_LIMIT, LookupScreen
from recordsdesk.ui.screens.lookup.table import LookupTable

START, END = "<!-- bench_lookup:start -->", "<!-- bench_lookup:end -->"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def realistic_queries(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Twenty queries built from real rows of this database, so every one has answers, and the
    four of issue 14."""

    def one(sql: str, fallback: tuple[Any, ...] | None = None) -> tuple[Any, ...]:
        row = conn.execute(sql).fetchone()
        if row is None and fallback is not None:
            return fallback
        assert row is not None, sql
        return tuple(row)

    first, last = one(
        "SELECT legal_first_name, legal_last_name FROM student WHERE legal_last_name = 'Smith' "
        "AND legal_first_name = 'John' ORDER BY id DESC LIMIT 1",
        ("John", "Smith"),
    )
    acc_first, acc_last = one(
        "SELECT legal_first_name, legal_last_name FROM student WHERE legal_last_name "
        "IN ('García', 'Müller', 'Sørensen', 'Nguyễn', 'Dvořák', 'López') "
        "AND legal_first_name LIKE 'J%' ORDER BY id DESC LIMIT 1",
        ("José", "García"),
    )
    (students,) = one("SELECT count(*) FROM student")
    number, email, birth = one(  # a small demo (the harness's CI run) has fewer than 777
        "SELECT student_number, email, birth_date FROM student ORDER BY id DESC LIMIT 1 "
        f"OFFSET {min(777, students // 2)}"
    )
    year, month, day = str(birth).split("-")
    return [
        ("one letter", "m"),
        ("one letter", "s"),
        ("prefix", "gar"),
        ("prefix", "smi"),
        ("prefix", "nguy"),
        ("full name", f"{first} {last}"),
        ("full name", f"{acc_first} {acc_last}"),
        ("two words", f"{last[:3]} {first[:2]}"),
        ("two words", "ana lo"),
        ("accented", f"{acc_last.lower()}"),
        ("accented", "josé garcía"),
        ("misspelt", "jon smyth"),
        ("misspelt", "katherine"),
        ("misspelt", "garsia jose"),
        ("number", number),
        ("number", number[:6]),
        ("email", email.split("@")[0][:8]),
        ("email", email),
        ("birth date", str(birth)),
        ("birth date", f"{day}/{month}/{year}"),
        # Issue 14: an apostrophe, a common full name, misspellings near middle/former names.
        ("apostrophe", "sof o'c"),
        ("full name", "rocio ramirez"),
        ("misspelt", "isha jozhi"),
        ("misspelt", "shasma"),
    ]


def _recording(recorded: list[tuple[str, dict[str, Any]]]) -> Callable[..., list[Any]]:
    def recording(db: Any, sql: str, params: dict[str, Any]) -> list[Any]:
        recorded.append((sql, dict(params)))
        return ORIGINAL_RUN(db, sql, params)

    return recording


ORIGINAL_RUN = lookup_query.run
RUN_MODULES = (lookup, lookup_query, lookup_sqlite)


def record(call: Callable[[], Any]) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    """Run `call` with every lookup statement recorded (SQL text and parameters)."""
    recorded: list[tuple[str, dict[str, Any]]] = []
    for module in RUN_MODULES:
        module.run = _recording(recorded)  # type: ignore[attr-defined]
    try:
        return call(), recorded
    finally:
        for module in RUN_MODULES:
            module.run = ORIGINAL_RUN  # type: ignore[attr-defined]


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def bench_service(url: str, queries: list[tuple[str, str]], repeat: int) -> list[dict[str, Any]]:
    """What the desk's database thread runs per keystroke, on its long-lived reader: the rows
    (`search(count_cap=0)`), then, when the page is full, the count (`count`); each against
    the same statements on a plain sqlite3 connection, interleaved run by run so both see the
    same machine."""
    engine = open_database(url)
    raw = sqlite3.connect(url.removeprefix("sqlite:///"))
    with session_scope(engine) as session:
        actor = system_actor(session)
    reader = LookupReader(engine)
    results = []

    # As on the desk, SQLite's progress handler asks every few thousand steps whether a newer
    # keystroke superseded the query (here none ever does): its cost is the desk's too.
    latest = [1]

    def superseded(serial: int = 1) -> bool:
        return serial != latest[0]

    def rows_call(query: str) -> LookupResult:
        return reader.search(
            actor=actor, query=query, limit=RESULT_LIMIT, count_cap=0, should_stop=superseded
        )

    for kind, query in queries:
        rows_call(query)  # warm: vocabulary, statement caches
        result, rows_sql = record(lambda query=query: rows_call(query))
        count_sql: list[tuple[str, dict[str, Any]]] = []
        total = result.total
        if result.capped:

            def count_call(query: str = query, rank: int = result.count_rank) -> int:
                return reader.count(actor=actor, query=query, rank=rank, should_stop=superseded)

            total, count_sql = record(count_call)

        def raw_run(statements: list[tuple[str, dict[str, Any]]]) -> None:
            for sql, params in statements:
                raw.execute(sql, params).fetchall()

        service: list[float] = []
        raw_times: list[float] = []
        count: list[float] = []
        raw_count: list[float] = []
        for _ in range(repeat):  # interleaved: service and raw share the machine's moments
            service += timed(lambda query=query: rows_call(query), 1)
            raw_times += timed(lambda sql=rows_sql: raw_run(sql), 1)
            if count_sql:
                count += timed(count_call, 1)
                raw_count += timed(lambda sql=count_sql: raw_run(sql), 1)
        capped = total >= lookup.COUNT_CAP
        results.append(
            {
                "kind": kind,
                "query": query,
                "total": f"{total:,}{'+' if capped else ''}",
                "statements": len(rows_sql),
                "service": service,
                "raw": raw_times,
                "count": count,
                "raw_count": raw_count,
            }
        )
    reader.close()
    raw.close()
    engine.dispose()
    return results


async def bench_keystrokes(
    url: str, queries: list[tuple[str, str]], screen_class: type[LookupScreen]
) -> list[float]:
    """Keystroke-to-drawn latencies (ms) for typing every query, one key at a time."""
    engine = make_engine(url)
    original = RecordsDeskApp.MODES
    RecordsDeskApp.MODES = {**original, "lookup": screen_class}
    latencies: list[float] = []
    try:
        app = make_app(engine, username="system")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, LookupScreen)
            table = screen.query_one("#lookup-results", LookupTable)
            drawn: dict[str, float] = {}
            render_line: Callable[[int], Any] = table.render_line

            def timed_render_line(y: int) -> Any:
                shown = screen.drawn_query
                if shown is not None and shown[0] not in drawn:
                    drawn[shown[0]] = time.perf_counter()
                return render_line(y)

            table.render_line = timed_render_line  # type: ignore[method-assign]
            for _, query in queries:
                await pilot.press("escape")
                await pilot.pause()
                typed = ""
                for key in query:
                    typed += key
                    drawn.pop(typed, None)
                    start = time.perf_counter()
                    await pilot.press("space" if key == " " else key)
                    for _ in range(400):
                        if typed.strip() == "" or typed in drawn:
                            break
                        await asyncio.sleep(0.001)
                    if typed in drawn:
                        latencies.append((drawn[typed] - start) * 1000)
    finally:
        RecordsDeskApp.MODES = original
        engine.dispose()
    return latencies

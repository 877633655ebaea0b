"""Each hot path measured once, as rows of the harness's table.

The measuring code is the per-path scripts' own (bench_lookup, bench_transcript,
bench_grade_entry, bench_reports, bench_confidentiality, bench_startup; the imports are in
loading.py); this module picks their inputs at the demo's scale and turns their samples into
rows. Where a script
has no raw equivalent, the raw column is what plain `sqlite3` does running the very statements
the desk's code ran (recorded from the engine), which shows how much of a call is SQL.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from bench import (
    bench_confidentiality,
    bench_grade_entry,
    bench_lookup,
    bench_reports,
    bench_startup,
    bench_transcript,
    report_sql,
)
from bench.harness import Goal, Row, median_within, p95_within, ratio_within

#: Statements an engine sent: SQL, driver parameters, and whether it was an executemany.
Statements = list[tuple[str, Any, bool]]


@contextmanager
def recorded(engine: Any) -> Iterator[Statements]:
    """Every statement the engine sends while the block runs (executemany's too), with its
    driver parameters."""
    from sqlalchemy import event

    statements: Statements = []

    def before(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        statements.append((sql, params, many))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def replay(raw: sqlite3.Connection, statements: Statements) -> None:
    """Run the reads among recorded statements on a plain sqlite3 connection, reading every
    row."""
    for sql, params, many in statements:
        if not many and sql.lstrip().upper().startswith(("SELECT", "WITH", "PRAGMA")):
            raw.execute(sql, params or ()).fetchall()


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def registrar(engine: Any) -> Any:
    from recordsdesk.db import session_scope
    from recordsdesk.services.access.actor import actor_for

    with session_scope(engine) as session:
        return actor_for(session, "registrar")


# -- the counter ------------------------------------------------------------------------------


def lookup(url: str, path: Path, repeat: int, keys: bool) -> list[Row]:
    """bench_lookup's realistic queries: the service's rows beside the same statements on
    sqlite3, and (with `keys`) every keystroke of typing them to the rows drawn."""
    with closing(sqlite3.connect(path)) as connection:
        queries = bench_lookup.realistic_queries(connection)
    results = bench_lookup.bench_service(url, queries, repeat)
    service = [t for r in results for t in r["service"]]
    raw = [t for r in results for t in r["raw"]]
    slowest = max(results, key=lambda r: bench_lookup.pct(r["service"], 0.95))
    worst = bench_lookup.pct(slowest["service"], 0.95)
    worst_raw = bench_lookup.pct(slowest["raw"], 0.95)
    rows = [
        Row(
            "lookup: service rows, 24 queries",
            service,
            raw,
            Goal("every query's p95 <= 3 ms", lambda _row: worst <= 0.003),
            note=f"worst query p95 {worst * 1000:.2f} ms ({slowest['kind']} "
            f"{printable_query(slowest['query'])}, raw p95 {worst_raw * 1000:.2f} ms); raw: the "
            "same statements",
        ),
        Row(
            "lookup: service over raw",
            service,
            raw,
            ratio_within(1.5, "median ratio <= 1.5x"),
            note="the same samples as above, against its ratio goal",
        ),
    ]
    if keys:
        from recordsdesk.ui.screens.lookup.search import LookupScreen

        latencies = asyncio.run(bench_lookup.bench_keystrokes(url, queries, LookupScreen))
        rows.append(
            Row(
                "lookup: keystroke to rows drawn",
                [ms / 1000 for ms in latencies],
                goal=p95_within(0.025),
                note="headless, 120x40; no raw equivalent",
            )
        )
    return rows


def printable_query(query: str) -> str:
    """A query as the table shows it: quoted, with a markdown table's cell separator escaped."""
    return repr(query).replace("|", "\\|")


def record_open(engine: Any, path: Path, count: int, repeat: int) -> Row:
    """`get_student_record` (what the record screen's worker calls) for students spread over
    the file, each in its own session; raw: the statements it ran, on sqlite3."""
    from sqlmodel import Session

    from recordsdesk.services.people.record import get_student_record

    actor = registrar(engine)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as raw:
        top = raw.execute("SELECT max(id) FROM student").fetchone()[0]
        ids = random.Random(19).sample(range(1, top + 1), min(count, top))

        def one(sid: int) -> None:
            with Session(engine) as session:
                get_student_record(session, actor=actor, student_id=sid)

        service: list[float] = []
        raws: list[float] = []
        for sid in ids:
            with recorded(engine) as statements:
                one(sid)  # warm, and what raw replays
            for _ in range(repeat):
                service.append(timed(lambda sid=sid: one(sid)))
                raws.append(timed(lambda s=statements: replay(raw, s)))
    return Row(
        "record open (service read)",
        service,
        raws,
        note=f"{len(ids)} students; raw: the same statements",
    )


# -- transcripts ------------------------------------------------------------------------------


def transcripts(path: Path, count: int, sample: int, previews: int) -> list[Row]:
    """bench_transcript: the builder on the fullest records of `sample` graduates beside its
    own join on sqlite3, the official PDF of up to 20 of them, and the preview drawn after each
    key (open, official toggled, page turned) for `previews` of them."""
    from datetime import date

    from sqlalchemy import create_engine

    from recordsdesk.render.transcript_layout import RenderOptions

    uri = f"file:{path}?mode=ro"
    engine = create_engine("sqlite:///" + uri + "&uri=true")
    with closing(sqlite3.connect(uri, uri=True)) as raw:
        students = bench_transcript.pick_students(raw, sample, count)
        if not students:
            return [Row("transcript build", note="no graduates in this demo")]
        actor = registrar(engine)
        build, rawt, _cpu, _raw_cpu, built = bench_transcript.bench_builds(
            engine, raw, students, actor
        )
    options = RenderOptions(official=True, issued_on=date.today(), verification_code="X")
    pdf, _pdf_cpu = bench_transcript.bench_pdf(built[: min(20, len(built))], options)
    engine.dispose()
    frames = asyncio.run(
        bench_transcript.preview_frames(f"sqlite:///{path}", [s[0] for s in students[:previews]])
    )
    courses = f"{students[-1][2]}-{students[0][2]} courses"
    drawn = [
        Row(
            f"transcript preview: {what}",
            frames[key],
            goal=p95_within(0.05, "drawn <= 50 ms after the key (p95)"),
            note="key to frame, headless 120x40; no raw equivalent",
        )
        for key, what in (("open", "open (t)"), ("toggle", "official (o)"), ("page", "page (PgDn)"))
        if frames[key]
    ]
    return [
        Row(
            "transcript build",
            build,
            rawt,
            p95_within(0.002),
            note=f"{len(students)} students, {courses}; raw: the builder's join",
        ),
        Row("transcript PDF (official)", pdf, goal=p95_within(0.1), note="no raw equivalent"),
        *drawn,
    ]


# -- grade entry ------------------------------------------------------------------------------


def grade_entry(path: Path, runs: int, saves: int, keyed: int) -> list[Row]:
    """bench_grade_entry on the run's working copy: a 300-student section built in it, its
    roster loaded and marks saved, each call beside raw sqlite3's (it writes marks: never on
    the cached demo); then `keyed` marks typed into the roster screen through the Pilot, saving
    to the database beside the same screen over an in-memory store (the raw column)."""
    section = bench_grade_entry.build_section(path)
    engine_actor = _actor_of(path)
    result = bench_grade_entry.bench_service(path, section, engine_actor, runs, saves)
    typed = bench_grade_entry.bench_pilot(path, section, engine_actor, 1, keyed)
    return [
        _quantile_row("roster load (300 students)", result, "roster_load", 0.005, runs),
        _quantile_row("mark save (synchronous=FULL)", result, "mark_save", 0.002, saves),
        Row(
            f"grade entry: {keyed} marks keyed",
            typed["pilot_300_marks_db_s"],
            typed["pilot_300_marks_memory_s"],
            ratio_within(1.5, "<= 1.5x the same screen over memory"),
            note="the Pilot, one key at a time; raw: the roster screen saving to memory",
        ),
    ]


def _actor_of(path: Path) -> Any:
    from recordsdesk.db import make_engine

    engine = make_engine(f"sqlite:///{path}")
    try:
        return registrar(engine)
    finally:
        engine.dispose()


def _quantile_row(name: str, result: dict[str, Any], key: str, goal: float, runs: int) -> Row:
    """A row from the grade bench's quantiles (it keeps no samples)."""
    own, raw = result[key], result[f"{key}_raw_sqlite3"]
    return Row(
        name,
        raw=[raw["median_ms"] / 1000],
        goal=p95_within(goal),
        note="raw: bench_grade_entry's statements",
        stats=(own["median_ms"] / 1000, own["p95_ms"] / 1000, runs),
    )


# -- reports ----------------------------------------------------------------------------------


def reports(engine: Any, path: Path, repeat: int, raw_too: bool = True) -> list[Row]:
    """bench_reports: every report with its default filters (and the standing reports for one
    term), as the registrar runs them; raw: report_sql's hand-written query computing the same
    figures on sqlite3 (the rows of each are counted, so a drift between the two shows).
    Without `raw_too` (a profiled run) the hand-written queries are left out."""
    from datetime import date

    out: list[Row] = []
    today = date.today()  # what the reports take when run without a day, as here
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as raw:
        raw.execute("PRAGMA cache_size = -32768")  # the desk's own cache (db.py)
        for name, term in bench_reports.report_runs():
            bench_reports.time_report(engine, name, term, 1)  # warm, as raw is by its count
            walls, _cpus, rows = bench_reports.time_report(engine, name, term, repeat)
            if not raw_too:
                continue
            start = time.perf_counter()  # the counting run is the first timed one
            listed = report_sql.run(raw, name, term, today)
            raws = [time.perf_counter() - start]
            raws += [
                timed(lambda n=name, t=term: report_sql.run(raw, n, t, today))
                for _ in range(repeat - 1)
            ]
            same = "same rows" if listed == rows else f"hand-written SQL lists {listed:,}"
            out.append(
                Row(
                    f"report {name}" + (f" --term {term}" if term else ""),
                    walls,
                    raws,
                    Goal(
                        "<= 3 s, <= 2x raw",
                        lambda row: row.median <= 3.0 and (row.ratio or 0) <= 2.0,
                    ),
                    note=f"{rows:,} rows; raw: hand-written SQL ({same})",
                )
            )
    return out


# -- the audit trail and sign-in ---------------------------------------------------------------


def audit(cache: Path, work: Path, students: int) -> list[Row]:
    """bench_confidentiality on a synthetic, correctly chained log (the demo's own trail is a
    handful of events): `audit verify` beside sqlite3 reading and hashing every row, the
    viewer's one-student filter beside its SELECT, and one sign-in (scrypt, on purpose slow).
    The log is built once per size into the cache and copied, since sign-in appends to it."""
    from recordsdesk.db import open_database, session_scope
    from recordsdesk.services.access.accounts import add_user, sign_in
    from recordsdesk.services.access.actor import system_actor
    from recordsdesk.services.audit.verify import verify_chain
    from recordsdesk.services.audit.view import AuditFilter, query_audit

    events = min(200_000, max(1_000, 2 * students))
    people = max(100, events // 10)
    source = cache / f"audit-{events}.db"
    if not source.exists():
        building = source.with_name(source.name + ".building")
        building.unlink(missing_ok=True)
        bench_confidentiality.build_log(building, events, people)
        building.replace(source)
    path = work / "audit.db"
    for suffix in ("", "-wal", "-shm"):  # an earlier run's copy holds its sign-in user
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    bench_grade_entry.copy_database(source, path)
    engine = open_database(f"sqlite:///{path}")
    with session_scope(engine) as session:
        actor = system_actor(session)

    def verify() -> None:
        with session_scope(engine) as session:
            assert verify_chain(session, actor=actor).intact

    def view(student_id: int) -> None:
        with session_scope(engine) as session:
            query_audit(session, actor=actor, filters=AuditFilter(student_id=student_id))

    runs = 1 if events >= 100_000 else 3
    verifies, walks = [], []
    picked = [random.Random(11).randint(1, people) for _ in range(50)]
    views, raw_views = [], []
    with closing(sqlite3.connect(path)) as raw:

        def walk() -> None:
            for row in raw.execute("SELECT * FROM audit_event ORDER BY id"):
                hashlib.sha256(repr(row).encode()).digest()

        def raw_view(student_id: int) -> None:
            raw.execute(VIEWER_SQL, (student_id,)).fetchall()

        for _ in range(runs):
            verifies.append(timed(verify))
            walks.append(timed(walk))
        for student_id in picked:
            views.append(timed(lambda s=student_id: view(s)))
            raw_views.append(timed(lambda s=student_id: raw_view(s)))
    with session_scope(engine) as session:
        add_user(
            session, actor=actor, username="bench", role="clerk", full_name="",
            password="counter lamp 42",
        )  # fmt: skip
    signs = [timed(lambda: sign_in(engine, "bench", "counter lamp 42")) for _ in range(3)]
    engine.dispose()
    return [
        Row(
            f"audit verify ({events:,} events)",
            verifies,
            walks,
            note=f"{events / statistics.median(verifies):,.0f} events/s; raw: sqlite3 reading "
            "and hashing every row",
        ),
        Row(
            "audit viewer (one student)",
            views,
            raw_views,
            note=f"50 of {people:,} students; raw: the same indexed SELECT",
        ),
        Row("sign-in (scrypt n=2^17)", signs, note="slow on purpose: a memory-hard key"),
    ]


#: The registrar's audit view of one student, as the viewer asks for it (newest 200 and one).
VIEWER_SQL = "SELECT * FROM audit_event WHERE student_id = ? ORDER BY id DESC LIMIT 201"


# -- upkeep and start-up ----------------------------------------------------------------------


def backup(path: Path, workdir: Path, runs: int) -> Row:
    service, raw = bench_confidentiality.bench_backup(path, workdir, runs)
    size = path.stat().st_size / 2**20
    return Row(
        "backup (SQLite file)",
        [ms / 1000 for ms in service],
        [ms / 1000 for ms in raw],
        note=f"{size:,.0f} MiB; raw: sqlite3's backup API",
    )


def startup(url: str, repeat: int) -> list[Row]:
    """bench_startup: the desk to its sign-in screen beside a bare Textual app drawing one
    Input (fresh processes on a pseudo-terminal, interleaved), and `recordsdesk --help`."""
    bench_startup.time_drawn(bench_startup.DESK, "SignInScreen", ["--database", url])
    bare: list[float] = []
    desk: list[float] = []
    helps: list[float] = []
    for _ in range(repeat):
        bare.append(bench_startup.time_drawn(bench_startup.BARE_APP, "Screen"))
        desk.append(
            bench_startup.time_drawn(bench_startup.DESK, "SignInScreen", ["--database", url])
        )
        helps.append(bench_startup.time_help(["--help"]))
    return [
        Row(
            "start-up to sign-in drawn",
            desk,
            bare,
            ratio_within(1.5, "<= 1.5x the bare app"),
            note="raw: a bare Textual app drawing one Input",
        ),
        Row("`recordsdesk --help`", helps, goal=median_within(0.3), note="a fresh process"),
    ]


def optimize(url: str, analyze: bool = False) -> list[Row]:
    """`recordsdesk db optimize`, the cheap part (what the desk runs in the background) and the
    whole (with `analyze`, SQLite's statistics made too), on the run's copy (last: statistics
    would change the plans measured above)."""
    from recordsdesk.db import make_engine
    from recordsdesk.services.upkeep.optimize import optimize_database

    engine = make_engine(url)
    rows = []
    try:
        full = "db optimize --analyze" if analyze else "db optimize (full)"
        for name, cheap in (("db optimize --cheap", True), (full, False)):
            start = time.perf_counter()
            report = optimize_database(engine, cheap=cheap, analyze=analyze)
            seconds = time.perf_counter() - start
            steps = "; ".join(f"{s.name} {s.seconds:.2f} s ({s.detail})" for s in report.steps)
            rows.append(Row(name, [seconds], note=steps))
    finally:
        engine.dispose()
    return rows


def demo_build(seconds: float | None, students: int) -> Row:
    goal = 300.0 * students / 1_000_000
    if seconds is None:
        return Row("demo build", note="cached demo reused (--rebuild times a build)")
    return Row(
        "demo build",
        [seconds],
        goal=median_within(goal, f"<= 5 min at 1M ({goal:.0f} s here)"),
        note="this run's build of the cached demo",
    )


def peak_rss() -> Row:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Row(
        "peak RSS",
        value=f"{own:,.0f} MiB",
        note=f"this process (every in-process path); largest child {children:,.0f} MiB",
    )

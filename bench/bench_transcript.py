"""Benchmark: transcripts on a large demo database (read-only).

    python bench/bench_transcript.py --database /tmp/bench/bench-demo-1000000.db

Measures, on students with the most courses among a sample of graduates: building the
transcript (`build_transcript`, one short session each, as the desk does), the same student's
course rows joined by plain sqlite3 (the floor), the PDF, the preview's page drawn with Rich
(layout + Text), and the preview screen through Textual's Pilot from the key to the page shown.
Opens the file read-only (never writes the shared database). Figures go to stdout as JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import create_engine
from sqlmodel import Session, select

from recordsdesk.models import StaffUser
from recordsdesk.render.transcript_layout import RenderOptions, layout
from recordsdesk.render.transcript_pdf import render_pdf
from recordsdesk.render.transcript_rich import page_rich
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.transcripts.builder import ENROLLMENTS_SQL, build_transcript

RAW_JOIN = ENROLLMENTS_SQL  # the builder's own join: the floor it is compared with


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(p95 * 1000, 3),
    }


def timed(call: Callable[[], object], repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def pick_students(raw: sqlite3.Connection, sample: int, count: int) -> list[tuple[int, str, int]]:
    """The `count` students with the most courses among `sample` graduates (id, number, n)."""
    ids = [
        r[0]
        for r in raw.execute(
            "SELECT id FROM student WHERE status = 'graduated' ORDER BY id LIMIT ?", (sample,)
        )
    ]
    rows = []
    for sid in ids:
        (n,) = raw.execute(
            "SELECT count(*) FROM enrollment WHERE student_id = ?", (sid,)
        ).fetchone()
        (number,) = raw.execute(
            "SELECT student_number FROM student WHERE id = ?", (sid,)
        ).fetchone()
        rows.append((sid, number, n))
    rows.sort(key=lambda r: -r[2])
    return rows[:count]


async def preview_times(engine_url: str, student_ids: list[int]) -> dict[str, list[float]]:
    """Key press to page shown, through the Pilot (headless, 120x40): opening the preview
    (t, a new screen and a worker), toggling official (o) and turning a page (PgDn)."""
    from recordsdesk.db import make_engine
    from recordsdesk.ui.app import make_app
    from recordsdesk.ui.screens.people.record import StudentScreen
    from recordsdesk.ui.screens.transcripts.preview import TranscriptScreen

    engine = make_engine(engine_url)
    app = make_app(engine, username="registrar")
    out: dict[str, list[float]] = {"open": [], "toggle": [], "page": []}
    async with app.run_test(size=(120, 40)) as pilot:
        for sid in student_ids:
            await app.push_screen(StudentScreen(sid))
            await app.workers.wait_for_complete()
            await pilot.pause()
            start = time.perf_counter()
            await pilot.press("t")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, TranscriptScreen) and app.screen.pages
            out["open"].append(time.perf_counter() - start)
            for key, name in (("o", "toggle"), ("o", "toggle"), ("pagedown", "page")):
                start = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                out[name].append(time.perf_counter() - start)
            await pilot.press("escape")
            await pilot.press("escape")
            await pilot.pause()
    engine.dispose()
    return out


class FrameClock:
    """Key to frame, without the Pilot's idle waits: the time from a key event handed to the
    driver to the end of the first screen update whose screen and state show its effect.

    Textual renders a frame in `Screen._compositor_refresh` and hands it to `App._display`;
    wrapping `_display` marks the moment a frame is complete (the headless driver then discards
    the bytes a terminal would receive). `pilot.press` + `pilot.pause` cannot measure this:
    they sleep in 20 ms steps until the process looks idle, so they add 60 ms or more."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.done: Callable[[Any], bool] | None = None
        self.drawn_at = 0.0
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            drawn_at = time.perf_counter()  # the check below is not timed
            if self.done is not None and renderable is not None and self.done(screen):
                self.drawn_at = drawn_at
                self.done = None

        app._display = display

    async def press(self, key: str, done: Callable[[Any], bool], timeout: float = 30.0) -> float:
        """Seconds from `key` to the first frame drawn with `done(screen drawn)` true."""
        from textual import events

        self.drawn_at = 0.0
        self.done = done
        start = time.perf_counter()
        self.app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        while self.done is not None:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"no frame showed the effect of {key!r}")
            await asyncio.sleep(0.0005)
        return self.drawn_at - start


async def preview_frames(engine_url: str, student_ids: list[int]) -> dict[str, list[float]]:
    """Key to frame drawn (see FrameClock) for opening the preview, toggling official and
    turning a page."""
    from recordsdesk.db import make_engine
    from recordsdesk.ui.app import make_app
    from recordsdesk.ui.screens.people.record import StudentScreen
    from recordsdesk.ui.screens.transcripts.preview import PageView, TranscriptScreen

    engine = make_engine(engine_url)
    app = make_app(engine, username="registrar")
    out: dict[str, list[float]] = {"open": [], "toggle": [], "page": []}
    async with app.run_test(size=(120, 40)) as pilot:
        clock = FrameClock(app)
        for sid in student_ids:
            await app.push_screen(StudentScreen(sid))
            await app.workers.wait_for_complete()
            await pilot.pause()

            def opened(shown: Any, sid: int = sid) -> bool:
                """A frame of the preview itself, of this student, with page 1 in it (the
                preview screen is reused: its earlier student's page must not count)."""
                if not isinstance(shown, TranscriptScreen) or shown.student_id != sid:
                    return False
                if not shown.pages:  # a "Loading" frame is not the page
                    return False
                page = shown.query_one(PageView)
                drawn = page.text.plain.splitlines()
                return page.region.height > 0 and drawn == [ln.text for ln in shown.pages[0].lines]

            out["open"].append(await clock.press("t", opened))
            # As a clerk would: read the page before the next key (the screen's footer and the
            # worker drawing the other copies finish in the meantime).
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TranscriptScreen)
            for _ in range(2):
                wanted = not screen.official
                out["toggle"].append(
                    await clock.press("o", lambda d, w=wanted, s=screen: d is s and s.official is w)
                )
            if len(screen.pages) > 1:
                out["page"].append(
                    await clock.press("pagedown", lambda d, s=screen: d is s and s.page_index == 1)
                )
            await pilot.press("escape")
            await pilot.press("escape")
            await pilot.pause()
    engine.dispose()
    return out


def bench_builds(
    engine: Any, raw: sqlite3.Connection, students: list[tuple[int, str, int]], actor: Any
) -> tuple[list[float], list[float], list[float], list[float], list[Any]]:
    """`build_transcript` per student in its own short session, and the builder's join on
    plain sqlite3, three rounds: wall and CPU seconds of each, and the transcripts built."""
    build: list[float] = []
    rawt: list[float] = []
    build_cpu: list[float] = []
    raw_cpu: list[float] = []
    transcripts: list[Any] = []
    for _round in range(3):  # warm caches on the first round; keep every sample
        for sid, _number, _n in students:

            def one(sid: int = sid) -> None:
                with Session(engine) as session:
                    transcripts.append(build_transcript(session, actor=actor, student_id=sid))

            cpu = time.process_time()
            build += timed(one)
            build_cpu.append(time.process_time() - cpu)
            cpu = time.process_time()
            rawt += timed(lambda sid=sid: raw.execute(RAW_JOIN, {"sid": sid}).fetchall())
            raw_cpu.append(time.process_time() - cpu)
    return build, rawt, build_cpu, raw_cpu, transcripts


def bench_pdf(sample: list[Any], options: RenderOptions) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `render_pdf` for each transcript, after one copy that reads the
    font files (once per process, as on the desk)."""
    render_pdf(sample[0], options)
    pdf: list[float] = []
    pdf_cpu: list[float] = []
    for tr in sample:
        cpu = time.process_time()
        pdf += timed(lambda tr=tr: render_pdf(tr, options))
        pdf_cpu.append(time.process_time() - cpu)
    return pdf, pdf_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True, help="path of a demo SQLite file")
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--pilot", type=int, default=10, help="students for the preview timing")
    parser.add_argument(
        "--with-pilot",
        action="store_true",
        help="also time key to page with pilot.press + pilot.pause (adds its 20 ms idle steps)",
    )
    args = parser.parse_args()
    uri = f"file:{os.path.abspath(args.database)}?mode=ro"
    raw = sqlite3.connect(uri, uri=True)
    students = pick_students(raw, args.sample, args.students)
    engine = create_engine("sqlite:///" + uri + "&uri=true")
    print(
        f"# {date.today()} {os.cpu_count()} cores (machine shared with other helpers), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(
        json.dumps(
            {
                "students": len(students),
                "courses_min": students[-1][2],
                "courses_max": students[0][2],
            }
        )
    )
    with Session(engine) as session:
        actor = actor_for(session, "registrar")
        assert session.exec(select(StaffUser)).first() is not None
    build, rawt, build_cpu, raw_cpu, transcripts = bench_builds(engine, raw, students, actor)
    print(json.dumps({"build_transcript": percentiles(build)}))
    print(
        json.dumps(
            {
                "raw_sqlite3_join": percentiles(rawt),
                "ratio_median": round(statistics.median(build) / statistics.median(rawt), 1),
            }
        )
    )
    print(
        json.dumps(
            {
                "cpu_build_transcript": percentiles(build_cpu),
                "cpu_raw_sqlite3_join": percentiles(raw_cpu),
            }
        )
    )
    sample = transcripts[: min(20, len(transcripts))]
    options = RenderOptions(official=True, issued_on=date.today(), verification_code="X")
    pdf, pdf_cpu = bench_pdf(sample, options)
    print(
        json.dumps(
            {
                "pdf": percentiles(pdf),
                "cpu_pdf": percentiles(pdf_cpu),
                "pages": len(layout(sample[0], options)),
            }
        )
    )
    draw = [
        t for tr in sample for t in timed(lambda tr=tr: [page_rich(p) for p in layout(tr, options)])
    ]
    print(json.dumps({"preview_layout_and_rich_all_pages": percentiles(draw)}))
    ids = [sid for sid, _n, _c in students[: args.pilot]]
    url = "sqlite:///" + uri + "&uri=true"
    frames = asyncio.run(preview_frames(url, ids))
    for name, samples in frames.items():
        print(json.dumps({f"preview_{name}_key_to_frame": percentiles(samples)}))
    if args.with_pilot:
        pilot = asyncio.run(preview_times(url, ids))
        for name, samples in pilot.items():
            print(json.dumps({f"preview_{name}_key_to_page_pilot": percentiles(samples)}))
    print(json.dumps({"load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()

"""Transcripts on a large demo, for the `transcript` group of `python -m bench` (read-only):
building the transcript on the students with the most courses among a sample of graduates
beside the builder's own join on plain sqlite3 (the floor), the official PDF, and the preview
through Textual's Pilot from the key to the frame shown."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_pdf import render_pdf
from recordsdesk.services.transcripts.builder import ENROLLMENTS_SQL, build_transcript

RAW_JOIN = ENROLLMENTS_SQL  # the builder's own join: the floor it is compared with


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

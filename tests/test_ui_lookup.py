"""The lookup screen through the Pilot: type-ahead results, accents, misspellings, filters, no
match, one letter, pasted text, markup safety, stale answers dropped (even a slow one), no query
on the event loop, opening a record and coming back with the search kept."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rich.text import Text
from sqlalchemy import Engine
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TabbedContent

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.lookup.reader import LookupReader
from recordsdesk.services.lookup.search import LookupResult
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.lookup.search import ECHO_WAIT, LookupScreen, _summary
from recordsdesk.ui.screens.lookup.table import LookupTable
from recordsdesk.ui.screens.people.record import TABS, StudentScreen
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_course, make_student
from tests.keys import burst

SIZE = (120, 40)


@pytest.fixture
def desk_data(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        return seed_desk(session, system.id)


@pytest.fixture
def app(engine: Engine, desk_data: DeskData) -> Iterator[RecordsDeskApp]:
    yield make_app(engine, username="system")


async def settle(pilot: Pilot[int]) -> None:
    """Let every worker finish and every message it posted be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(table: LookupTable | DataTable[object]) -> list[list[str]]:
    return [
        [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)]
        for i in range(table.row_count)
    ]


def results(app: RecordsDeskApp) -> list[list[str]]:
    return rows(app.screen.query_one("#lookup-results", LookupTable))


async def test_typing_shows_matches_on_every_keystroke(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LookupScreen)
        assert app.screen.focused is app.screen.query_one("#lookup-query", Input)
        assert results(app) == []
        await pilot.press("g", "a")
        await settle(pilot)
        assert len(results(app)) == 5  # García, Gallagher, three Garners
        await pilot.press("r")
        await settle(pilot)
        shown = results(app)
        assert [r[0] for r in shown] == ["2025000101", "2025000200", "2025000201", "2025000202"]
        assert shown[0][1:] == [
            *("García, José (Pepe)", "2006-03-14", "BSC-BIO", "2029", "active", "HOLD")
        ]
        assert summary(app) == "4 matches"


def summary(app: RecordsDeskApp) -> str:
    return str(app.screen.query_one("#lookup-summary", Static).render())


async def test_title_names_the_institution_and_the_acting_user(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE):
        assert app.title == "Institution"
        assert app.screen.sub_title == "system (admin) · Lookup"


async def test_accents_and_markup_are_shown_as_typed(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"josé")
        await settle(pilot)
        assert [r[1] for r in results(app)] == ["García, José (Pepe)"]
        app.screen.query_one("#lookup-query", Input).value = "[b]"
        await settle(pilot)
        table = app.screen.query_one("#lookup-results", LookupTable)
        name = table.get_row_at(0)[1]
        assert isinstance(name, Text) and name.plain == "Brackets, [b]Bob"
        assert not name.spans  # not parsed: no bold span where the markup would have been
        assert [r[0] for r in rows(table)] == ["2025000102"]


async def test_confidential_flag_in_results(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"siob")
        await settle(pilot)
        assert results(app)[0][-1] == "CONFIDENTIAL"


async def test_escape_clears_and_empty_query_shows_the_hint(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"kim")
        await settle(pilot)
        assert len(results(app)) == 3
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#lookup-query", Input).value == ""
        assert results(app) == []
        summary = str(app.screen.query_one("#lookup-summary", Static).render())
        assert summary.startswith("Type a name")


async def test_stale_results_are_dropped(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        # Five keystrokes without waiting: only the last query's answer may be drawn.
        await pilot.press(*"kimxx")
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert len(results(app)) == 3
        assert screen.drawn_query is not None and screen.drawn_query[0] == "kim"


async def test_accents_both_ways_and_misspellings(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"garcia jose")
        await settle(pilot)
        assert [r[1] for r in results(app)] == ["García, José (Pepe)"]
        await pilot.press("escape", *"siobhan galagher")  # no accent, one l missing
        await settle(pilot)
        table = app.screen.query_one("#lookup-results", LookupTable)
        assert [r[1] for r in rows(table)] == ["Gallagher, Siobhán"]
        name = table.get_row_at(0)[1]
        assert isinstance(name, Text) and "italic" in str(name.style)  # a similar match
        await pilot.press("escape", *"pepe")  # the preferred name
        await settle(pilot)
        assert [r[0] for r in results(app)] == ["2025000101"]


async def test_filters_typed_in_the_same_field(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hold:yes")
        await settle(pilot)
        assert [r[0] for r in results(app)] == ["2025000101"]
        await pilot.press("escape", *"gar hold:no")
        await settle(pilot)
        assert [r[1] for r in results(app)] == ["Garner0, Kim", "Garner1, Kim", "Garner2, Kim"]
        await pilot.press("escape", *"status:active program:bsc")
        await settle(pilot)
        assert [r[0] for r in results(app)] == ["2025000101"]
        await pilot.press("escape", *"status:expelled")
        await settle(pilot)
        assert results(app) == []
        assert summary(app).startswith("No status starts with 'expelled'")


async def test_no_match_one_letter_and_pasted_text(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"qqqq")
        await settle(pilot)
        assert results(app) == []
        assert summary(app).startswith("No student matches")
        await pilot.press("escape", "k")
        await settle(pilot)
        assert [r[1] for r in results(app)] == ["Garner0, Kim", "Garner1, Kim", "Garner2, Kim"]
        await pilot.press("escape")
        query = app.screen.query_one("#lookup-query", Input)
        query.post_message(events.Paste("  José   GARCÍA \t"))
        await settle(pilot)
        assert query.value.strip().startswith("José")
        assert [r[0] for r in results(app)] == ["2025000101"]
        await pilot.press("escape", *"2006-03-14")
        await settle(pilot)
        assert [r[0] for r in results(app)] == ["2025000101"]
        await pilot.press("escape", *"14/03/2006")
        await settle(pilot)
        assert [r[0] for r in results(app)] == ["2025000101"]


def test_summary_counts_with_separators_and_caps() -> None:
    result = LookupResult(rows=(), total=1204)
    assert _summary("smith", result) == "1,204 matches, showing 0. Type more to narrow."
    capped = LookupResult(rows=(), total=10_000, capped=True)
    assert _summary("s", capped).startswith("10,000+ matches")
    assert _summary("x", LookupResult(rows=(), total=0, notice="hold: takes yes or no.")) == (
        "hold: takes yes or no."
    )


async def test_enter_opens_record_and_escape_returns_with_search_kept(
    app: RecordsDeskApp, desk_data: DeskData
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"gar")
        await settle(pilot)
        await pilot.press("down", "down")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen)
        assert app.screen.student_id != desk_data.garcia_id  # the third row: Garner1
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)
        assert app.screen.query_one("#lookup-query", Input).value == "gar"
        table = app.screen.query_one("#lookup-results", LookupTable)
        assert (table.row_count, table.cursor_row) == (4, 2)
        await pilot.press("up", "up", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen)
        assert app.screen.student_id == desk_data.garcia_id


async def test_command_palette_finds_students_and_courses(
    app: RecordsDeskApp, desk_data: DeskData
) -> None:
    from recordsdesk.ui.screens.catalog.courses import CatalogScreen

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"garcia jo")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen)
        assert app.screen.student_id == desk_data.garcia_id
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"CHEM101")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        courses = app.screen.query_one("#course-table", DataTable)
        for _ in range(20):  # the catalog loads, then the cursor moves to the course
            await settle(pilot)
            if rows(courses) and rows(courses)[courses.cursor_row][0] == "CHEM101":
                break
        assert rows(courses)[courses.cursor_row][0] == "CHEM101"


async def test_no_query_runs_on_the_event_loop(
    app: RecordsDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every keystroke's query runs on the screen's one database thread, never in the key
    handler (the event loop's thread), however quickly it would finish; the thread is the same
    for every key (no thread started per keystroke) and so is its reader (one connection)."""
    threads: list[int] = []
    readers: list[int] = []
    original = LookupReader.search

    def recording_search(reader: LookupReader, **kwargs: Any) -> LookupResult:
        threads.append(threading.get_ident())
        readers.append(id(reader))
        return original(reader, **kwargs)

    monkeypatch.setattr(LookupReader, "search", recording_search)
    async with app.run_test(size=SIZE) as pilot:
        loop_thread = threading.get_ident()
        for key in "garner":
            await pilot.press(key)
            await settle(pilot)  # every keystroke answered, one after the other
        assert [r[1] for r in results(app)] == ["Garner0, Kim", "Garner1, Kim", "Garner2, Kim"]
        assert len(threads) == 6 and loop_thread not in threads
        assert len(set(threads)) == 1 and len(set(readers)) == 1


async def test_a_slow_stale_query_is_never_drawn(
    app: RecordsDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first keystroke's query is held on the database thread until the clerk has typed
    on: its answer, and the middle keystroke's (skipped before it starts), never reach the
    table; the newest does. Meanwhile the screen is not held back waiting for the rows."""
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []
    original = LookupReader.search

    def slow_first(reader: LookupReader, **kwargs: Any) -> LookupResult:
        ran.append(kwargs["query"])
        if kwargs["query"] == "k":
            started.set()
            release.wait(10)
        return original(reader, **kwargs)

    monkeypatch.setattr(LookupReader, "search", slow_first)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        drawn: list[str] = []
        show = screen._show

        def recording_show(query: str, result: LookupResult) -> None:
            drawn.append(query)
            show(query, result)

        monkeypatch.setattr(screen, "_show", recording_show)
        await pilot.press("k")
        assert await asyncio.to_thread(started.wait, 10)  # "k" holds the database thread
        await pilot.press("i", "m")
        await pilot.pause()
        assert drawn == []  # the handler drew nothing: it does not query
        for _ in range(50):  # the echo waits for the rows ECHO_WAIT at most, then paints
            if screen._frame_hold is None:
                break
            await pilot.pause(ECHO_WAIT)
        assert screen._frame_hold is None  # painting again while "k" still holds the thread
        release.set()
        await settle_on(pilot, lambda: drawn == ["kim"])
        assert drawn == ["kim"]
        assert ran == ["k", "kim"]  # "ki" was superseded before it started
        assert len(results(app)) == 3


def add_fillers(engine: Engine, count: int = 55) -> None:
    """More students named alike than the page holds (Filler00 .. Filler54)."""
    from tests.factories import make_student

    with session_scope(engine) as session:
        for n in range(count):
            make_student(session, legal_first_name="Page", legal_last_name=f"Filler{n:02d}")


async def test_a_stale_count_is_never_drawn(
    engine: Engine, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full page's count still running when the clerk types on never reaches the summary:
    the newer query's own answer stays."""
    add_fillers(engine)
    started, release = threading.Event(), threading.Event()
    original = LookupReader.count

    def slow_count(reader: LookupReader, **kwargs: Any) -> int:
        if kwargs["query"] == "fill":
            started.set()
            release.wait(10)
        return original(reader, **kwargs)

    monkeypatch.setattr(LookupReader, "count", slow_count)
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"fill")
        assert await asyncio.to_thread(started.wait, 10)  # rows drawn, count held
        await pilot.pause()
        assert len(results(app)) == 50 and summary(app).startswith("50+ matches")
        await pilot.press("escape", *"kim")
        release.set()
        await settle_on(pilot, lambda: len(results(app)) == 3)
        await settle(pilot)
        assert summary(app) == "3 matches"


async def test_the_count_follows_a_full_page(engine: Engine, desk_data: DeskData) -> None:
    """More matches than the page: the rows come first, then the thread counts them all and
    the summary says how many."""
    add_fillers(engine)
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"filler")
        await settle_on(pilot, lambda: summary(app).startswith("55 matches"))
        assert summary(app) == "55 matches, showing 50. Type more to narrow."
        assert len(results(app)) == 50
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        await pilot.pause()
        table = app.screen.query_one("#lookup-results", LookupTable)
        assert table.cursor_row == 49  # the last row, scrolled into view
        assert table.scroll_y > 0


async def test_a_failed_query_is_reported_and_the_next_one_works(
    app: RecordsDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error on the database thread becomes a notification; the thread carries on."""
    original = LookupReader.search

    def failing_once(reader: LookupReader, **kwargs: Any) -> LookupResult:
        if kwargs["query"] == "ki":
            raise RuntimeError("disk on fire")
        return original(reader, **kwargs)

    monkeypatch.setattr(LookupReader, "search", failing_once)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k", "i")
        await settle_on(pilot, lambda: bool(app._notifications))
        messages = [n.message for n in app._notifications if n.severity == "error"]
        assert messages == ["Something went wrong (RuntimeError: disk on fire)."]
        await pilot.press("m")
        await settle_on(pilot, lambda: len(results(app)) == 3)
        assert len(results(app)) == 3


async def settle_on(pilot: Pilot[int], condition: Callable[[], bool]) -> None:
    """Pause until `condition` holds (answers come from the database thread), at most ~5 s of
    pauses; the caller asserts what it expected."""
    for _ in range(100):
        await settle(pilot)
        if condition():
            return
        await asyncio.to_thread(time.sleep, 0.05)  # let the database thread run


async def test_a_count_stopped_at_the_filtered_cap_says_so(
    engine: Engine, app: RecordsDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filtered query's count stops at its own (smaller) cap: the summary shows it with a
    "+", not as the exact number."""
    from recordsdesk.services.lookup import search as lookup
    from recordsdesk.ui.screens.lookup.search import RESULT_LIMIT

    with session_scope(engine) as session:
        for n in range(RESULT_LIMIT + 10):
            make_student(session, legal_first_name="Ann", legal_last_name=f"Capped{n}")
    monkeypatch.setattr(lookup, "FILTERED_COUNT_CAP", RESULT_LIMIT + 5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"capped status:active")
        await settle_on(pilot, lambda: summary(app).startswith(f"{RESULT_LIMIT + 5}"))
        assert summary(app).startswith(f"{RESULT_LIMIT + 5}+ matches")


async def test_palette_lists_students_before_loosely_matching_courses(
    engine: Engine, app: RecordsDeskApp, desk_data: DeskData
) -> None:
    from textual.command import CommandList

    with session_scope(engine) as session:
        for n in range(4):  # titles holding g-a-r-c-i-a in order, as fuzzy matching reads them
            make_course(session, code=f"GAR{n}", title=f"Gardening Arc In Art {n}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"garcia")
        hits = app.screen.query_one(CommandList)
        await settle_on(pilot, lambda: hits.option_count >= 5)
        prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert "García" in prompts[0], prompts
        assert any("GAR0" in p for p in prompts[1:]), prompts


async def test_a_burst_through_a_slow_search_lands_as_slow_typing(
    app: RecordsDeskApp, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "gar", Down, Down, Enter, 3 typed at once while each search takes a while: the arrows
    and Enter wait for the rows of "gar" (not the table they would otherwise act on), the third
    row's record opens, and "3" reaches the record, exactly as when typed slowly."""
    original = LookupReader.search

    def slow(reader: LookupReader, **kwargs: Any) -> LookupResult:
        time.sleep(0.15)
        return original(reader, **kwargs)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"gar")
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen)
        slowly = app.screen.student_id
        assert slowly != desk_data.garcia_id  # the third row
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen) and results(app) == []

        monkeypatch.setattr(LookupReader, "search", slow)
        await burst(pilot, "gar", "down", "down", "enter", "3", settle=False)
        await settle_on(
            pilot, lambda: not app.keys_pending and isinstance(app.screen, StudentScreen)
        )
        assert isinstance(app.screen, StudentScreen)
        assert app.screen.student_id == slowly
        tabs = app.screen.query_one("#record-tabs", TabbedContent)
        assert tabs.active == TABS[2][0]

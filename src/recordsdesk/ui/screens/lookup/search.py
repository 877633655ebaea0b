"""The home screen: type part of a name, a number, an email or a birth date; Enter opens the
record. The search box keeps the focus, so the arrow keys move through the results while the
clerk keeps typing.

How a keystroke becomes rows (measured in bench/bench_lookup.py, figures in
docs/benchmarks.md): the key handler never touches the database, so the event loop stays free
to echo keys and draw whatever the query costs. Every query goes to an async worker
(exclusive: the previous one is cancelled) that hands it to one long-lived database thread and
draws the answer itself. That thread is kept for the screen's life, with one read connection
(services/lookup/reader.py), rather than a thread worker and a session per keystroke. A query
that is no longer the newest is skipped before it starts and interrupted while it runs
(`should_stop`, SQLite's progress handler), so stale results never show and a slow query never
delays the next one. The rows come first; when the page is full the thread then counts the
matches and the summary line follows.

The results are drawn by LookupTable (table.py): replacing 50 rows costs one pass over
their text, and only visible lines are built. Typing never asks for a layout of the screen
(SearchField, LookupTable's scrollable size), and the key's echo waits for its rows, briefly,
so both are painted in one frame instead of the rows waiting for the next one
(_hold_frame).

The privacy key (F9) masks the birth date column from the rows already loaded (no new query);
the confidential banner follows the highlighted row.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static

from recordsdesk.services.lookup.reader import LookupReader
from recordsdesk.services.lookup.search import (
    SIMILAR,
    LookupCancelled,
    LookupResult,
    StudentRow,
)
from recordsdesk.ui.privacy import mask, privacy_on
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.lookup.table import LookupTable
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.typeahead import TypeAheadApp
from recordsdesk.ui.widgets.cells import cell, flags, words
from recordsdesk.ui.widgets.confidential import ConfidentialBanner

RESULT_LIMIT = 50
#: How long the echo of a key may wait for that key's rows, so both reach the screen in one frame
#: (seconds; see _hold_frame). Past it the echo is drawn alone and the rows follow.
ECHO_WAIT = 0.02
#: The GIL switch interval, set process-wide when the lookup mounts (see on_mount).
SWITCH_INTERVAL = 0.001
HINT = (
    "Type a name (any order), a student number, an email or a birth date; "
    "filters: status: program: term: hold:"
)
COLUMNS = ("Number", "Name", "Birth date", "Program", "Level", "Status", "Flags")
#: Where the room comes from when a page of results is wider than the table, as (column,
#: narrowest): the name to 16 cells, the status word, the program code, then the name to 12.
#: The number, birth date, level and flags are always whole.
SHRINK = ((1, 16), (5, 8), (3, 6), (1, 12))
SIMILAR_STYLE = "italic"


class SearchField(Input):
    """The lookup's search box: an Input whose typing never asks for a layout of the screen.

    Textual's Input (8.2.8) sets its scrollable width to the text's width on every change of
    its value, and that reactive asks for a layout of the whole screen, spent before the rows
    can be drawn. The box's own size is fixed
    (width 100%, height 3), so nothing else can move; its horizontal scrolling reads the
    scrollable width directly, and a repaint is all it needs. A plain attribute override: if
    Textual stops setting it, this is simply unused.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


class LookupScreen(DeskScreen):
    CSS_PATH = "search.tcss"
    SCREEN_NAME = "Lookup"
    PURPOSE = (
        "Find a student at the counter. Results follow every keystroke: parts of any name in "
        "any order (legal, preferred or former; accents optional), the start of a student "
        "number or email, or a birth date (2004-03-17, 17/03/2004 or 03/17/2004). Misspelt "
        "names are listed after the exact ones, in italics. Narrow with filters in the same "
        "field: status:active, program:BIO, term:2026FA, hold:yes. Arrow keys pick a student, "
        "Enter opens the record, Esc clears."
    )
    BINDINGS = [
        Binding("enter", "open_record", "Open record", priority=True),
        Binding("escape", "clear", "Clear", priority=True),
        Binding("down", "move(1)", "Next", show=False, priority=True),
        Binding("up", "move(-1)", "Previous", show=False, priority=True),
        Binding("pagedown", "move(10)", "Page down", show=False, priority=True),
        Binding("pageup", "move(-10)", "Page up", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, StudentRow] = {}
        self._serials = itertools.count(1)
        self._latest = 0
        #: The newest keystroke whose rows (or error) are in: behind `_latest` while a search
        #: is on its way.
        self._answered = 0
        #: Keys pressed while a search was on its way (Enter, arrows), run once its rows are in.
        self._after_rows: list[Callable[[], None]] = []
        self._database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lookup")
        #: The database thread's reader (one connection); touched on that thread only.
        self._reader: LookupReader | None = None
        #: (query, monotonic time of its keystroke) of the results waiting to be drawn; the
        #: benchmark reads it from the table's first render.
        self.drawn_query: tuple[str, float] | None = None
        self.typed_at = 0.0
        self._result = LookupResult(rows=(), total=0)
        #: Paints held back while a key's rows are on their way (see _hold_frame).
        self._frame_hold: ExitStack | None = None
        self._frame_hold_timer: Timer | None = None
        self._no_hold_until = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfidentialBanner(id="lookup-confidential")
        yield SearchField(placeholder=HINT, id="lookup-query")
        yield Static(HINT, id="lookup-summary", markup=False)
        yield LookupTable(id="lookup-results")
        yield Footer()

    def on_mount(self) -> None:
        # The database thread's Python (parsing, building rows) shares the GIL with the event
        # loop drawing the key's echo; at the default 5 ms switch interval it could wait that
        # long for its turn. 1 ms keeps the hand-over short; the cost is a few more switches.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self.query_one("#lookup-results", LookupTable).add_columns(*COLUMNS, shrink=SHRINK)
        self.watch(self.app, "privacy", self._privacy_changed, init=False)
        self.query_one("#lookup-query", Input).focus()

    def on_screen_suspend(self) -> None:
        self._release_frame()  # a record opened (Enter) or another area: paint it now

    def on_unmount(self) -> None:
        self._latest = -1  # anything still running stops at its next check
        self._release_frame()
        self._database.submit(self._close_reader)
        self._database.shutdown(wait=False)

    @property
    def query_text(self) -> str:
        return self.query_one("#lookup-query", Input).value

    @on(Input.Changed, "#lookup-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self.typed_at = time.monotonic()
        serial = self._latest = next(self._serials)
        if not event.value.strip():
            self.workers.cancel_group(self, "lookup")
            self._show(event.value, LookupResult(rows=(), total=0))
            self._release_frame()
            self._rows_in(serial)
            return
        self._hold_frame()
        # Queued for the database thread here, so the query starts while the event loop is
        # still echoing the key; the worker waits for it and draws. Nothing here blocks.
        rows = asyncio.get_running_loop().run_in_executor(
            self._database, self._find, serial, event.value
        )
        rows.add_done_callback(_retrieved)
        self._search(event.value, serial, rows)

    def _superseded(self, serial: int) -> bool:
        return serial != self._latest

    @work(exclusive=True, group="lookup", exit_on_error=False)
    async def _search(
        self, query: str, serial: int, rows: asyncio.Future[LookupResult | None]
    ) -> None:
        """Wait for `query`'s rows from the database thread and draw them if it is still the
        newest; when the page is full, have the thread count the matches for the summary."""
        try:
            result = await rows
            if result is None or self._superseded(serial) or query != self.query_text:
                return
            self._show(query, result)
        finally:
            if not self._superseded(serial):  # the newest key's rows (or its error) are in
                self._release_frame()
                self._rows_in(serial)
        if result.capped:
            loop = asyncio.get_running_loop()
            total = await loop.run_in_executor(self._database, self._count, serial, query, result)
            if total is not None and not self._superseded(serial):
                self._result = replace(
                    result,
                    total=max(total, len(result.rows)),
                    capped=total >= result.full_count_cap,
                )
                self.query_one("#lookup-summary", Static).update(
                    _summary(query, self._result), layout=False
                )

    # --- one frame for the echo and its rows ---------------------------------------------------

    def _hold_frame(self) -> None:
        """Hold the screen's paints until this key's rows are drawn, ECHO_WAIT at most.

        Textual paints on a frame timer (60 Hz). The key's echo asks for a frame at once; the
        rows, a little later, then wait for the next one, and that timer (8.2.8) sleeps one to
        two periods after a frame that followed a pause. Holding the echo for the rows
        (App.batch_update) puts both in the same frame: the rows appear a frame or two sooner,
        the echo only as late as the query. A key typed during a hold
        keeps the first key's deadline, and after a hold that ran out (slow queries) none is
        taken for ECHO_WAIT, so keys repeating faster than the queries never starve the screen.
        """
        if self._frame_hold is not None or time.monotonic() < self._no_hold_until:
            return
        self._frame_hold = ExitStack()
        self._frame_hold.enter_context(self.app.batch_update())
        self._frame_hold_timer = self.set_timer(ECHO_WAIT, self._frame_hold_ran_out)

    def _frame_hold_ran_out(self) -> None:
        self._no_hold_until = time.monotonic() + ECHO_WAIT
        self._release_frame()

    def _release_frame(self) -> None:
        """Let the screen paint again (idempotent)."""
        hold, self._frame_hold = self._frame_hold, None
        timer, self._frame_hold_timer = self._frame_hold_timer, None
        if timer is not None:
            timer.stop()
        if hold is not None:
            hold.close()

    # --- on the database thread -----------------------------------------------------------------

    def _reader_for_desk(self) -> LookupReader:
        engine = self.desk.engine
        if self._reader is None or self._reader.engine is not engine:
            self._close_reader()
            self._reader = LookupReader(engine)
        return self._reader

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def _find(self, serial: int, query: str) -> LookupResult | None:
        """The rows (count stopped at a page), or None if a newer keystroke came first."""
        if self._superseded(serial):
            return None  # a newer keystroke arrived while this one waited
        try:
            return self._reader_for_desk().search(
                actor=self.desk.actor,
                query=query,
                limit=RESULT_LIMIT,
                should_stop=lambda: self._superseded(serial),
                count_cap=0,
            )
        except LookupCancelled:
            return None

    def _count(self, serial: int, query: str, result: LookupResult) -> int | None:
        """Every match of a full page's query (up to the count cap), or None if superseded."""
        if self._superseded(serial):
            return None
        try:
            return self._reader_for_desk().count(
                actor=self.desk.actor,
                query=query,
                rank=result.count_rank,
                should_stop=lambda: self._superseded(serial),
            )
        except LookupCancelled:
            return None

    # --- drawing ----------------------------------------------------------------------------

    def _show(self, query: str, result: LookupResult) -> None:
        table = self.query_one("#lookup-results", LookupTable)
        self._result = result
        self._rows = {str(row.id): row for row in result.rows}
        hidden = privacy_on(self)
        table.replace_rows([(str(row.id), _cells(row, hidden)) for row in result.rows])
        self.query_one("#lookup-summary", Static).update(_summary(query, result), layout=False)
        self.drawn_query = (query, self.typed_at)
        self._mark_confidential()

    def _privacy_changed(self, hidden: bool) -> None:
        """Mask or show the birth dates of the rows on screen, in place (cursor kept)."""
        table = self.query_one("#lookup-results", LookupTable)
        column = COLUMNS.index("Birth date")
        table.update_column(column, {k: _birth_date(r, hidden) for k, r in self._rows.items()})

    def _mark_confidential(self) -> None:
        """The banner follows the highlighted row: shown while it is a confidential student."""
        row = self.highlighted_row
        banner = self.query_one("#lookup-confidential", ConfidentialBanner)
        banner.show_for(row is not None and row.confidential)

    @on(LookupTable.RowHighlighted, "#lookup-results")
    def _row_highlighted(self, _event: LookupTable.RowHighlighted) -> None:
        self._mark_confidential()

    def _when_rows_are_in(self, action: Callable[[], None]) -> bool:
        """Keep `action` (a key's) for when the newest search's rows are in, holding the keys
        behind it, if a search is on its way: a burst of "gar", Down, Enter opens the record
        slow typing would. True if it was kept."""
        if self._answered == self._latest:
            return False
        self._after_rows.append(action)
        if isinstance(self.app, TypeAheadApp):
            self.app.hold_keys(self)
        return True

    def _rows_in(self, serial: int) -> None:
        """The newest search (`serial`) is answered: run the keys kept for it, in order."""
        self._answered = serial
        actions, self._after_rows = self._after_rows, []
        for action in actions:
            action()
        if actions and isinstance(self.app, TypeAheadApp):
            self.app.release_keys(self)

    def action_move(self, rows: int) -> None:
        if self._when_rows_are_in(lambda: self.action_move(rows)):
            return
        table = self.query_one("#lookup-results", LookupTable)
        if table.row_count:
            target = max(0, min(table.row_count - 1, table.cursor_row + rows))
            table.move_cursor(row=target)
            self._mark_confidential()

    def action_clear(self) -> None:
        self.query_one("#lookup-query", Input).value = ""

    def action_open_record(self) -> None:
        if self._when_rows_are_in(self.action_open_record):
            return
        row = self.highlighted_row
        if row is not None:
            self.app.push_screen(StudentScreen(row.id, title=row.display_name))

    @on(LookupTable.RowSelected, "#lookup-results")
    def _row_clicked(self, event: LookupTable.RowSelected) -> None:
        self.action_open_record()

    @property
    def highlighted_row(self) -> StudentRow | None:
        key = self.query_one("#lookup-results", LookupTable).cursor_key
        return None if key is None else self._rows.get(key)


def _retrieved(future: asyncio.Future[LookupResult | None]) -> None:
    """Collect the outcome of a query whose worker was cancelled (a newer keystroke) before it
    waited for it, so an error there is not logged as never retrieved; the newest query's
    worker reports its own errors."""
    if not future.cancelled():
        future.exception()


def _cells(row: StudentRow, hidden: bool) -> tuple[Text, ...]:
    similar = row.rank >= SIMILAR
    name = cell(row.display_name, style=SIMILAR_STYLE if similar else "")
    return (
        cell(row.student_number),
        name,
        _birth_date(row, hidden),
        cell(row.program_code),
        cell(row.level),
        words(row.status),
        flags(hold=row.has_hold, confidential=row.confidential),
    )


def _birth_date(row: StudentRow, hidden: bool) -> Text:
    return Text(mask(cell(row.birth_date).plain, hidden))


def _summary(query: str, result: LookupResult) -> str:
    if not query.strip():
        return HINT
    if result.notice:
        return result.notice
    if result.total == 0:
        return "No student matches. Try fewer letters, a student number or a birth date."
    count = f"{result.total:,}{'+' if result.capped else ''}"
    noun = "match" if result.total == 1 else "matches"
    if result.truncated:
        return f"{count} {noun}, showing {len(result.rows)}. Type more to narrow."
    return f"{count} {noun}"

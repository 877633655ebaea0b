"""The transcript preview: the printed pages, drawn by Rich, one page at a time.

The pages come from the same layout as the PDF and the text copy, so what the clerk reads is
what prints. Toggling official/unofficial or weighted/unweighted redraws from the transcript
already loaded (no database call); printing and exporting release a logged copy in a worker.

It is opened by `opening.open_transcript` with its first page drawn; the other pages
and the copies one toggle away are drawn in a worker after that page's frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from recordsdesk.config import data_dir
from recordsdesk.render.transcript_layout import Page, layout
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.private_files import OutputExists, confined
from recordsdesk.services.transcripts.printing import PrintJob
from recordsdesk.services.transcripts.release import (
    Preview,
    ReleasedCopy,
    preview_options,
    print_transcript,
    release_to_file,
    suggested_file_name,
)
from recordsdesk.ui.privacy import privacy_on, stop_watching_privacy
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.registration.dialogs import ConfirmModal
from recordsdesk.ui.screens.transcripts.dialogs import ExportChoice, ExportPathModal
from recordsdesk.ui.screens.transcripts.page import (
    CopyKey,
    DrawnPage,
    FirstCopy,
    PageView,
    draw_copies,
    drawn_page,
    masked,
)
from recordsdesk.ui.widgets.confidential import ConfidentialBanner


@dataclass
class CopiesDrawn(Message):
    """Pages laid out and drawn in the worker, for keys to show without redrawing."""

    shown: int
    pages: dict[CopyKey, tuple[Page, ...]]
    drawn: dict[tuple[CopyKey, int], DrawnPage]


@dataclass
class ExportWouldOverwrite(Message):
    """The export's file exists: the screen asks before replacing it."""

    fmt: str
    choice: ExportChoice
    path: str


@dataclass
class CopyReleased(Message):
    copy: ReleasedCopy
    where: str


class KeyBar(Static):
    """The screen's keys on one line, as Textual's Footer lists them (key, then what it does;
    dimmed when refused), without Footer's widget per key: its ~18 key widgets, restyled, laid
    out and drawn on every push and rebuilt after it, were two thirds of the cost of showing
    the preview. The keys are not clickable."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}

    def show_keys(self) -> None:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        line = Text(no_wrap=True, overflow="ellipsis")
        for _, binding, enabled, _ in self.screen.active_bindings.values():
            if binding.show:
                dim = "" if enabled else "dim"
                line.append(f" {self.app.get_key_display(binding)}", key_style + Style.parse(dim))
                line.append(f" {binding.description} ", description_style + Style.parse(dim))
        self.update(line, layout=False)


class TranscriptScreen(DeskScreen):
    CSS_PATH = "preview.tcss"
    SCREEN_NAME = "Transcript preview"
    PURPOSE = (
        "The transcript exactly as it prints, page by page. PgUp/PgDn turn pages; o switches "
        "between an unofficial and an official copy, w between the unweighted and weighted "
        "GPA. p prints through CUPS, e exports a PDF, x exports text; every copy is logged on "
        "the student's record. Official copies need the registrar role and no transcript hold."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("pageup", "page(-1)", "Prev page", priority=True),
        Binding("pagedown", "page(1)", "Next page", priority=True),
        Binding("o", "toggle_official", "Official"),
        Binding("w", "toggle_weighted", "Weighted"),
        Binding("p", "print", "Print"),
        Binding("e", "export('pdf')", "Export PDF"),
        Binding("x", "export('text')", "Export text"),
        # Off the footer, which is full at 80 columns; the help (F1) and the guide list it.
        Binding("c", "export('pesc')", "Export PESC XML", show=False),
    ]

    #: The transcript shown (set by `show_copy` before the screen is pushed).
    preview: Preview

    def __init__(self) -> None:
        super().__init__()
        self.student_id = 0
        self.confidential = False
        self.official = self.weighted = False
        self.pages: tuple[Page, ...] = ()
        self.page_index = 0
        self._key: CopyKey = (False, False, date.today())
        self._copies: dict[CopyKey, tuple[Page, ...]] = {}
        self._drawn: dict[tuple[CopyKey, int], DrawnPage] = {}
        self._status_lines = 1
        #: Counts the transcripts shown, so a worker's drawings for an earlier one are dropped.
        self._shown = 0
        #: On a screen stack (shown, or under another screen): not free to show another.
        self.in_use = False
        self._on_drawn: Callable[[], None] | None = None

    def show_copy(
        self,
        student_id: int,
        first: FirstCopy,
        *,
        confidential: bool,
        drawn: Callable[[], None] | None = None,
    ) -> None:
        """Show `first` (before the screen is pushed): the copy it opens on, page 1, with the
        banner of a confidential record; drawings of the transcript shown before are dropped.
        `drawn` is called once the screen's next frame is drawn."""
        self._on_drawn = drawn
        self.student_id = student_id
        self.confidential = confidential
        self.preview = first.preview
        self.official, self.weighted = first.key[0], first.key[1]
        self.pages = first.pages
        self.page_index = 0
        self._key = first.key
        self._copies = {first.key: first.pages}
        self._drawn = {(first.key, 0): first.first_page}
        self._shown += 1
        self.in_use = True
        if self.is_mounted:
            self.query_one(ConfidentialBanner).show_for(confidential)
            self._show_page()

    def compose(self) -> ComposeResult:
        # A screen made for one transcript draws it in its first frame (no update after mount
        # restyles or relayouts it before it is drawn); the installed one is composed empty.
        yield Header()
        yield ConfidentialBanner(
            id="confidential-banner", classes="-shown" if self.confidential else ""
        )
        status = self._status() if self.pages else Text("")
        self._status_lines = len(status.plain.splitlines()) or 1
        yield Static(status, id="transcript-status")
        drawn = self._page_drawn() if self.pages else None
        with VerticalScroll(id="transcript-scroll"):
            yield PageView(drawn, id="transcript-page")
        yield KeyBar(id="transcript-keys")

    def on_mount(self) -> None:
        self.watch(self.app, "privacy", self._privacy_changed, init=False)

    def on_screen_resume(self) -> None:
        self.query_one(KeyBar).show_keys()
        self.call_after_refresh(self._frame_drawn)

    def _frame_drawn(self) -> None:
        if self._on_drawn is not None:
            self._on_drawn()
            self._on_drawn = None
        # The other pages are drawn once this one is on screen, not while its frame is made.
        if self.pages and (self._key, 1) not in self._drawn:
            self._draw_rest(self._shown, self.preview, self._key)

    def on_unmount(self) -> None:
        stop_watching_privacy(self)
        if self._on_drawn is not None:  # closed (the app quitting) before its frame was drawn
            self._on_drawn()
            self._on_drawn = None

    def _privacy_changed(self, _hidden: bool) -> None:
        if self.pages:
            self._show_page()

    @work(thread=True, exclusive=True, group="transcript", exit_on_error=False)
    def _draw_rest(self, shown: int, preview: Preview, first: CopyKey) -> None:
        # The other pages of the copy shown, then the first page of each copy one toggle
        # away, so o, w and PgDn only swap a page in. Anything further is drawn when asked
        # for (a few ms).
        self.post_message(CopiesDrawn(shown, *draw_copies(preview, [first])))
        nearby = []
        if preview.may_release_official:
            nearby.append((not first[0], first[1], first[2]))
        if preview.transcript.weighted_available:
            nearby.append((first[0], not first[1], first[2]))
        self.post_message(CopiesDrawn(shown, *draw_copies(preview, nearby, pages=1)))

    @on(CopiesDrawn)
    def _copies_drawn(self, message: CopiesDrawn) -> None:
        if message.shown != self._shown:
            return  # drawn for the transcript shown before this one
        for key, pages in message.pages.items():
            self._copies.setdefault(key, pages)
        for where, drawn in message.drawn.items():
            self._drawn.setdefault(where, drawn)

    def redraw(self) -> None:
        """Show the current page of the copy the toggles ask for (laid out now if the worker
        has not done it yet)."""
        key = (self.official, self.weighted, date.today())
        pages = self._copies.get(key)
        if pages is None:
            options = preview_options(
                self.preview, official=key[0], weighted=key[1], issued_on=key[2]
            )
            pages = self._copies[key] = layout(self.preview.transcript, options)
        self.pages = pages
        self._key = key
        self.page_index = min(self.page_index, len(self.pages) - 1)
        self._show_page()

    def _page_drawn(self) -> DrawnPage:
        """The current page drawn: from the worker's drawings, drawn now if it has not got
        there, or masked (never kept) while the privacy key is on."""
        if privacy_on(self):
            birth_date = self.preview.transcript.student.birth_date
            return drawn_page(masked(self.pages[self.page_index], birth_date))
        found = self._drawn.get((self._key, self.page_index))
        if found is None:
            found = self._drawn[(self._key, self.page_index)] = drawn_page(
                self.pages[self.page_index]
            )
        return found

    def _show_page(self) -> None:
        # The page frame has a fixed size (every page is PAGE_LINES x WIDTH), so a new page
        # repaints without a relayout of the screen.
        self.query_one("#transcript-page", PageView).show(self._page_drawn())
        self.query_one("#transcript-scroll", VerticalScroll).scroll_home(animate=False)
        status = self._status()
        lines = len(status.plain.splitlines())
        # The status is one line unless an official copy's hold is named: relayout only then.
        self.query_one("#transcript-status", Static).update(
            status, layout=lines != self._status_lines
        )
        self._status_lines = lines

    def _status(self) -> Text:
        t = self.preview.transcript
        status = Text()
        who = f"{t.student.name} · {t.student.student_number}"
        status.append(printable(who), style="bold")
        status.append(f"   page {self.page_index + 1} of {len(self.pages)}   ")
        status.append("OFFICIAL" if self.official else "unofficial", style="bold")
        if t.weighted_available:
            status.append(" · weighted GPA" if self.weighted else " · unweighted GPA")
        if self.official and self.preview.held:
            status.append("\n")
            status.append(printable(self.preview.held), style="bold red")
        return status

    def action_back(self) -> None:
        self.in_use = False
        self.dismiss()

    def action_page(self, step: int) -> None:
        index = max(0, min(len(self.pages) - 1, self.page_index + step))
        if index != self.page_index:
            self.page_index = index
            self._show_page()

    def action_toggle_official(self) -> None:
        if not self.official and not self.preview.may_release_official:
            self.notify(
                "Official copies need the registrar role.", severity="warning", markup=False
            )
            return
        self.official = not self.official
        self.redraw()

    def action_toggle_weighted(self) -> None:
        if not self.preview.transcript.weighted_available:
            self.notify("This record has no weighted GPA.", markup=False)
            return
        self.weighted = not self.weighted
        self.redraw()

    def _default_path(self, fmt: str) -> str:
        name = suggested_file_name(
            self.preview.transcript, official=self.official, fmt=fmt, on=date.today()
        )
        return str(confined(data_dir() / "exports", name))

    def action_export(self, fmt: str) -> None:
        label = {"pdf": "PDF", "pesc": "PESC (XML)"}.get(fmt, "text")

        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                self._export(fmt, choice, overwrite=False)

        self.app.push_screen(
            ExportPathModal(
                f"Export the {label} copy to:", self._default_path(fmt), self.student_id
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="transcript-release", exit_on_error=False)
    def _export(self, fmt: str, choice: ExportChoice, *, overwrite: bool) -> None:
        try:
            copy, target = self.desk.call(
                release_to_file,
                path=Path(choice.path),
                overwrite=overwrite,
                student_id=self.student_id,
                fmt=fmt,
                official=self.official,
                weighted=self.weighted,
                recipient=choice.recipient,
                purpose=choice.purpose,
                consent_id=choice.consent_id,
            )
        except OutputExists as exists:
            self.post_message(ExportWouldOverwrite(fmt, choice, str(exists.path)))
            return
        self.post_message(CopyReleased(copy, str(target)))

    @on(ExportWouldOverwrite)
    def _ask_overwrite(self, message: ExportWouldOverwrite) -> None:
        def answered(replace: bool | None) -> None:
            if replace:
                self._export(message.fmt, message.choice, overwrite=True)

        question = f"{message.path} already exists. Replace it with this copy?"
        self.app.push_screen(ConfirmModal(question), answered)

    def action_print(self) -> None:
        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                self._print(choice)

        self.app.push_screen(ExportPathModal("", None, self.student_id), chosen)

    @work(thread=True, exclusive=True, group="transcript-release", exit_on_error=False)
    def _print(self, choice: ExportChoice) -> None:
        result: tuple[ReleasedCopy, PrintJob] = self.desk.call(
            print_transcript,
            student_id=self.student_id,
            official=self.official,
            weighted=self.weighted,
            recipient=choice.recipient,
            purpose=choice.purpose,
            consent_id=choice.consent_id,
        )
        copy, job = result
        self.post_message(CopyReleased(copy, f"printer {job.printer} (job {job.job})"))

    @on(CopyReleased)
    def _released(self, message: CopyReleased) -> None:
        kind = "Official" if message.copy.official else "Unofficial"
        self.notify(
            f"{kind} copy sent to {message.where}; verification {message.copy.verification_code}.",
            title="Transcript released",
            markup=False,
        )

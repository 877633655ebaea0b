"""The transcript preview: the printed pages, drawn by Rich, one page at a time.

The pages come from the same layout as the PDF and the text copy, so what the clerk reads is
what prints. Toggling official/unofficial or weighted/unweighted redraws from the transcript
already loaded (no database call); printing and exporting release a logged copy in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Label, Static

from recordsdesk.config import data_dir
from recordsdesk.render.transcript_layout import WIDTH, Line, Page, Span, layout
from recordsdesk.render.transcript_rich import page_rich
from recordsdesk.services.printing import PrintJob
from recordsdesk.services.transcript_release import (
    Preview,
    ReleasedCopy,
    preview_options,
    preview_transcript,
    print_transcript,
    release_transcript,
)
from recordsdesk.ui.privacy import mask, privacy_on
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.widgets.confidential import ConfidentialBanner

#: (official, weighted, issued on): one laid-out copy of the transcript.
CopyKey = tuple[bool, bool, date]
DrawnPage = tuple[Text, list[Strip]]


@dataclass
class PreviewLoaded(Message):
    preview: Preview


@dataclass
class CopiesDrawn(Message):
    """Pages laid out and drawn in the worker, for keys to show without redrawing."""

    pages: dict[CopyKey, tuple[Page, ...]]
    drawn: dict[tuple[CopyKey, int], DrawnPage]


@dataclass
class CopyReleased(Message):
    copy: ReleasedCopy
    where: str


class PageView(Widget):
    """One printed page, drawn line by line from strips made once per page (Textual's line
    API): turning a page or toggling a copy repaints without converting the page's Rich Text
    again, which as a Static cost most of the frame."""

    def __init__(self, *, id: str) -> None:  # noqa: A002 - Textual's own keyword
        super().__init__(id=id)
        self.text = Text("")
        self._strips: list[Strip] = []

    def show(self, drawn: DrawnPage) -> None:
        self.text, self._strips = drawn
        self.refresh()

    def render_line(self, y: int) -> Strip:
        return self._strips[y] if y < len(self._strips) else Strip.blank(0)


def _drawn_page(page: Page) -> DrawnPage:
    """A page as Rich Text and as strips (segments with their styles) for the line API; plain
    data, so a worker can make it. A console of its own per call: Rich consoles are not
    shared between threads."""
    text = page_rich(page)
    console = Console(width=WIDTH + 8, color_system="truecolor", legacy_windows=False)
    lines = console.render_lines(text, console.options, pad=False)
    return text, [Strip(line) for line in lines]


class ExportPathModal(ModalScreen[str | None]):
    """Ask where to write an export; Enter accepts, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, default: str) -> None:
        super().__init__()
        self.prompt = prompt
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(Text(self.prompt))
            yield Input(value=self.default, id="export-path")

    @on(Input.Submitted)
    def _accept(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TranscriptScreen(DeskScreen):
    CSS_PATH = "transcript.tcss"
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
    ]

    def __init__(self, student_id: int, *, title: str = "", confidential: bool = False) -> None:
        super().__init__()
        self.student_id = student_id
        self._title_hint = title
        self.confidential = confidential
        self.preview: Preview | None = None
        self.official = False
        self.weighted = False
        self.pages: tuple[Page, ...] = ()
        self.page_index = 0
        self._status_lines = 1  # the "Loading…" line
        self._key: CopyKey = (False, False, date.today())
        self._copies: dict[CopyKey, tuple[Page, ...]] = {}
        self._drawn: dict[tuple[CopyKey, int], DrawnPage] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfidentialBanner(id="confidential-banner")
        yield Static(Text(f"Loading the transcript of {self._title_hint}…"), id="transcript-status")
        with VerticalScroll(id="transcript-scroll"):
            yield PageView(id="transcript-page")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ConfidentialBanner).show_for(self.confidential)
        self.watch(self.app, "privacy", self._privacy_changed, init=False)
        self._load()

    def _privacy_changed(self, _hidden: bool) -> None:
        if self.pages:
            self._show_page()

    @work(thread=True, exclusive=True, group="transcript", exit_on_error=False)
    def _load(self) -> None:
        preview = self.desk.call(preview_transcript, student_id=self.student_id)
        # The copy shown first, laid out and drawn here rather than on the key's frame; then
        # its other pages and the first page of each copy one toggle away, so o, w and PgDn
        # only swap a page in. Anything further is drawn when asked for (a few ms).
        first = (self.official, self.weighted, date.today())
        self.post_message(PreviewLoaded(preview))
        self.post_message(CopiesDrawn(*_draw_copies(preview, [first], pages=1)))
        self.post_message(CopiesDrawn(*_draw_copies(preview, [first])))
        nearby = []
        if preview.may_release_official:
            nearby.append((not first[0], first[1], first[2]))
        if preview.transcript.weighted_available:
            nearby.append((first[0], not first[1], first[2]))
        self.post_message(CopiesDrawn(*_draw_copies(preview, nearby, pages=1)))

    @on(PreviewLoaded)
    def _loaded(self, message: PreviewLoaded) -> None:
        self.preview = message.preview

    @on(CopiesDrawn)
    def _copies_drawn(self, message: CopiesDrawn) -> None:
        first = not self._copies
        for key, pages in message.pages.items():
            self._copies.setdefault(key, pages)
        for where, drawn in message.drawn.items():
            self._drawn.setdefault(where, drawn)
        if first:
            self.redraw()

    def redraw(self) -> None:
        """Show the current page of the copy the toggles ask for (laid out now if the worker
        has not done it yet)."""
        if self.preview is None:
            return
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

    def _show_page(self) -> None:
        # The page frame has a fixed size (every page is PAGE_LINES x WIDTH), so a new page
        # repaints without a relayout of the screen.
        if privacy_on(self) and self.preview is not None:
            page = _masked(self.pages[self.page_index], self.preview.transcript.student.birth_date)
            drawn = _drawn_page(page)
        else:
            found = self._drawn.get((self._key, self.page_index))
            if found is None:
                found = self._drawn[(self._key, self.page_index)] = _drawn_page(
                    self.pages[self.page_index]
                )
            drawn = found
        self.query_one("#transcript-page", PageView).show(drawn)
        self.query_one("#transcript-scroll", VerticalScroll).scroll_home(animate=False)
        status = self._status()
        lines = len(status.plain.splitlines())
        # The status is one line unless an official copy's hold is named: relayout only then.
        self.query_one("#transcript-status", Static).update(
            status, layout=lines != self._status_lines
        )
        self._status_lines = lines

    def _status(self) -> Text:
        assert self.preview is not None
        t = self.preview.transcript
        status = Text()
        status.append(f"{t.student.name} · {t.student.student_number}", style="bold")
        status.append(f"   page {self.page_index + 1} of {len(self.pages)}   ")
        status.append("OFFICIAL" if self.official else "unofficial", style="bold")
        if t.weighted_available:
            status.append(" · weighted GPA" if self.weighted else " · unweighted GPA")
        if self.official and self.preview.held:
            status.append("\n")
            status.append(self.preview.held, style="bold red")
        return status

    def action_back(self) -> None:
        self.dismiss()

    def action_page(self, step: int) -> None:
        if not self.pages:
            return
        index = max(0, min(len(self.pages) - 1, self.page_index + step))
        if index != self.page_index:
            self.page_index = index
            self._show_page()

    def action_toggle_official(self) -> None:
        if self.preview is None:
            return
        if not self.official and not self.preview.may_release_official:
            self.notify(
                "Official copies need the registrar role.", severity="warning", markup=False
            )
            return
        self.official = not self.official
        self.redraw()

    def action_toggle_weighted(self) -> None:
        if self.preview is None:
            return
        if not self.preview.transcript.weighted_available:
            self.notify("This record has no weighted GPA.", markup=False)
            return
        self.weighted = not self.weighted
        self.redraw()

    def _default_path(self, fmt: str) -> str:
        assert self.preview is not None
        number = self.preview.transcript.student.student_number
        kind = "official" if self.official else "unofficial"
        suffix = "pdf" if fmt == "pdf" else "txt"
        name = f"transcript-{number}-{kind}-{date.today().isoformat()}.{suffix}"
        return str(data_dir() / "exports" / name)

    def action_export(self, fmt: str) -> None:
        if self.preview is None:
            return
        label = "PDF" if fmt == "pdf" else "text"

        def chosen(path: str | None) -> None:
            if path:
                self._export(fmt, path)

        self.app.push_screen(
            ExportPathModal(f"Export the {label} copy to:", self._default_path(fmt)), chosen
        )

    @work(thread=True, exclusive=True, group="transcript-release", exit_on_error=False)
    def _export(self, fmt: str, path: str) -> None:
        copy = self.desk.call(
            release_transcript,
            student_id=self.student_id,
            fmt=fmt,
            official=self.official,
            weighted=self.weighted,
        )
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(copy.content)
        self.post_message(CopyReleased(copy, str(target)))

    def action_print(self) -> None:
        if self.preview is not None:
            self._print()

    @work(thread=True, exclusive=True, group="transcript-release", exit_on_error=False)
    def _print(self) -> None:
        result: tuple[ReleasedCopy, PrintJob] = self.desk.call(
            print_transcript,
            student_id=self.student_id,
            official=self.official,
            weighted=self.weighted,
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


def _draw_copies(
    preview: Preview, keys: list[CopyKey], *, pages: int | None = None
) -> tuple[dict[CopyKey, tuple[Page, ...]], dict[tuple[CopyKey, int], DrawnPage]]:
    """Lay out each copy and draw its first `pages` pages (all by default): plain data, safe
    in a worker."""
    laid: dict[CopyKey, tuple[Page, ...]] = {}
    drawn: dict[tuple[CopyKey, int], DrawnPage] = {}
    for key in keys:
        options = preview_options(preview, official=key[0], weighted=key[1], issued_on=key[2])
        laid[key] = layout(preview.transcript, options)
        for index, page in enumerate(laid[key][:pages]):
            drawn[(key, index)] = _drawn_page(page)
    return laid, drawn


def _masked(page: Page, birth_date: date | None) -> Page:
    """The page as the privacy key shows it: the birth date masked on screen only (what prints
    and exports is untouched)."""
    if birth_date is None:
        return page
    secret = birth_date.isoformat()
    lines = tuple(
        Line(
            spans=tuple(
                Span(span.col, mask(span.text, True), span.style) if span.text == secret else span
                for span in line.spans
            )
        )
        for line in page.lines
    )
    return replace(page, lines=lines)

"""The transcript preview: the printed pages, drawn by Rich, one page at a time.

The pages come from the same layout as the PDF and the text copy, so what the clerk reads is
what prints. Toggling official/unofficial or weighted/unweighted redraws from the transcript
already loaded (no database call); printing and exporting release a logged copy in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Input, Label, Static

from recordsdesk.config import data_dir
from recordsdesk.render.transcript_layout import Line, Page, Span, layout
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


@dataclass
class PreviewLoaded(Message):
    preview: Preview


@dataclass
class CopyReleased(Message):
    copy: ReleasedCopy
    where: str


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

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfidentialBanner(id="confidential-banner")
        yield Static(Text(f"Loading the transcript of {self._title_hint}…"), id="transcript-status")
        with VerticalScroll(id="transcript-scroll"):
            yield Static(id="transcript-page")
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
        self.post_message(PreviewLoaded(preview))

    @on(PreviewLoaded)
    def _loaded(self, message: PreviewLoaded) -> None:
        self.preview = message.preview
        self.redraw()

    def redraw(self) -> None:
        """Lay the pages out again for the current toggles and show the current page."""
        if self.preview is None:
            return
        options = preview_options(
            self.preview, official=self.official, weighted=self.weighted, issued_on=date.today()
        )
        self.pages = layout(self.preview.transcript, options)
        self.page_index = min(self.page_index, len(self.pages) - 1)
        self._show_page()

    def _show_page(self) -> None:
        page = self.pages[self.page_index]
        # The page frame has a fixed size (every page is PAGE_LINES x WIDTH), so a new page
        # repaints without a relayout of the screen.
        if privacy_on(self) and self.preview is not None:
            page = _masked(page, self.preview.transcript.student.birth_date)
        self.query_one("#transcript-page", Static).update(page_rich(page), layout=False)
        self.query_one("#transcript-scroll", VerticalScroll).scroll_home(animate=False)
        self.query_one("#transcript-status", Static).update(self._status())

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

"""The preview's pages drawn for the screen: plain data made off the event loop.

A page is drawn as Textual strips straight from the shared layout's spans (what Rich would draw
of `page_rich`, cell for cell), so the screen only swaps strips in on a key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from recordsdesk.render.transcript_layout import Line, Page, Span, layout
from recordsdesk.render.transcript_rich import STYLES, page_rich
from recordsdesk.services.transcripts.release import Preview, preview_options, preview_transcript
from recordsdesk.ui.context import DeskContext
from recordsdesk.ui.privacy import mask

#: (official, weighted, issued on): one laid-out copy of the transcript.
CopyKey = tuple[bool, bool, date]
DrawnPage = tuple[Page, list[Strip]]


@dataclass(frozen=True)
class FirstCopy:
    """What the preview opens on: the transcript, the copy shown first laid out (every page,
    for "page 1 of N") and its first page drawn."""

    preview: Preview
    key: CopyKey
    pages: tuple[Page, ...]
    first_page: DrawnPage


def prepare_preview(desk: DeskContext, student_id: int) -> FirstCopy:
    """Read the transcript and draw the first page of the unofficial, unweighted copy (what the
    preview opens on). Runs SQL: call it off the event loop."""
    preview = desk.call(preview_transcript, student_id=student_id)
    key: CopyKey = (False, False, date.today())
    laid, drawn = draw_copies(preview, [key], pages=1)
    return FirstCopy(preview, key, laid[key], drawn[(key, 0)])


class PageView(Widget):
    """One printed page, drawn line by line from strips made once per page (Textual's line
    API): turning a page or toggling a copy repaints without converting the page again, which
    as a Static of Rich Text cost most of the frame."""

    def __init__(self, drawn: DrawnPage | None, *, id: str) -> None:  # noqa: A002 - Textual's
        super().__init__(id=id)
        self._page: Page | None = drawn[0] if drawn else None
        self._strips: list[Strip] = drawn[1] if drawn else []
        self._text: Text | None = None

    def show(self, drawn: DrawnPage) -> None:
        self._page, self._strips = drawn
        self._text = None
        self.refresh()

    @property
    def text(self) -> Text:
        """The page shown as Rich Text (the text renderer's characters, with styles)."""
        if self._text is None:
            self._text = page_rich(self._page) if self._page else Text("")
        return self._text

    def render_line(self, y: int) -> Strip:
        return self._strips[y] if y < len(self._strips) else Strip.blank(0)


_STYLES = {name: Style.parse(style) if style else None for name, style in STYLES.items()}


def drawn_page(page: Page) -> DrawnPage:
    """A page as strips (segments with their styles) for the line API, cell for cell what
    Rich draws of `page_rich(page)`, made straight from the layout's spans: Rich's wrapping
    and cropping of the page's Text cost four times as much, on the way to the first frame.
    Plain data, so a worker can make it."""
    strips = []
    for line in page.lines:
        segments = []
        used = 0
        for span in line.spans:
            pad = max(span.col - used, 1 if used else 0)  # as page_rich places spans
            if pad:
                segments.append(Segment(" " * pad))
            segments.append(Segment(span.text, _STYLES.get(span.style)))
            used += pad + cell_len(span.text)
        strips.append(Strip(segments, used))
    return page, strips


def draw_copies(
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
            drawn[(key, index)] = drawn_page(page)
    return laid, drawn


def masked(page: Page, birth_date: date | None) -> Page:
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

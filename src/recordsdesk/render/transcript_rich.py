"""The preview's pages as Rich Text: the shared layout with styles, one Text per page.

User data (names, titles) is placed with `Text.append`, never parsed as markup, so a student
named "[b]Bob" prints the brackets.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Span, Text

from recordsdesk.render.transcript_layout import Page, RenderOptions, layout
from recordsdesk.services.transcripts.builder import Transcript

STYLES = {
    "": "",
    "bold": "bold",
    "title": "bold underline",
    "dim": "dim",
    "warn": "bold red",
}


def page_rich(page: Page) -> Text:
    """One page as a Text whose plain characters equal the text renderer's page.

    Built as one string and a list of spans rather than by appending piece by piece (Rich's
    append measures and copies on every call): the preview draws a page on a key press."""
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    for number, line in enumerate(page.lines):
        if number:
            parts.append("\n")
            offset += 1
        row = ""
        row_spans: list[tuple[int, int, str]] = []
        used = 0
        for span in line.spans:
            pad = max(span.col - used, 1 if used else 0)
            start = len(row) + pad
            row += " " * pad + span.text
            style = STYLES.get(span.style, "")
            if style and span.text:
                row_spans.append((start, start + len(span.text), style))
            used += pad + cell_len(span.text)
        row = row.rstrip()
        for start, end, style in row_spans:
            end = min(end, len(row))
            if start < end:
                spans.append(Span(offset + start, offset + end, style))
        parts.append(row)
        offset += len(row)
    return Text("".join(parts), spans=spans, no_wrap=True, overflow="crop", end="")


def render_rich(transcript: Transcript, options: RenderOptions) -> tuple[Text, ...]:
    return tuple(page_rich(p) for p in layout(transcript, options))

"""The preview's pages as Rich Text: the shared layout with styles, one Text per page.

User data (names, titles) is placed with `Text.append`, never parsed as markup, so a student
named "[b]Bob" prints the brackets.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from recordsdesk.render.transcript_layout import Page, RenderOptions, layout
from recordsdesk.services.transcript import Transcript

STYLES = {
    "": "",
    "bold": "bold",
    "title": "bold underline",
    "dim": "dim",
    "warn": "bold red",
}


def page_rich(page: Page) -> Text:
    """One page as a Text whose plain characters equal the text renderer's page."""
    out = Text(no_wrap=True, overflow="crop", end="")
    for number, line in enumerate(page.lines):
        if number:
            out.append("\n")
        row = Text()
        used = 0
        for span in line.spans:
            pad = max(span.col - used, 1 if used else 0)
            row.append(" " * pad)
            row.append(span.text, style=STYLES.get(span.style, ""))
            used += pad + cell_len(span.text)
        row.rstrip()
        out.append_text(row)
    return out


def render_rich(transcript: Transcript, options: RenderOptions) -> tuple[Text, ...]:
    return tuple(page_rich(p) for p in layout(transcript, options))

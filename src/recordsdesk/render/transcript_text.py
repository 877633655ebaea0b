"""Plain-text transcript: the shared page layout as lines, pages separated by a form feed."""

from __future__ import annotations

from recordsdesk.render.transcript_layout import Page, RenderOptions, layout
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.transcripts.builder import Transcript

PAGE_BREAK = "\f"


def page_text(page: Page) -> str:
    """One page as text: exactly PAGE_LINES lines, trailing spaces trimmed. The text goes to
    terminals and `lp`: any control character left in a line is shown, never sent."""
    return "\n".join(printable(line.text) for line in page.lines)


def render_text(transcript: Transcript, options: RenderOptions) -> str:
    """The whole transcript as text; a form feed starts each page after the first, so a line
    printer breaks pages where the PDF and the preview do."""
    return (PAGE_BREAK + "\n").join(page_text(p) + "\n" for p in layout(transcript, options))

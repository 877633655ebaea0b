"""The transcript as a self-contained HTML file: the shared layout in <pre> pages, escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from recordsdesk.render.transcript_layout import Page, RenderOptions, layout
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.transcripts.builder import Transcript

CSS = """
body { background: #eee; font-family: "DejaVu Sans Mono", monospace; }
.page { background: #fff; width: 92ch; margin: 1em auto; padding: 2ch; position: relative;
        page-break-after: always; overflow: hidden; }
pre { margin: 0; font: inherit; }
.bold { font-weight: bold; } .title { font-weight: bold; text-decoration: underline; }
.dim { color: #555; } .warn { font-weight: bold; color: #a00; }
.watermark { position: absolute; top: 40%; left: 10%; font-size: 8em; color: rgba(0,0,0,.08);
             transform: rotate(-40deg); pointer-events: none; }
"""


def _page(page: Page, official: bool, practice: bool) -> str:
    rows = []
    for line in page.lines:
        out, used = "", 0
        for span in line.spans:
            pad = max(span.col - used, 1 if used else 0)
            text = escape(span.text)
            cell = f'<span class="{span.style}">{text}</span>' if span.style else text
            out += " " * pad + cell
            used += pad + len(span.text)
        rows.append(out.rstrip())
    word = "PRACTICE" if practice else "" if official else "UNOFFICIAL"
    mark = f'<div class="watermark">{word}</div>' if word else ""
    return f'<section class="page">{mark}<pre>' + "\n".join(rows) + "</pre></section>"


def render_html(transcript: Transcript, options: RenderOptions) -> str:
    kind = "Official" if options.official else "Unofficial"
    practice = transcript.institution.practice
    kind = f"PRACTICE · {kind.lower()}" if practice else kind
    return pages_html(
        layout(transcript, options),
        title=f"{kind} transcript: {transcript.student.name}",
        official=options.official,
        practice=practice,
    )


def pages_html(pages: Sequence[Page], *, title: str, official: bool, practice: bool = False) -> str:
    """Any document laid out on the transcript's page grid as one self-contained HTML file; a
    practice desk's is marked PRACTICE on every page."""
    title = escape(printable(title))
    body = "\n".join(_page(p, official, practice) for p in pages)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n"
    )

"""The transcript as PDF (fpdf2): the shared page layout drawn on Letter paper.

Every cell of the layout grid lands at a fixed position in DejaVu Sans Mono, so the PDF breaks
lines and pages exactly where the preview and the text copy do. The fonts ship in the package
(data/fonts) and are embedded (subset) in every file: a name in any Latin, Vietnamese or
Cyrillic spelling prints in DejaVu, and CJK characters fall back to Droid Sans Fallback.
An unofficial copy carries a large grey UNOFFICIAL across every page.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from functools import cache

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF

from recordsdesk.render.transcript_layout import PAGE_LINES, WIDTH, Page, RenderOptions, layout
from recordsdesk.resources import data_path
from recordsdesk.services.transcript import Transcript

FONT_SIZE = 9.5
CELL = FONT_SIZE * 0.6021  # DejaVu Sans Mono advance width per point of size
LEADING = 11.8
PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0  # US Letter in points
LEFT = (PAGE_WIDTH - WIDTH * CELL) / 2
TOP = (PAGE_HEIGHT - PAGE_LINES * LEADING) / 2
FONTS = {
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "sans": ("DejaVuSans.ttf", None),
    "deva": ("Lohit-Devanagari.ttf", None),
    "hangul": ("NanumGothicCoding.ttf", None),
    "cjk": ("DroidSansFallbackFull.ttf", None),
}
# DejaVu first (Latin, Greek, Cyrillic, Vietnamese), then Devanagari, Hangul, CJK. Devanagari
# conjuncts and vowel signs need shaping: HarfBuzz sets them when uharfbuzz is installed;
# without it they are drawn unshaped (legible letters, not typeset ligatures).
FALLBACKS = ("sans", "deva", "hangul", "cjk")
GREY = {"dim": 90, "warn": 0}


@cache
def _covered(family: str) -> frozenset[int]:
    """The code points a shipped font has glyphs for (read once per process)."""
    font = TTFont(str(data_path(f"fonts/{FONTS[family][0]}")), lazy=True)
    return frozenset(font.getBestCmap())


@cache
def _shaping_available() -> bool:
    return importlib.util.find_spec("uharfbuzz") is not None


def _families_needed(texts: Iterable[str]) -> list[str]:
    """Fallback fonts this document needs: parsing the 4 MB CJK font costs most of a second,
    so it is loaded only for a name that has a character DejaVu lacks."""
    missing = {ord(ch) for text in texts for ch in text} - _covered("mono") - {0x200C, 0x200D}
    needed = []
    for family in FALLBACKS:
        if not missing:
            break
        found = missing & _covered(family)
        if found:
            needed.append(family)
            missing -= found
    return needed


def _pdf(texts: Iterable[str]) -> FPDF:
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    fallbacks = _families_needed(texts)
    for family in ("mono", *fallbacks):
        regular, bold = FONTS[family]
        pdf.add_font(family, "", str(data_path(f"fonts/{regular}")))
        if bold:
            pdf.add_font(family, "B", str(data_path(f"fonts/{bold}")))
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    if "deva" in fallbacks and _shaping_available():
        pdf.set_text_shaping(True)
    pdf.set_creator("recordsdesk")
    return pdf


def _watermark(pdf: FPDF) -> None:
    pdf.set_font("mono", "B", 78)
    pdf.set_text_color(225)
    x, y = PAGE_WIDTH / 2, PAGE_HEIGHT / 2
    with pdf.rotation(52, x, y):
        width = pdf.get_string_width("UNOFFICIAL")
        pdf.text(x - width / 2, y + 26, "UNOFFICIAL")


def _draw(pdf: FPDF, page: Page, options: RenderOptions) -> None:
    pdf.add_page()
    if not options.official:
        _watermark(pdf)
    for row, line in enumerate(page.lines):
        y = TOP + row * LEADING
        for span in line.spans:
            if not span.text:
                continue
            bold = span.style in ("bold", "title", "warn")
            pdf.set_font("mono", "B" if bold else "", FONT_SIZE)
            pdf.set_text_color(GREY.get(span.style, 0))
            pdf.set_xy(LEFT + span.col * CELL, y)
            pdf.cell(text=span.text, h=LEADING)
            if span.style == "title":
                end = pdf.get_x()
                pdf.set_draw_color(0)
                pdf.line(LEFT + span.col * CELL, y + LEADING - 1.5, end, y + LEADING - 1.5)


def render_pdf(transcript: Transcript, options: RenderOptions) -> bytes:
    """The PDF's bytes: one PDF page per layout page, fonts embedded."""
    pages = layout(transcript, options)
    pdf = _pdf(span.text for page in pages for line in page.lines for span in line.spans)
    kind = "Official" if options.official else "Unofficial"
    pdf.set_title(f"{kind} transcript: {transcript.student.name}")
    for page in pages:
        _draw(pdf, page, options)
    return bytes(pdf.output())

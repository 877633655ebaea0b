"""The transcript as PDF (fpdf2): the shared page layout drawn on Letter paper.

Every cell of the layout grid lands at a fixed position in DejaVu Sans Mono, so the PDF breaks
lines and pages exactly where the preview and the text copy do. The fonts ship in the package
(data/fonts) and are embedded (subset) in every file: a name in any Latin, Vietnamese or
Cyrillic spelling prints in DejaVu, and CJK characters fall back to Droid Sans Fallback.
An unofficial copy carries a large grey UNOFFICIAL across every page.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import io
import itertools
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF

from recordsdesk.config import data_dir
from recordsdesk.render import font_cut
from recordsdesk.render.transcript_layout import (
    PAGE_LINES,
    WIDTH,
    Line,
    Page,
    RenderOptions,
    layout,
)
from recordsdesk.resources import data_path
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.transcripts.builder import Transcript

FONT_SIZE = 9.5
CELL = FONT_SIZE * 0.6021  # DejaVu Sans Mono advance width per point of size
LEADING = 11.8
PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0  # US Letter in points
LEFT = (PAGE_WIDTH - WIDTH * CELL) / 2
TOP = (PAGE_HEIGHT - PAGE_LINES * LEADING) / 2
FONTS = {
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "monofull": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "sans": ("DejaVuSans.ttf", None),
    "deva": ("Lohit-Devanagari.ttf", None),
    "hangul": ("NanumGothicCoding.ttf", None),
    "cjk": ("DroidSansFallbackFull.ttf", None),
}
# DejaVu first (Latin, Greek, Cyrillic, Vietnamese), then Devanagari, Hangul, CJK. Devanagari
# conjuncts and vowel signs need shaping: HarfBuzz sets them when uharfbuzz is installed;
# without it they are drawn unshaped (legible letters, not typeset ligatures).
FALLBACKS = ("monofull", "sans", "deva", "hangul", "cjk")
# The scripts of names and transcripts: Latin (with Vietnamese), IPA letters, combining marks,
# Greek, Cyrillic, punctuation, currency and letterlike symbols, box-drawing rules. "mono" is
# DejaVu Sans Mono cut down to these (about 1,400 of its 3,400 glyphs), which fpdf2 parses and
# subsets in a fraction of the time for every document; anything else DejaVu Sans Mono has
# comes from "monofull", the whole font, added only for a document that uses such a character.
LEAN_RANGES = (
    (0x0020, 0x036F),
    (0x0370, 0x052F),
    (0x1E00, 0x1EFF),
    (0x2000, 0x214F),
    (0x2500, 0x257F),
)
GREY = {"dim": 90, "warn": 0}
# Drawn besides the layout's text (the watermark); printable ASCII is kept in every cut too, so
# a label added to the page later cannot come out as empty boxes.
ALWAYS_DRAWN = ("UNOFFICIAL", "".join(map(chr, range(0x20, 0x7F))))


@cache
def _covered(family: str) -> frozenset[int]:
    """The code points a shipped font has glyphs for (read once per process)."""
    if family == "mono":
        return frozenset(c for c in _covered("monofull") if _in_lean(c))
    font = TTFont(str(data_path(f"fonts/{FONTS[family][0]}")), lazy=True)
    return frozenset(font.getBestCmap())


def _in_lean(code: int) -> bool:
    return any(low <= code <= high for low, high in LEAN_RANGES)


_LEAN_FILES: dict[str, Path] = {}


def _font_file(family: str, name: str) -> str:
    """The font file fpdf2 loads: the shipped one, or for "mono" its lean cut (see
    LEAN_RANGES), made once and kept in the desk's cache folder under the source's hash (and
    made again if the cache was cleared meanwhile)."""
    source = data_path(f"fonts/{name}")
    if family != "mono":
        return str(source)
    known = _LEAN_FILES.get(name)
    if known is not None and known.is_file():
        return str(known)
    data = source.read_bytes()
    digest = hashlib.sha256(data + repr(LEAN_RANGES).encode()).hexdigest()[:16]
    target = _cache_dir() / f"{source.stem}-lean-{digest}.ttf"
    _LEAN_FILES[name] = target
    if not target.is_file():
        font = TTFont(io.BytesIO(data), recalcTimestamp=False)
        options = subset.Options(
            notdef_outline=True, recommended_glyphs=True, hinting=False, glyph_names=True
        )
        options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern"]
        options.layout_features = []
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=[c for c in font.getBestCmap() if _in_lean(c)])
        cutter.subset(font)
        partial = target.with_suffix(f".{os.getpid()}.part")
        font.save(str(partial))
        os.replace(partial, target)  # atomic: a concurrent desk sees the old or the whole file
    return str(target)


def _cache_dir() -> Path:
    """The desk's own cache folder (private); a fresh private temp folder if it is not writable."""
    folder = data_dir() / "cache" / "fonts"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return folder
    except OSError:
        return Path(tempfile.mkdtemp(prefix="recordsdesk-fonts-"))


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


def _pdf(texts: list[str], cuts: list[Path]) -> FPDF:
    """A new document with the fonts its texts need, each cut to the characters they use (see
    font_cut); the cut files are appended to `cuts` for the caller to remove once written."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    fallbacks = _families_needed(texts)
    shaping = "deva" in fallbacks and _shaping_available()
    codes = {ord(ch) for text in (*texts, *ALWAYS_DRAWN) for ch in text}
    for family in ("mono", *fallbacks):
        for style, name in zip(("", "B"), FONTS[family], strict=True):
            if name is None:
                continue
            path = _font_file(family, name)
            if not (shaping and font_cut.has_layout_tables(path)):
                cut = _scratch_dir() / f"{next(_CUT_NUMBERS)}-{family}{style}.ttf"
                cuts.append(cut)
                font_cut.cut_font(path, codes, cut)
                path = str(cut)
            pdf.add_font(family, style, path)
    _keep_glyph_bounds(pdf)
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    if shaping:
        pdf.set_text_shaping(True)
    pdf.set_creator("recordsdesk")
    return pdf


_SCRATCH: list[Path] = []
_CUT_NUMBERS = itertools.count()


def _scratch_dir() -> Path:
    """This process's private folder for cut fonts, removed at exit. Each file has a new name
    and is removed after its document: writing over a file flushes its blocks on truncation,
    and a new file (not a folder per document) is much cheaper."""
    if not _SCRATCH or not _SCRATCH[0].is_dir():
        folder = Path(tempfile.mkdtemp(prefix=f"recordsdesk-fonts-{os.getpid()}-"))
        atexit.register(shutil.rmtree, folder, True)
        _SCRATCH[:] = [folder]
    return _SCRATCH[0]


def _keep_glyph_bounds(pdf: FPDF) -> None:
    """Have fontTools write the embedded subset's glyphs as stored. By default it decodes and
    re-encodes every glyph the document uses to recompute bounding boxes that are already in
    the font (about a third of the PDF's time); pyftsubset itself does not by default.
    `FPDF.fonts` and `TTFFont.ttfont` are fpdf2 2.8 attributes: without them, nothing changes."""
    for font in getattr(pdf, "fonts", {}).values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None and hasattr(ttfont, "recalcBBoxes"):
            ttfont.recalcBBoxes = False


def _watermark(pdf: FPDF, word: str) -> None:
    pdf.set_font("mono", "B", 78)
    pdf.set_text_color(225)
    x, y = PAGE_WIDTH / 2, PAGE_HEIGHT / 2
    with pdf.rotation(52, x, y):
        width = pdf.get_string_width(word)
        pdf.text(x - width / 2, y + 26, word)


def _runs(line: Line) -> list[tuple[int, str, str]]:
    """The line's spans as (column, text, style) runs: neighbours of one style joined with the
    spaces between them, which draws the same page with a third of the text calls. Only text
    whose every character is one cell of the grid in the monospaced font is joined, so the
    columns land where the layout put them; a title stays alone (underlined to its own end)."""
    runs: list[tuple[int, str, str]] = []
    for span in line.spans:
        if not span.text:
            continue
        drawn = pdf_text(span.text)
        if runs:
            col, text, style = runs[-1]
            gap = span.col - col - len(text)
            if style == span.style != "title" and gap >= 0 and _on_grid(text + drawn):
                runs[-1] = (col, text + " " * gap + drawn, style)
                continue
        runs.append((span.col, drawn, span.style))
    return runs


#: The shipped fonts have no control pictures (␛ for ESC): the PDF spells them `\x1b`.
_PICTURES = str.maketrans(
    {chr(0x2400 + code): f"\\x{code:02x}" for code in range(0x20)} | {"\u2421": "\\x7f"}
)


def pdf_text(text: str) -> str:
    """A span's text as the PDF draws it: control pictures spelled as escapes."""
    return text.translate(_PICTURES)


@lru_cache(maxsize=4096)  # rules, headings and labels repeat on every page and transcript
def _on_grid(text: str) -> bool:
    """Every character is drawn by "mono" one cell wide (no combining mark, no fallback font)."""
    if text.isascii():
        return True
    covered = _covered("mono")
    return all(ord(c) in covered and not unicodedata.combining(c) for c in text)


def _draw(pdf: FPDF, page: Page, official: bool, practice: bool) -> None:
    pdf.add_page()
    if practice:  # a practice copy, official or not, is never taken for a real one
        _watermark(pdf, "PRACTICE")
    elif not official:
        _watermark(pdf, "UNOFFICIAL")
    grey, font_style = -1, None
    # Where cell() puts its text: after the cell margin, on the baseline of a centred line.
    inset = pdf.c_margin
    baseline = 0.5 * LEADING + 0.3 * FONT_SIZE
    for row, line in enumerate(page.lines):
        y = TOP + row * LEADING
        for col, text, style in _runs(line):
            wanted_style = "B" if style in ("bold", "title", "warn") else ""
            if wanted_style != font_style:  # set_font costs a little even when unchanged
                pdf.set_font("mono", wanted_style, FONT_SIZE)
                font_style = wanted_style
            wanted = GREY.get(style, 0)
            if wanted != grey:
                pdf.set_text_color(wanted)
                grey = wanted
            x = LEFT + col * CELL
            if style != "title" and _on_grid(text):
                # All in "mono": the plain text operator, a fraction of cell()'s cost, which
                # it needs only for fallback fonts (shaping, glyphs from other fonts).
                pdf.text(x + inset, y + baseline, text)
                continue
            pdf.set_xy(x, y)
            pdf.cell(text=text, h=LEADING)
            font_style = None  # a fallback font may be the current one now: set it again
            if style == "title":
                end = pdf.get_x()
                pdf.set_draw_color(0)
                pdf.line(x, y + LEADING - 1.5, end, y + LEADING - 1.5)


def render_pdf(transcript: Transcript, options: RenderOptions) -> bytes:
    """The PDF's bytes: one PDF page per layout page, fonts embedded."""
    kind = "Official" if options.official else "Unofficial"
    return pages_pdf(
        layout(transcript, options),
        title=f"{kind} transcript: {transcript.student.name}",
        official=options.official,
        practice=transcript.institution.practice,
    )


def pages_pdf(
    pages: Sequence[Page], *, title: str, official: bool, practice: bool = False
) -> bytes:
    """Any document laid out on the transcript's page grid (a transcript, a verification
    letter) as a PDF with the shipped fonts embedded; an unofficial one is watermarked, a
    practice desk's is marked PRACTICE."""
    texts = [pdf_text(s.text) for page in pages for line in page.lines for s in line.spans]
    cuts: list[Path] = []
    try:
        pdf = _pdf(texts, cuts)
        try:
            pdf.set_title(printable(title))
            for page in pages:
                _draw(pdf, page, official, practice)
            return bytes(pdf.output())
        finally:
            for font in pdf.fonts.values():
                close = getattr(font, "close", None)  # fpdf2's TTFFont.close: its file handle
                if close is not None:
                    close()
    finally:
        for cut in cuts:
            cut.unlink(missing_ok=True)

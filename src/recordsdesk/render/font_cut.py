"""Fonts cut to one document's characters, from source fonts parsed once per process.

fpdf2 parses every font it is given in Python (character map, metrics, the whole glyph table)
and subsets it again when it writes the file, for every document, however few of its
characters a name uses (the CJK font is 4 MB). Here a source font is parsed once per process
(and again only when
its file's size or modification time changes), and each document is given a small font holding
only the glyphs it can draw: the same outlines, hinting programs, advance widths and font-wide
metrics (head, hhea, OS/2, post, name), so the pages look the same; fpdf2 then parses and
subsets a font of a hundred glyphs.

A cut keeps exactly the source's glyphs for the characters asked for, so a character the source
lacks is still lacking and fpdf2 chooses its fallback font as it would with the whole file. The
layout tables (GSUB, GPOS, kern) are not kept: fpdf2 drops them from what it embeds and uses
them only when text shaping is on, so the caller keeps a whole font when it shapes text.
"""

from __future__ import annotations

import copy
import io
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont, newTable  # type: ignore[import-untyped]
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable  # type: ignore[import-untyped]
from fontTools.ttLib.tables._g_l_y_f import Glyph  # type: ignore[import-untyped]

# Tables copied as they are: font-wide metrics, names, and the TrueType hinting programs and
# control values the glyphs' own instructions call.
KEPT_TABLES = ("head", "hhea", "OS/2", "name", "maxp", "cvt ", "fpgm", "prep", "gasp")
LAYOUT_TABLES = ("GSUB", "GPOS", "kern")

# Sources are parsed, and their glyphs expanded, on first use: one thread at a time (PDFs are
# made in the desk's worker threads).
_LOCK = threading.Lock()
_SOURCES: dict[str, tuple[tuple[int, int], TTFont, dict[int, str]]] = {}


def has_layout_tables(path: str) -> bool:
    """Whether text shaping would read tables a cut does not keep."""
    with _LOCK:
        font = _source(path)[0]
        return any(tag in font for tag in LAYOUT_TABLES)


def _source(path: str) -> tuple[TTFont, dict[int, str]]:
    """The parsed source font and its character map, kept while the file is unchanged (the
    caller holds _LOCK). The 4 MB CJK font costs about half a second once per process and
    some 20 MB while it stays; it is loaded only when a name needs it."""
    stat = os.stat(path)
    stamp = (stat.st_mtime_ns, stat.st_size)
    found = _SOURCES.get(path)
    if found is None or found[0] != stamp:
        # Read into memory: a lazily parsed font reads its file as tables are used, and the
        # file may be replaced (the lean cut is remade when the cache is cleared).
        font = TTFont(io.BytesIO(Path(path).read_bytes()), lazy=True, recalcBBoxes=False)
        found = (stamp, font, font.getBestCmap())
        _SOURCES[path] = found
    return found[1], found[2]


def cut_font(path: str, codes: Iterable[int], target: Path) -> None:
    """Write to `target` the font at `path` cut to the glyphs of `codes` it has (and the
    glyphs those are composed of)."""
    with _LOCK:
        source, cmap = _source(path)
        glyf = source["glyf"]
        chars = {code: cmap[code] for code in codes if code in cmap}
        names = {".notdef", *chars.values()}
        pending = list(names)
        while pending:  # an accented letter may be drawn from other glyphs: keep those too
            for part in glyf.glyphs[pending.pop()].getComponentNames(glyf):
                if part not in names:
                    names.add(part)
                    pending.append(part)
        order = sorted(names, key=source.getGlyphID)  # .notdef stays glyph 0
        font = TTFont(recalcBBoxes=False, recalcTimestamp=False)
        font.setGlyphOrder(order)
        for tag in KEPT_TABLES:
            if tag in source:
                font[tag] = copy.copy(source[tag])  # compiling sets a few fields: not shared
        font["post"] = post = copy.copy(source["post"])
        post.formatType = 3.0  # no glyph names (fpdf2 embeds none either)
        cut_glyf = font["glyf"] = newTable("glyf")
        cut_glyf.setGlyphOrder(order)
        cut_glyf.glyphs = {name: _glyph(glyf, name) for name in order}
        font["loca"] = newTable("loca")
        font["hmtx"] = hmtx = newTable("hmtx")
        hmtx.metrics = {name: source["hmtx"].metrics[name] for name in order}
        font["cmap"] = _cmap(chars)
        font.save(str(target), reorderTables=False)


def _glyph(glyf: Any, name: str) -> Any:
    """A copy of one glyph. A simple glyph is its stored bytes; a composite one is expanded so
    its components are written with the cut's glyph ids."""
    glyph = glyf.glyphs[name]
    if glyph.isComposite():
        return copy.deepcopy(glyf[name])  # glyf[name] expands it (components by name)
    data = getattr(glyph, "data", None)
    if data is None:
        data = glyph.compile(glyf, recalcBBoxes=False)
    return Glyph(data)


def _cmap(chars: dict[int, str]) -> Any:
    """A Windows Unicode character map: format 4 for the BMP, format 12 when beyond it."""
    table = newTable("cmap")
    table.tableVersion = 0
    bmp = CmapSubtable.newSubtable(4)
    bmp.platformID, bmp.platEncID, bmp.language = 3, 1, 0
    bmp.cmap = {code: name for code, name in chars.items() if code <= 0xFFFF}
    table.tables = [bmp]
    if len(bmp.cmap) < len(chars):
        full = CmapSubtable.newSubtable(12)
        full.platformID, full.platEncID, full.language = 3, 10, 0
        full.cmap = dict(chars)
        table.tables.append(full)
    return table

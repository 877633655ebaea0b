"""The lookup's results table: a header and up to a page of rows, drawn line by line.

Why not DataTable: on every keystroke the lookup replaces all its rows, and DataTable measures
every cell through Rich when rows are added (in its idle handler) and renders each visible cell
through Rich again, most of a keystroke's time on the event loop (docs/benchmarks.md,
"Measurements behind the code"). Here a new answer costs one pass over the cells' plain text for the
column widths; a line is built from its cells' segments when first drawn and kept until the
rows, the cursor or the width change. Only visible lines are ever built (Line API).

Column widths are measured afresh for every answer and fitted to the table's width: columns
named shrinkable (the name first) give up room, ellipsized, so that the flags, dates and
figures at the right stay whole and on screen at 80 columns.

The interface mirrors the part of DataTable the desk and its tests use (row_count, cursor_row,
get_row_at, move_cursor, RowHighlighted / RowSelected), so the screen reads like any other.
Cells are rich.text.Text: user data is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

PAD = 1  # blank cells before each column's text: one between columns, one at the left edge
WIDE_PAD = 2  # the same when every column fits whole with room to spare


class LookupTable(ScrollView, can_focus=False):
    """Rows keyed by string, one fixed header line, a row cursor moved by the screen."""

    COMPONENT_CLASSES = {
        "lookup-table--header",
        "lookup-table--cursor",
        "lookup-table--even-row",
        "lookup-table--odd-row",
    }
    DEFAULT_CSS = """
    LookupTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        & > .lookup-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .lookup-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .lookup-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .lookup-table--even-row {
            background: $surface-darken-1 40%;
        }
    }
    """

    class RowHighlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: LookupTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> LookupTable:
            return self.table

    class RowSelected(Message):
        """A row was clicked."""

        def __init__(self, table: LookupTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> LookupTable:
            return self.table

    #: Repaint only: a new page's height moves nothing but the table's own scrollbar, kept in
    #: step by _resize_virtual (see there); Textual's default asks for a layout of the screen.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._labels: list[Text] = []
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: list[list[Text]] = []
        self._natural: list[int] = []  # each column's width for the current rows
        self._widths: list[int] = []  # the same fitted to the table's width
        self._shrink: tuple[tuple[int, int], ...] = ()
        self._pad = PAD
        self._lines: dict[tuple[int, bool], Strip] = {}
        self._header: Strip | None = None
        self._styles_key: tuple[Style, ...] | None = None
        self.cursor_row = 0

    # --- data ---------------------------------------------------------------------------------

    def add_columns(self, *labels: str, shrink: Sequence[tuple[int, int]] = ()) -> list[int]:
        """Column labels (plain text); returns the column indexes.

        `shrink` names the columns that may be narrowed, as (column, narrowest width), in the
        order they give up room when the rows are wider than the table; their cells are then
        ellipsized. The other columns are always drawn whole.
        """
        start = len(self._labels)
        self._labels.extend(Text(label) for label in labels)
        self._shrink = (*self._shrink, *shrink)
        self._reshape()
        return list(range(start, len(self._labels)))

    def replace_rows(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
        """Show `rows` ((key, cells) each) instead of the current ones, cursor on the first."""
        self._keys = [key for key, _ in rows]
        self._index = {key: n for n, key in enumerate(self._keys)}
        self._cells = [list(cells) for _, cells in rows]
        self.cursor_row = 0
        self._reshape()
        self.scroll_to(0, 0, animate=False, immediate=True)

    def update_column(self, column: int, cells: dict[str, Text]) -> None:
        """Replace one column's cells in the rows named by key (the cursor stays put)."""
        for key, value in cells.items():
            index = self._index.get(key)
            if index is not None:
                self._cells[index][column] = value
        self._reshape()

    def clear(self) -> None:
        self.replace_rows(())

    def _reshape(self) -> None:
        """Column widths from the current cells' plain text, fitted; the scrollable size; a
        full redraw.

        Widths follow each answer, growing and shrinking: one long name must not keep the name
        column wide (and the flags off screen) for every later search.
        """
        natural = [label.cell_len for label in self._labels]
        for cells in self._cells:
            for n, value in enumerate(cells):
                if (width := value.cell_len) > natural[n]:
                    natural[n] = width
        self._natural = natural
        self._fit()

    def _fit(self) -> None:
        """Narrow the shrinkable columns until the row fits the table's width, then redraw."""
        widths = list(self._natural)
        room = self.scrollable_content_region.width
        self._pad = WIDE_PAD if sum(widths) + WIDE_PAD * len(widths) <= room else PAD
        excess = sum(widths) + self._pad * len(widths) - room
        for column, narrowest in self._shrink:
            if excess <= 0 or column >= len(widths):
                break
            give = min(excess, max(0, widths[column] - narrowest))
            widths[column] -= give
            excess -= give
        self._widths = widths
        self._lines.clear()
        self._header = None
        self._resize_virtual()
        self.refresh()

    @property
    def column_widths(self) -> list[int]:
        """Each column's drawn width in cells (padding aside)."""
        return list(self._widths)

    def _resize_virtual(self) -> None:
        """Set the scrollable size without a layout of the screen when only its height changes.

        A layout (the compositor placing every widget again, then a full repaint) on every
        keystroke that takes a page from fitting to scrolling or back would cost more than the
        rest of the keystroke. The vertical scrollbar is always shown (overflow-y: scroll),
        so a new height only changes its thumb, set here as Textual's own layout would. The
        scrollable width is at least the table's own, so answers that fit never change it;
        only rows wider than every shrink allows bring the horizontal scrollbar, which only a
        layout can place.
        """
        width = max(
            sum(self._widths) + self._pad * len(self._widths),
            self.scrollable_content_region.width,
        )
        size = Size(width, max(len(self._cells) + 1, self.scrollable_content_region.height))
        previous = self.virtual_size
        if size == previous:
            return
        self.virtual_size = size
        if size.width != previous.width:
            self.refresh(layout=True)
        elif self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.window_virtual_size = size.height
            bar.window_size = self.container_size.height - self.scrollbar_size_horizontal

    def on_resize(self) -> None:
        self._fit()

    @property
    def row_count(self) -> int:
        return len(self._cells)

    def get_row_at(self, index: int) -> list[Text]:
        return list(self._cells[index])

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor; None when there are no rows."""
        return self._keys[self.cursor_row] if self._cells else None

    # --- cursor -------------------------------------------------------------------------------

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on row `row` (clamped), scrolled into view."""
        if not self._cells:
            return
        row = max(0, min(len(self._cells) - 1, row))
        if row == self.cursor_row:
            return
        previous, self.cursor_row = self.cursor_row, row
        self._lines.pop((previous, True), None)
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.RowHighlighted(self, row, self._keys[row]))

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self._cells):
            self.move_cursor(row=index)
            self.post_message(self.RowSelected(self, index, self._keys[index]))

    # --- drawing ------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_key = None  # CSS or theme changed: look the styles up again
        self._lines.clear()
        self._header = None

    def _styles(self) -> tuple[Style, ...]:
        """(base, header, cursor, even row, odd row), looked up once per style change rather
        than per line drawn."""
        if self._styles_key is None:
            self._styles_key = (
                self.rich_style,
                self.get_component_rich_style("lookup-table--header"),
                self.get_component_rich_style("lookup-table--cursor"),
                self.get_component_rich_style("lookup-table--even-row"),
                self.get_component_rich_style("lookup-table--odd-row"),
            )
        return self._styles_key

    def render_line(self, y: int) -> Strip:
        base, header, cursor, even, odd = self._styles()
        width = max(self.size.width, self.virtual_size.width)
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            if self._header is None:
                self._header = self._line(self._labels, base + header, width)
            strip = self._header
        else:
            index = scroll_y + y - 1
            if index >= len(self._cells):
                return Strip.blank(self.size.width, base)
            on_cursor = index == self.cursor_row
            key = (index, on_cursor)
            strip_or_none = self._lines.get(key)
            if strip_or_none is None:
                row_style = base + (cursor if on_cursor else even if index % 2 else odd)
                strip_or_none = self._lines[key] = self._line(self._cells[index], row_style, width)
            strip = strip_or_none
        return strip.crop(scroll_x, scroll_x + self.size.width)

    def _line(self, cells: Sequence[Text], style: Style, width: int) -> Strip:
        """One line: each cell padded to its column, the rest of the width blank."""
        segments: list[Segment] = []
        console = self.app.console
        pad = " " * self._pad
        used = 0
        for value, column_width in zip(cells, self._widths, strict=False):
            segments.append(Segment(pad))
            if value.spans:
                if value.cell_len > column_width:
                    value = value.copy()
                    value.truncate(column_width, overflow="ellipsis")
                segments.extend(value.render(console, end=""))
                segments.append(Segment(" " * max(0, column_width - value.cell_len)))
            else:
                cell_style = value.style
                segments.append(
                    Segment(
                        _ellipsized(value.plain, column_width),
                        Style.parse(cell_style) if isinstance(cell_style, str) else cell_style,
                    )
                )
            used += column_width + self._pad
        if used < width:
            segments.append(Segment(" " * (width - used)))
        return Strip(Segment.apply_style(segments, style), max(width, used))


def _ellipsized(plain: str, width: int) -> str:
    """`plain` padded to `width` cells, or cut to it with an ellipsis as its last cell."""
    if cell_len(plain) <= width:
        return set_cell_size(plain, width)
    return set_cell_size(plain, width - 1) + "…" if width > 0 else ""

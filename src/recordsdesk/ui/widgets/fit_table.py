"""A DataTable whose columns are sized for each set of rows and fitted to its own width.

DataTable measures columns when it next goes idle and only ever widens them, and a table filled
while its screen is covered (a dialog on top, a roster pushed over a list) can be drawn with its
columns at their labels' width: "FINA" for FINANCIAL. Here `fill` measures the new rows' plain
text at once and gives every column a fixed width: wide text columns (names, titles, reasons)
give up room, ellipsized, until the row fits; right-aligned figures, dates, flags and the
columns a screen names as `keep` are never cut. The widths follow the rows and the table's
width (again on every resize), so one long value never keeps a column wide for the next rows.
Columns named as `drop` are left out, in the screen's order, while the rest would not fit. A
table that allows it (`wrap_labels`) first draws its labels on two lines, and leaves out a
column blank in every row before any named one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.text import Text
from textual import events
from textual.widgets import DataTable

#: A shrinking column keeps at least this many cells (or its label's width, if wider).
NARROWEST = 12


def fit_widths(
    natural: Sequence[int], room: int, shrinkable: Collection[int], *, narrowest: Sequence[int]
) -> list[int]:
    """`natural` widths narrowed until they sum to `room` or less: the widest shrinkable column
    gives up a cell at a time, none below its `narrowest`. Columns not shrinkable keep their
    width even when the row stays too wide (the table then scrolls sideways)."""
    widths = list(natural)
    excess = sum(widths) - room
    while excess > 0:
        candidates = [n for n in shrinkable if widths[n] > narrowest[n]]
        if not candidates:
            break
        widest = max(candidates, key=lambda n: widths[n])
        widths[widest] -= 1
        excess -= 1
    return widths


def label_width(label: str, lines: int) -> int:
    """The narrowest a label can be drawn on `lines` lines (1 or 2), wrapped between words."""
    if lines == 1 or " " not in label:
        return Text(label).cell_len
    words = label.split(" ")
    return min(
        max(Text(" ".join(words[:n])).cell_len, Text(" ".join(words[n:])).cell_len)
        for n in range(1, len(words))
    )


def ellipsized(value: Text) -> Text:
    """`value` drawn with an ellipsis when its column is too narrow; its text stays whole (a
    copy when the style must change), so the table's rows still read as the records do."""
    if value.overflow == "ellipsis":
        return value
    drawn = value.copy()
    drawn.overflow = "ellipsis"
    drawn.no_wrap = True
    return drawn


def _figure(plain: str) -> bool:
    """A count or an amount: drawn whole, like a right-aligned cell."""
    return plain.lstrip("-").replace(".", "", 1).isdigit()


class FitTable(DataTable[Text]):
    """A row-cursor table filled whole by `fill` with columns sized to the rows and the width."""

    def __init__(
        self,
        *,
        keep: Collection[str] = (),
        drop: Sequence[str] = (),
        wrap_labels: bool = False,
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        #: Labels of text columns never cut (beside the right-aligned ones).
        self.keep = frozenset(keep)
        #: Labels of columns left out, in this order, while the rest would not fit even cut
        #: (a program's name beside its code); `fill` may name others for its rows.
        self.drop = tuple(drop)
        #: Whether labels may take two lines (a long label over short figures) before a
        #: column is cut or left out.
        self.wrap_labels = wrap_labels
        self._dropping = self.drop
        self._labels: tuple[str, ...] = ()
        self._rows: list[tuple[str | None, tuple[Text, ...]]] = []
        self._fitted_width = -1

    def fill(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Text]],
        keys: Sequence[str] | None = None,
        *,
        drop: Sequence[str] | None = None,
    ) -> None:
        """Show `rows` under `columns` (replacing both), keyed by `keys` when given; `drop`,
        when given, is these rows' order of columns to leave out instead of the table's."""
        self._dropping = self.drop if drop is None else tuple(drop)
        self._labels = tuple(columns)
        self._rows = [(None if keys is None else keys[n], tuple(row)) for n, row in enumerate(rows)]
        self._draw(cursor_row=0)

    def _width(self) -> int:
        """Cells across for the columns: the table's width less a vertical scrollbar (kept
        free whether or not the rows need one, so a longer page does not cut a column)."""
        width = self.size.width or self.app.size.width
        return width - self.styles.scrollbar_size_vertical

    def column_widths(self) -> dict[str, int]:
        """Each shown column's text width by label, as drawn."""
        return {str(c.label): c.width for c in self.columns.values()}

    def _draw(self, cursor_row: int) -> None:
        labels = self._labels
        values = [0] * len(labels)  # each column's widest value
        texts: set[int] = set()  # columns with a cell that is not a figure
        filled: set[int] = set()  # columns with any cell not blank
        for _, cells in self._rows:
            for n, value in enumerate(cells):
                values[n] = max(values[n], value.cell_len)
                if value.plain:
                    filled.add(n)
                    if value.justify != "right" and not _figure(value.plain):
                        texts.add(n)
        figures = [n in filled and n not in texts for n in range(len(labels))]
        shrinkable = {
            n for n, label in enumerate(labels) if not figures[n] and label not in self.keep
        }
        # Left out in this order while the row is too wide: blank columns (nothing is lost),
        # then the ones named, in their order.
        blank = self.wrap_labels and bool(self._rows)
        order = [n for n in range(len(labels)) if blank and n not in filled]
        order += [labels.index(label) for label in self._dropping if label in labels]
        self._fitted_width = width = self._width()

        def fitted(shown: list[int], lines: int) -> tuple[list[int], bool]:
            """The widths of the `shown` columns with labels on `lines` lines; whether they fit."""
            room = width - 2 * self.cell_padding * len(shown)
            widths = fit_widths(
                [max(values[n], label_width(labels[n], lines)) for n in shown],
                room,
                [i for i, n in enumerate(shown) if n in shrinkable],
                narrowest=[max(NARROWEST, label_width(labels[n], lines)) for n in shown],
            )
            return widths, sum(widths) <= room

        # Whole labels, then labels on two lines; only then columns left out, in `order`.
        most = 2 if self.wrap_labels else 1
        shown = list(range(len(labels)))
        droppable = list(dict.fromkeys(order))
        for lines in range(1, most + 1):
            widths, fits = fitted(shown, lines)
            if fits:
                break
        while not fits and droppable:
            shown.remove(droppable.pop(0))
            widths, fits = fitted(shown, lines)
        if fits and lines == 2:  # a column left out may have made room for whole labels
            whole, fits_whole = fitted(shown, 1)
            if fits_whole:
                widths, lines = whole, 1
        self.clear(columns=True)
        self.header_height = lines
        for n, width_of in zip(shown, widths, strict=True):
            self.add_column(labels[n], width=width_of)
        for key, cells in self._rows:
            self.add_row(*(ellipsized(cells[n]) for n in shown), key=key)
        if self._rows:
            self.move_cursor(row=min(cursor_row, len(self._rows) - 1), animate=False)

    def on_resize(self, _event: events.Resize) -> None:
        if self._labels and self._width() != self._fitted_width:
            self._draw(cursor_row=self.cursor_row)

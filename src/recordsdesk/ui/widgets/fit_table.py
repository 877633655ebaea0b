"""A DataTable whose columns are sized for each set of rows and fitted to its own width.

DataTable measures columns when it next goes idle and only ever widens them, and a table filled
while its screen is covered (a dialog on top, a roster pushed over a list) can be drawn with its
columns at their labels' width: "FINA" for FINANCIAL. Here `fill` measures the new rows' plain
text at once and gives every column a fixed width: wide text columns (names, titles, reasons)
give up room, ellipsized, until the row fits; right-aligned figures, dates, flags and the
columns a screen names as `keep` are never cut. The widths follow the rows and the table's
width (again on every resize), so one long value never keeps a column wide for the next rows.
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
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        #: Labels of text columns never cut (beside the right-aligned ones).
        self.keep = frozenset(keep)
        #: Labels of columns left out, in this order, while the rest would not fit even cut
        #: (a program's name beside its code): never a figure or a flag.
        self.drop = tuple(drop)
        self._labels: tuple[str, ...] = ()
        self._rows: list[tuple[str | None, tuple[Text, ...]]] = []
        self._fitted_width = -1

    def fill(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Text]],
        keys: Sequence[str] | None = None,
    ) -> None:
        """Show `rows` under `columns` (replacing both), keyed by `keys` when given."""
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
        natural = [Text(label).cell_len for label in labels]
        texts: set[int] = set()  # columns with a cell that is not a figure
        filled: set[int] = set()  # columns with any cell not blank
        for _, cells in self._rows:
            for n, value in enumerate(cells):
                natural[n] = max(natural[n], value.cell_len)
                if value.plain:
                    filled.add(n)
                    if value.justify != "right" and not _figure(value.plain):
                        texts.add(n)
        figures = [n in filled and n not in texts for n in range(len(labels))]
        shrinkable = {
            n for n, label in enumerate(labels) if not figures[n] and label not in self.keep
        }
        narrowest = [max(NARROWEST, len(label)) for label in labels]
        self._fitted_width = width = self._width()
        shown = list(range(len(labels)))
        while True:
            room = width - 2 * self.cell_padding * len(shown)
            widths = fit_widths(
                [natural[n] for n in shown],
                room,
                [i for i, n in enumerate(shown) if n in shrinkable],
                narrowest=[narrowest[n] for n in shown],
            )
            droppable = [n for n in shown if labels[n] in self.drop and not figures[n]]
            if sum(widths) <= room or not droppable:
                break
            shown.remove(min(droppable, key=lambda n: self.drop.index(labels[n])))
        self.clear(columns=True)
        for n, width_of in zip(shown, widths, strict=True):
            self.add_column(labels[n], width=width_of)
        for key, cells in self._rows:
            self.add_row(*(ellipsized(cells[n]) for n in shown), key=key)
        if self._rows:
            self.move_cursor(row=min(cursor_row, len(self._rows) - 1), animate=False)

    def on_resize(self, _event: events.Resize) -> None:
        if self._labels and self._width() != self._fitted_width:
            self._draw(cursor_row=self.cursor_row)

"""A horizontal bar chart drawn with Rich text: one line per label, bars scaled to the widest
count and to the widget's own width (Textual's Sparkline has no labels or counts)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from recordsdesk.services.reports import Chart

BAR = "█"


class BarChart(Widget):
    """Shows one Chart (or nothing). Labels come from the records (course codes, marks), so
    they are plain Text, never markup."""

    DEFAULT_CSS = """
    BarChart {
        height: auto;
        min-height: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.chart: Chart | None = None

    def show(self, chart: Chart | None) -> None:
        self.chart = chart
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        if self.chart is None or not self.chart.bars:
            return 1
        return len(self.chart.bars) + 1

    def bar_lengths(self, width: int) -> list[int]:
        """Each bar's length in cells for a chart `width` cells wide (labels and counts aside);
        a non-zero count always shows at least one cell."""
        assert self.chart is not None
        top = max((n for _, n in self.chart.bars), default=0)
        if top <= 0:
            return [0 for _ in self.chart.bars]
        return [max(1, round(n * width / top)) if n else 0 for _, n in self.chart.bars]

    def render(self) -> Text:
        chart = self.chart
        if chart is None or not chart.bars:
            return Text("(no chart for this report)", style="dim")
        label_width = max(cell_len(label) for label, _ in chart.bars)
        count_width = max(len(str(n)) for _, n in chart.bars)
        room = max(self.size.width - label_width - count_width - 3, 5)
        text = Text(chart.title + "\n", style="bold")
        for (label, count), length in zip(chart.bars, self.bar_lengths(room), strict=True):
            text.append(label + " " * (label_width - cell_len(label)) + " ")
            text.append(BAR * length, style="bold cyan")
            text.append(f" {count}\n")
        text.rstrip()
        return text

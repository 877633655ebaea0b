"""The last guard between stored text and the terminal: no control character is ever written.

Screens show stored values through `widgets.cells` (control characters written out as escapes);
this filter, applied by the app to every line of every widget, drops any that still arrive (a
label built some other way, a service's message quoting a value). Rich measures control
characters as zero cells wide, so dropping them leaves every line's layout as it was.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ControlCharacterFilter(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(_CONTROL.search(segment.text) for segment in segments):
            return segments
        return [
            segment if segment.control else Segment(_CONTROL.sub("", segment.text), segment.style)
            for segment in segments
        ]


CONTROL_FILTER = ControlCharacterFilter()

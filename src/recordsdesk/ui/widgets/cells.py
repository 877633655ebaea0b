"""Cells for tables and labels. Everything that came from the database is wrapped in Text, so
a student named "[b]Bob" shows the brackets instead of turning bold, and its control
characters are shown (ESC as ␛), so a name holding an escape sequence is never obeyed."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from rich.text import Text

from recordsdesk.services.shared.clean_text import printable

HOLD_STYLE = "bold red"
CONFIDENTIAL_STYLE = "bold magenta"


def cell(value: object, style: str = "") -> Text:
    """Any stored value as plain text: blanks for None, ISO dates, local times to the minute."""
    if value is None:
        return Text("")
    if isinstance(value, datetime):
        return Text(value.astimezone().strftime("%Y-%m-%d %H:%M"), style=style)
    if isinstance(value, time):
        return Text(value.strftime("%H:%M"), style=style)
    if isinstance(value, date):
        return Text(value.isoformat(), style=style)
    if isinstance(value, Decimal):
        return Text(_decimal(value), style=style, justify="right")
    if isinstance(value, bool):
        return Text("yes" if value else "no", style=style)
    return Text(printable(str(value)), style=style)


def _decimal(value: Decimal) -> str:
    """Credits without trailing zeros beyond one decimal (3.00 -> 3.0, 1.50 -> 1.5)."""
    normalised = value.quantize(Decimal("0.01")).normalize()
    text = format(normalised, "f")
    return text if "." in text else f"{text}.0"


def words(value: str) -> Text:
    """A stored status word for people: 'transferred_out' -> 'transferred out'."""
    return Text(printable(value.replace("_", " ")))


def flags(*, hold: bool, confidential: bool) -> Text:
    """The badges a clerk must not miss, in the same words and colours everywhere."""
    parts: list[tuple[str, str] | str] = []
    if hold:
        parts.append(("HOLD", HOLD_STYLE))
    if confidential:
        if parts:
            parts.append(" ")
        parts.append(("CONFIDENTIAL", CONFIDENTIAL_STYLE))
    return Text.assemble(*parts)


def meeting(days: str, start: time | None, end: time | None) -> Text:
    if not days and start is None:
        return Text("")
    span = f"{start:%H:%M}-{end:%H:%M}" if start is not None and end is not None else ""
    return Text(printable(" ".join(p for p in (days, span) if p)))

"""Clean text: control characters are refused on the way in and escaped on the way out, and
spreadsheet cells never start a formula.

Stored values reach terminals (lookup list, reports, text transcripts sent to `lp`) and
spreadsheets (report CSVs, OneRoster sets). A name holding `ESC[2J` or an OSC 8 link would be
obeyed by the terminal, and a cell starting with `=` by the spreadsheet. One rule for every
path in (forms, services, importers, CLI arguments) on both engines, and one escape for every
path out, so old databases that already hold such values are shown harmlessly too.
"""

from __future__ import annotations

import re

from recordsdesk.services.shared.errors import ValidationFailed

# C0 controls, DEL and C1 controls. Tab and line breaks are allowed only in multi-line fields.
_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
_ANY_CONTROL = _SINGLE_LINE
_NEWLINES_KEPT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]", re.DOTALL)


def character_name(char: str) -> str:
    """`U+001B` style name of a control character, with its usual abbreviation when known."""
    code = ord(char)
    known = {0: "NUL", 9: "tab", 10: "line feed", 13: "carriage return", 27: "ESC", 127: "DEL"}
    label = known.get(code, "control character")
    return f"U+{code:04X} ({label})"


def first_control_character(value: str, *, multiline: bool = False) -> int | None:
    """Index of the first refused control character in `value`, or None when it is clean."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    return found.start() if found else None


def refuse_control_characters(field: str, value: str | None, *, multiline: bool = False) -> None:
    """Raise ValidationFailed naming `field` when `value` holds a control character (C0, DEL,
    C1; tab and line breaks too unless the field is `multiline`). The message names the
    character and its 1-based column, so an importer can add the file and line."""
    if not value:
        return
    index = first_control_character(value, multiline=multiline)
    if index is None:
        return
    raise ValidationFailed(
        field,
        f"contains the control character {character_name(value[index])} at column "
        f"{index + 1}; control characters cannot be stored.",
    )


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ESC shows as ␛, NUL as ␀
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}"  # C1 has no pictures: shown as the escape a programmer would type


def printable(value: str, *, keep_newlines: bool = False) -> str:
    """`value` safe for a terminal or printer: every control character is replaced by a
    visible stand-in (ESC by ␛, NUL by ␀, C1 by `\\x9b`), so nothing stored is obeyed.
    `keep_newlines` keeps tab and line feed (multi-line notes)."""
    pattern = _NEWLINES_KEPT if keep_newlines else _ANY_CONTROL
    return pattern.sub(_picture, value)


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: a cell starting with `=`, `+`, `-`, `@`, tab or
    carriage return gets a leading single quote (OWASP's rule). A value that already looks
    neutralised (quotes before a trigger) gets one more quote, so `restore_spreadsheet_text`
    gives back exactly what was stored."""
    if text.startswith(FORMULA_TRIGGERS) or _NEUTRALISED.match(text):
        return "'" + text
    return text


def restore_spreadsheet_text(text: str) -> str:
    """The inverse of `spreadsheet_safe`, for importers reading a file the desk wrote."""
    if _NEUTRALISED.match(text):
        return text[1:]
    return text


#: Stored text that may run over several lines (tab and line breaks allowed, nothing else).
MULTI_LINE_FIELDS = frozenset(
    {
        "address",
        "body",
        "decision",
        "departure_reason",
        "description",
        "leave_reason",
        "note",
        "notes",
        "override_reason",
        "reason",
        "release_reason",
    }
)

"""Directory opt-out: which students may appear in directory-style exports and reports.

A confidential student (FERPA-style directory opt-out) is still served at the counter, under a
banner, but is never listed where directory information goes out: name lists, dean's lists,
rosters sent outside the office. Exports and reports filter with `directory_condition()` in
their query, or `directory_visible()` on rows they already hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement
from sqlmodel import col

from recordsdesk.models import Student

CONFIDENTIAL_BANNER = (
    "CONFIDENTIAL: directory opt-out. Do not confirm enrollment or give out any of this "
    "student's information without their written consent."
)
# The same warning where one line must hold it beside other text (a roster's prompt).
CONFIDENTIAL_SHORT = "CONFIDENTIAL: directory opt-out, release nothing without consent"


class HasConfidential(Protocol):
    @property
    def confidential(self) -> bool: ...


RowT = TypeVar("RowT", bound=HasConfidential)


def directory_condition() -> ColumnElement[bool]:
    """A WHERE clause for queries over Student: only students who may be listed."""
    return col(Student.confidential).is_(False)


def directory_visible(rows: Iterable[RowT]) -> list[RowT]:
    """The rows (anything with a `confidential` flag) that may appear in a directory listing."""
    return [row for row in rows if not row.confidential]

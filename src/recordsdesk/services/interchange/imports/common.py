"""What every import shares: problems that name file, line and column; the report of what
changed (or would change); reading CSV text that may be broken; the progress callback.

An import never writes half a file: it validates every row first and raises ImportFailed with
every problem it found, before the first write; the caller's transaction (see `runner`) commits
the whole file or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from recordsdesk.services.shared.clean_text import refuse_control_characters
from recordsdesk.services.shared.errors import RecordsError, ValidationFailed

#: progress(stage, done, total): called from the importing thread, cheap to call often.
if TYPE_CHECKING:
    from sqlmodel import Session

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
#: How many changes a report keeps word for word (the counts cover all of them).
FIRST_CHANGES = 20
#: Reporting stops collecting problems after this many (a wholly wrong file has one per line).
MAX_PROBLEMS = 500


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """The progress callback of a caller that shows none."""


@dataclass(frozen=True)
class ImportProblem:
    """One reason the file cannot be imported, located for the person who will fix it."""

    file: str
    line: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        column = f": {self.column}" if self.column else ""
        return f"{where}{column}: {self.message}"


@dataclass
class EntityCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.new + self.updated


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do): counts per entity (local table name),
    the first changes in words, and warnings (things taken as they are, reported)."""

    kind: str
    source: str
    dry_run: bool = False
    counts: dict[str, EntityCounts] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    #: Work that follows what the import committed, each step in its own short transaction so
    #: other desks get in between (the standings of imported terms); a dry run skips it.
    follow_up: list[Callable[[Session, Progress], None]] = field(default_factory=list)

    def count(self, entity: str) -> EntityCounts:
        return self.counts.setdefault(entity, EntityCounts())

    def note(self, entity: str, outcome: str, describe: Callable[[], str] | None = None) -> None:
        """Count one row's outcome (new/updated/unchanged); keep the first changes in words.
        `describe` is only called for the kept ones (100k rows need no 100k strings)."""
        counts = self.count(entity)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        if outcome != "unchanged" and describe is not None and len(self.changes) < FIRST_CHANGES:
            self.changes.append(describe())

    def note_many(
        self, entity: str, outcome: str, items: Sequence[T], describe: Callable[[T], str]
    ) -> None:
        """`note` for each of `items` at once: one count, words only for the changes kept."""
        if not items:
            return
        counts = self.count(entity)
        setattr(counts, outcome, getattr(counts, outcome) + len(items))
        if outcome != "unchanged":
            room = max(0, FIRST_CHANGES - len(self.changes))
            self.changes.extend(describe(item) for item in items[:room])

    @property
    def total_changes(self) -> int:
        return sum(c.changed for c in self.counts.values())

    def summary(self) -> str:
        parts = [
            f"{entity}: {c.new} new, {c.updated} updated, {c.unchanged} unchanged"
            for entity, c in self.counts.items()
        ]
        verb = "would change" if self.dry_run else "changed"
        head = f"{self.kind} import of {self.source}: {self.total_changes} records {verb}"
        return head + (" (" + "; ".join(parts) + ")" if parts else "") + "."


@dataclass(frozen=True)
class ImportOutcome:
    """An import's report as a plain value for another thread (the desk's screen)."""

    kind: str
    source: str
    dry_run: bool
    summary: str
    total_changes: int
    changes: tuple[str, ...]
    warnings: tuple[str, ...]


def outcome_of(report: ImportReport) -> ImportOutcome:
    return ImportOutcome(
        kind=report.kind,
        source=report.source,
        dry_run=report.dry_run,
        summary=report.summary(),
        total_changes=report.total_changes,
        changes=tuple(report.changes),
        warnings=tuple(report.warnings),
    )


class ImportFailed(RecordsError):
    """The file cannot be imported; `problems` lists every line at fault. Nothing was written."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "the file is not valid"
        more = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        super().__init__(f"Nothing was imported: {first}{more}")


class Problems:
    """Collects problems while a file is checked; `raise_if_any` ends the check."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[ImportProblem] = []
        self.unlisted = 0

    def add(self, line: int, message: str, column: str = "", file: str | None = None) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(ImportProblem(file or self.file, line, message, column))
        else:
            self.unlisted += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            listed = sorted(self.items, key=lambda p: (p.file, p.line))
            if self.unlisted:
                note = f"and {self.unlisted} more problems, not listed: fix these and run again."
                listed.append(ImportProblem(self.file, 0, note))
            raise ImportFailed(listed)


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its first line number in the file and its cells by (lower-case) header."""

    line: int
    cells: dict[str, str]

    def get(self, name: str) -> str:
        return self.cells.get(name, "").strip()


@dataclass(frozen=True)
class CsvTable:
    file: str
    header: tuple[str, ...]
    rows: tuple[CsvRow, ...]


def decode(data: bytes, file: str, problems: Problems) -> str:
    """The text of a UTF-8 file (a BOM is fine). Each line that is not UTF-8 is a problem naming
    the line and the byte, and is read with replacement characters so the rest can be checked."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = raw[exc.start]
            problems.add(
                number,
                f"not UTF-8 text (byte 0x{byte:02X} at character {exc.start + 1}); "
                "save the file as UTF-8 (CSV UTF-8 in a spreadsheet).",
                file=file,
            )
    return data.decode("utf-8-sig", errors="replace")


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of every CSV record, quoted line breaks included."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def read_csv(
    data: bytes,
    file: str,
    problems: Problems,
    *,
    required: Sequence[str] = (),
    known: Sequence[str] | None = None,
    multiline: Sequence[str] = (),
) -> CsvTable:
    """Parse CSV bytes with a header row. Header names are matched case-insensitively; missing
    `required` columns and (when `known` is given) unknown ones are problems on line 1. Blank
    records are skipped; a record with more cells than the header is a problem, and so is a
    cell holding a control character (tab and line breaks only in `multiline` columns)."""
    text = decode(data, file, problems)
    records = _records(text)
    try:
        _line, header_cells = next(records)
    except StopIteration:
        problems.add(1, "the file is empty; it needs a header row.", file=file)
        return CsvTable(file, (), ())
    except csv.Error as exc:
        problems.add(1, f"not readable as CSV: {exc}.", file=file)
        return CsvTable(file, (), ())
    header = tuple(h.strip().lstrip("\ufeff").lower() for h in header_cells)
    for name in required:
        if name not in header:
            problems.add(1, f"the header has no {name!r} column (it is required).", name, file=file)
    if known is not None:
        for name in header:
            if name and name not in known:
                problems.add(
                    1, f"unknown column {name!r}; known columns: {', '.join(known)}.", file=file
                )
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.add(1, f"the column {name!r} appears twice in the header.", name, file=file)
        seen.add(name)
    rows: list[CsvRow] = []
    # One search of the whole text usually shows no cell can hold a control character; then
    # only a record spanning lines (a quoted line break) needs its cells checked one by one.
    suspect = _CONTROL_BUT_LINE_FEED.search(text) is not None
    try:
        width, every_named = len(header), all(header)
        for line, cells in records:
            joined = "".join(cells)  # one string searched instead of each cell (a million rows)
            if not joined.strip():
                continue
            if len(cells) > width and "".join(cells[width:]).strip():
                problems.add(
                    line,
                    f"{len(cells)} cells but the header names only {len(header)} columns.",
                    file=file,
                )
                continue
            if every_named:
                row = CsvRow(line, dict(zip(header, cells, strict=False)))
            else:
                row = CsvRow(line, {h: c for h, c in zip(header, cells, strict=False) if h})
            if not suspect and "\n" not in joined and "\r" not in joined:
                rows.append(row)
            elif _clean(row, multiline, problems, file):
                rows.append(row)
    except csv.Error as exc:
        problems.add(0, f"not readable as CSV: {exc}.", file=file)
    return CsvTable(file, header, tuple(rows))


#: Every character `refuse_control_characters` refuses in some field but the line breaks (the
#: CSV reader keeps those only inside a quoted cell, where the row's own check finds them).
_CONTROL_BUT_LINE_FEED = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _clean(row: CsvRow, multiline: Sequence[str], problems: Problems, file: str) -> bool:
    """False (with a problem naming line and column) when a cell holds a control character,
    anywhere in it: a tab or an escape at either end is not trimmed away in silence."""
    clean = True
    for name, cell in row.cells.items():
        try:
            refuse_control_characters(name, cell, multiline=name in multiline)
        except ValidationFailed as exc:
            problems.add(row.line, exc.message, name, file)
            clean = False
    return clean


def read_file(path: Path, problems: Problems) -> bytes:
    """The file's bytes, or a problem naming it when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        problems.add(0, f"cannot be read: {exc.strerror or exc}.")
        problems.raise_if_any()
        raise AssertionError("unreachable") from exc

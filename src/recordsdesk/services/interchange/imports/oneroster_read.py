"""Reading a OneRoster CSV set as it is: the manifest's modes, file names in any case, columns
that differ between 1.1 and 1.2 (roles in users.csv or in roles.csv; `preferredGivenName` and
its misspelling), trailing empty header cells, blank statuses in bulk files.

This module only reads and checks; `oneroster` decides what each row becomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from recordsdesk.services.interchange.imports.common import CsvRow, Problems, read_csv
from recordsdesk.services.shared.clean_text import restore_spreadsheet_text

SYSTEM = "oneroster"
#: Files the import reads, by their name in the manifest (`file.<name>`).
FILES = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
    "roles",
)
#: Columns each file must have to be read at all (beyond these, what is there is used).
REQUIRED: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedid", "name"),
    "academicSessions": ("sourcedid", "title", "type", "startdate", "enddate"),
    "courses": ("sourcedid", "title"),
    "classes": ("sourcedid", "title", "coursesourcedid", "termsourcedids"),
    "users": ("sourcedid", "givenname", "familyname"),
    "enrollments": ("sourcedid", "classsourcedid", "usersourcedid", "role"),
    "demographics": ("sourcedid",),
    "roles": ("sourcedid", "usersourcedid", "role"),
}
MODES = ("bulk", "delta", "absent")
VERSIONS = ("1.0", "1.1", "1.2")


@dataclass(frozen=True, slots=True)
class Record:
    """One row of a OneRoster file, located, with its status folded (blank -> active)."""

    file: str
    line: int
    source_id: str
    status: str
    cells: dict[str, str]

    def get(self, name: str) -> str:
        return self.cells.get(name.lower(), "").strip()

    def many(self, name: str) -> list[str]:
        """A multi-valued field ("a,b,c", quoted in the CSV) as its values."""
        return [part.strip() for part in self.get(name).split(",") if part.strip()]

    @property
    def deleted(self) -> bool:
        return self.status == "tobedeleted"


@dataclass
class RosterSet:
    folder: Path
    version: str
    modes: dict[str, str]
    records: dict[str, list[Record]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def rows(self, name: str) -> list[Record]:
        return self.records.get(name, [])

    def present(self, name: str) -> bool:
        return name in self.records


def _find(folder: Path, name: str) -> Path | None:
    """`name`.csv in the folder, whatever the case of its name (userProfiles, userprofiles)."""
    wanted = f"{name}.csv".lower()
    for candidate in sorted(folder.iterdir()):
        if candidate.is_file() and candidate.name.lower() == wanted:
            return candidate
    return None


def parse_date(record: Record, column: str, problems: Problems) -> date | None:
    """An ISO date cell (blank -> None); anything else is a problem naming file, line, column."""
    text = record.get(column)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        problems.add(record.line, f"{text!r} is not a date (YYYY-MM-DD).", column, record.file)
        return None


def _manifest(folder: Path, problems: Problems) -> tuple[str, dict[str, str]]:
    path = _find(folder, "manifest")
    if path is None:
        problems.add(
            0,
            "there is no manifest.csv in this folder (is it a OneRoster CSV set?)",
            file=folder.name,
        )
        return "", {}
    table = read_csv(path.read_bytes(), path.name, problems, required=("propertyname", "value"))
    values = {r.get("propertyname"): (r.line, r.get("value")) for r in table.rows}
    version = values.get("oneroster.version", (0, ""))[1]
    if version and version not in VERSIONS:
        problems.add(
            values["oneroster.version"][0],
            f"OneRoster version {version!r} is not one this import reads ({', '.join(VERSIONS)}).",
            "value",
            path.name,
        )
    modes: dict[str, str] = {}
    for name in FILES:
        line, mode = values.get(f"file.{name}", (0, ""))
        mode = mode.lower()
        if mode and mode not in MODES:
            problems.add(
                line,
                f"file.{name} is {mode!r}; it must be bulk, delta or absent.",
                "value",
                path.name,
            )
        modes[name] = mode
    return version, modes


def read_set(folder: Path, problems: Problems) -> RosterSet:
    """Every file the manifest lists as bulk or delta (or leaves blank but ships), checked:
    required columns, non-empty and unique sourcedIds, known statuses."""
    if not folder.is_dir():
        problems.add(
            0, "is not a folder; give the folder that holds manifest.csv.", file=str(folder)
        )
        problems.raise_if_any()
    version, modes = _manifest(folder, problems)
    roster = RosterSet(folder, version, modes)
    for name in FILES:
        path = _find(folder, name)
        mode = modes.get(name, "")
        if mode in ("bulk", "delta") and path is None:
            problems.add(
                0,
                f"the manifest lists {name}.csv as {mode} but the file is missing.",
                file="manifest.csv",
            )
            continue
        if path is None:
            continue
        if mode == "absent":
            roster.warnings.append(f"{path.name} is there but the manifest says absent; not read.")
            continue
        if not mode:
            roster.warnings.append(f"{path.name} has no mode in the manifest; read as bulk.")
            modes[name] = "bulk"
        roster.records[name] = _read_records(path, name, problems)
    return roster


def _read_records(path: Path, name: str, problems: Problems) -> list[Record]:
    table = read_csv(path.read_bytes(), path.name, problems, required=REQUIRED[name])
    seen: dict[str, int] = {}
    records: list[Record] = []
    for row in table.rows:
        record = _record(path.name, row, problems)
        if record is None:
            continue
        if record.source_id in seen:
            problems.add(
                row.line,
                f"sourcedId {record.source_id!r} is also on line {seen[record.source_id]}.",
                "sourcedId",
                path.name,
            )
            continue
        seen[record.source_id] = row.line
        records.append(record)
    return records


def _record(file: str, row: CsvRow, problems: Problems) -> Record | None:
    source_id = row.get("sourcedid")
    if not source_id:
        problems.add(row.line, "the sourcedId is empty.", "sourcedId", file)
        return None
    if len(source_id) > 255:
        problems.add(row.line, "the sourcedId is longer than 255 characters.", "sourcedId", file)
        return None
    status = row.get("status").lower() or "active"
    if status not in ("active", "tobedeleted", "inactive"):
        problems.add(row.line, f"status {status!r} is not active or tobedeleted.", "status", file)
        return None
    # The desk's own export quotes cells a spreadsheet would take for formulas; undo that.
    cells = {name: restore_spreadsheet_text(cell) for name, cell in row.cells.items()}
    return Record(file, row.line, restore_spreadsheet_text(source_id), status, cells)

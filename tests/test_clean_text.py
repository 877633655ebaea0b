"""Clean text and private files without a database: the control-character rule, the escapes
for terminals and printers, formula neutralising, and 0600 files in 0700 folders under any
umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recordsdesk.config import data_dir
from recordsdesk.services.shared.clean_text import (
    printable,
    refuse_control_characters,
    restore_spreadsheet_text,
    spreadsheet_safe,
)
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import (
    OutputExists,
    confined,
    safe_file_name,
    write_private,
)

CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual desktop umask, under which plain writes give 0644 files and 0755 folders."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("char", CONTROLS)
def test_every_control_character_is_refused_in_a_single_line_field(char: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        refuse_control_characters("legal_last_name", f"Ab{char}c")
    assert refused.value.field == "legal_last_name"
    assert f"U+{ord(char):04X}" in refused.value.message and "column 3" in refused.value.message


def test_multi_line_fields_take_tab_and_line_breaks_but_not_escapes() -> None:
    refuse_control_characters("body", "line one\r\n\tline two", multiline=True)
    for char in ("\x1b", "\x00", "\x7f", "\x9b", "\x0b"):
        with pytest.raises(ValidationFailed):
            refuse_control_characters("body", f"a{char}b", multiline=True)
    with pytest.raises(ValidationFailed):
        refuse_control_characters("legal_first_name", "a\tb")


def test_printable_shows_escape_sequences_and_links_instead_of_sending_them() -> None:
    name = "Eve\x1b[2J\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07\x9b31m\x00\x7f"
    shown = printable(name)
    assert not any(c in shown for c in CONTROLS)
    assert shown.startswith("Eve␛[2J␛]8;;http://evil.example/␇click")
    assert shown.endswith("\\x9b31m␀␡")
    assert printable("José [b]Bob") == "José [b]Bob"  # ordinary text is untouched
    assert printable("a\n\tb", keep_newlines=True) == "a\n\tb"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=cmd|'/c calc'!A1", "'=cmd|'/c calc'!A1"),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already looks quoted: one more, so the import gives it back exactly
        ("O'Brien", "O'Brien"),
        ("García", "García"),
        ("", ""),
    ],
)
def test_spreadsheet_cells_never_start_a_formula(cell: str, written: str) -> None:
    assert spreadsheet_safe(cell) == written
    assert restore_spreadsheet_text(written) == cell


@given(st.text())
def test_neutralising_round_trips_any_text(cell: str) -> None:
    safe = spreadsheet_safe(cell)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert restore_spreadsheet_text(safe) == cell


def test_private_files_are_0600_in_0700_folders_under_umask_022(
    tmp_path: Path, umask_022: None
) -> None:
    target = tmp_path / "exports" / "2026" / "copy.txt"
    write_private(target, b"transcript")
    assert target.read_bytes() == b"transcript"
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700 and mode(target.parent.parent) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["copy.txt"]  # no partial file left


def test_an_existing_file_is_replaced_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "copy.txt"
    target.write_bytes(b"the earlier copy")
    with pytest.raises(OutputExists) as exists:
        write_private(target, b"new", field="--output")
    assert "add --force" in str(exists.value)
    assert target.read_bytes() == b"the earlier copy"
    write_private(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new" and mode(target) == 0o600


def test_a_folder_or_a_missing_folder_is_one_clear_refusal(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="is a folder"):
        write_private(tmp_path, b"x")
    with pytest.raises(ValidationFailed, match="does not exist"):
        write_private(tmp_path / "missing" / "x.txt", b"x", create_folders=False)
    assert not (tmp_path / "missing").exists()


def test_names_from_data_stay_in_their_folder(tmp_path: Path) -> None:
    number = "/../../../../outside/x"
    assert "/" not in safe_file_name(number) and not safe_file_name(number).startswith(".")
    path = confined(tmp_path / "exports", f"transcript-{number}.pdf")
    assert path.parent == tmp_path / "exports"
    assert safe_file_name("..") == "file" and safe_file_name("") == "file"
    assert not (tmp_path / "exports").exists()  # suggesting a name creates nothing


def test_data_directory_is_owner_only(tmp_path: Path, umask_022: None) -> None:
    folder = Path(os.environ["RECORDSDESK_DATA_DIR"])
    assert data_dir() == folder and mode(folder) == 0o700
    os.chmod(folder, 0o755)  # made by an older version
    assert mode(data_dir()) == 0o700

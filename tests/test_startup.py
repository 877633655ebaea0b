"""Start-up: the command line's help loads nothing heavy, a sub-command loads only what it uses,
and a database whose schema is current is opened without Alembic. Each check runs in a fresh
interpreter (a module already imported by the test process would hide a regression)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import recordsdesk
from recordsdesk.db import HEAD_REVISION, head_revision

SRC = str(Path(recordsdesk.__file__).resolve().parent.parent)
HEAVY = ("textual", "sqlalchemy", "sqlmodel", "alembic", "fpdf")


def loaded_after(code: str, *argv: str) -> list[str]:
    """The heavy packages loaded once `code` has run (with `argv` as sys.argv[1:])."""
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    result = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[-2].split()


RUN_MAIN = (
    "from recordsdesk.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("transcript", "--help"),
        ("db", "--help"),
        ("user", "add", "--help"),
        ("import", "students", "--help"),
        ("backup", "--help"),
        ("report", "--help"),
        ("settings", "set", "--help"),
        ("grades", "import", "--help"),
    ],
)
def test_help_loads_no_database_layer_pdf_or_textual(argv: tuple[str, ...]) -> None:
    assert loaded_after(RUN_MAIN, *argv) == []


def test_a_transcript_loads_no_textual_and_no_alembic_on_a_current_schema(
    database_url: str, tmp_path: Path
) -> None:
    """`transcript` on a database at the newest schema: no Textual (it draws nothing), no
    Alembic (the schema is current), no PDF code for a text copy."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one engine is enough for what gets imported")
    loaded = loaded_after(
        RUN_MAIN, "transcript", "NO-SUCH-STUDENT", "--database", database_url, "-o", "x.txt"
    )
    assert "textual" not in loaded
    assert "alembic" not in loaded
    assert "fpdf" not in loaded


def test_head_revision_constant_names_the_newest_migration() -> None:
    assert HEAD_REVISION == head_revision()


def test_import_kinds_agree_with_the_importers() -> None:
    from recordsdesk.commands.imports import HELP, PATH_NAMES
    from recordsdesk.services.imports.runner import KINDS

    assert set(HELP) == set(PATH_NAMES) == set(KINDS)
    for kind, (_importer, what) in KINDS.items():
        assert (PATH_NAMES[kind] == "FOLDER") == (what == "folder"), kind


def test_typing_ahead_leaves_a_stdin_that_is_not_a_terminal_alone() -> None:
    """The desk may be started with stdin from a file or /dev/null: nothing to switch."""
    probe = "from recordsdesk.cli import typing_ahead\nwith typing_ahead():\n    print('inside')\n"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
    )
    assert (result.returncode, result.stdout.strip()) == (0, "inside"), result.stderr

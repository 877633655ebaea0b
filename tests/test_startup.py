"""Start-up: the command line's help loads nothing heavy, a sub-command loads only what it uses,
and a database whose schema is current is opened without Alembic. Each check runs in a fresh
interpreter (a module already imported by the test process would hide a regression)."""

from __future__ import annotations

import re
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
    from recordsdesk.services.interchange.imports.runner import KINDS

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


# The desk on a pseudo-terminal (its real terminal driver): at the first frame of the sign-in
# screen, note which heavy packages are loaded and leave.
FIRST_FRAME_PROBE = """
import os, sys
import textual.app

def _hook(self):
    if type(self.screen).__name__ == "SignInScreen":
        loaded = [m for m in ("sqlalchemy", "sqlmodel", "alembic", "recordsdesk.models")
                  if m in sys.modules]
        with open(os.environ["PROBE_OUT"], "w") as out:
            out.write(" ".join(loaded) or "-")
        os._exit(0)

textual.app.App.post_display_hook = _hook
from recordsdesk.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_on_a_terminal(
    code: str, argv: list[str], tmp_path: Path, extra_env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run `code` with `argv` on a pseudo-terminal (80x24) as the desk would be; its exit code
    and what it wrote to stderr (kept apart from the terminal)."""
    import os
    import pty
    import threading

    master, slave = pty.openpty()
    env = {
        "PYTHONPATH": SRC,
        "PATH": "/usr/bin:/bin",
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
        "RECORDSDESK_DATA_DIR": str(tmp_path / "data"),
        **(extra_env or {}),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    os.close(slave)

    def drain() -> None:  # the terminal's output must be read or the child blocks
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()
    try:
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    return child.returncode, err.decode()


def test_the_sign_in_screen_is_drawn_before_the_database_layer_is_loaded(
    database_url: str, tmp_path: Path
) -> None:
    """The real command line on a real database: the sign-in form's first frame comes before
    SQLAlchemy, SQLModel, Alembic or the models are imported (the desk opens the database in
    a worker after it), which is most of what made the desk slow to appear."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one engine is enough for what gets imported")
    out = tmp_path / "loaded"
    code, err = run_on_a_terminal(
        FIRST_FRAME_PROBE, ["--database", database_url], tmp_path, {"PROBE_OUT": str(out)}
    )
    assert code == 0, err
    assert out.read_text() == "-"


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("postgresql+psycopg://clerk:hunter2@127.0.0.1:1/records", "clerk:***@127.0.0.1:1"),
        ("nosuchdb://host/records", "nosuchdb://host/records"),
    ],
)
def test_a_desk_whose_database_cannot_be_opened_says_so_in_one_line(
    url: str, named: str, tmp_path: Path
) -> None:
    """The form is drawn before the database is opened; if it cannot be, the desk closes and
    the command line says why in one line and exits 2, as when it was opened first."""
    code, err = run_on_a_terminal(
        "import sys\nfrom recordsdesk.cli import main\nsys.exit(main(sys.argv[1:]))\n",
        ["--database", url],
        tmp_path,
    )
    # Textual draws on stderr: what the desk printed is what follows its last control sequence
    # (the one giving the terminal back).
    said = re.sub(r"^\[[0-9;?<>=$]*[A-Za-z~]", "", err.split("\x1b")[-1])
    assert code == 2
    assert said.startswith("recordsdesk: ") and said.count("\n") == 1, said
    assert named in said and "hunter2" not in err and "Traceback" not in err

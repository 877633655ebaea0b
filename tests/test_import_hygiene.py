"""The core stays usable without the TUI: no module outside recordsdesk.ui imports Textual, checked
by importing each one in a fresh interpreter and by reading every source file."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import recordsdesk

PACKAGE_DIR = Path(recordsdesk.__file__).resolve().parent


def core_modules() -> list[str]:
    """Every importable module outside the UI (migration scripts run only inside Alembic)."""
    names = [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="recordsdesk.")
        if not info.name.startswith(("recordsdesk.ui", "recordsdesk.migrations"))
        and not info.name.endswith(".__main__")  # importing it runs the command
    ]
    return ["recordsdesk", *sorted(names)]


def test_core_modules_are_found() -> None:
    modules = core_modules()
    assert {"recordsdesk.cli", "recordsdesk.db", "recordsdesk.services.lookup.search"} <= set(
        modules
    )


def test_importing_every_core_module_does_not_load_textual() -> None:
    """One fresh interpreter imports them all: if any pulled Textual in, it would be loaded."""
    probe = (
        "import sys, importlib\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'textual' in sys.modules:\n"
        "        print(name)\n"
        "        break\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"importing {result.stdout.strip()} loads textual"


def imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_file_outside_ui_imports_textual() -> None:
    ui_dir = PACKAGE_DIR / "ui"
    offenders = [
        str(path.relative_to(PACKAGE_DIR))
        for path in PACKAGE_DIR.rglob("*.py")
        if ui_dir not in path.parents and "textual" in imported_roots(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_the_static_check_sees_imports_inside_functions() -> None:
    source = "def later():\n    from textual.app import App\n"
    assert "textual" in imported_roots(source)

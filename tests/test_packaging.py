"""The wheel carries what a fresh install needs: the shipped data, the migrations and the
`recordsdesk` command; and the installed package finds its data without the checkout."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recordsdesk.db import head_revision

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build the wheel once, offline when hatchling is already installed."""
    out = tmp_path_factory.mktemp("wheel")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        str(PROJECT),
        "-w",
        str(out),
    ]
    if importlib.util.find_spec("hatchling") is not None:
        command.insert(4, "--no-build-isolation")
    built = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, f"building the wheel failed:\n{built.stdout}\n{built.stderr}"
    [path] = out.glob("recordsdesk-*.whl")
    yield path


def test_wheel_contains_data_migrations_and_entry_point(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_text = archive.read(entry_points).decode()
    assert "recordsdesk/data/grading_scales.json" in names
    assert "recordsdesk/data/practice/50-withdrawal.toml" in names  # the shipped exercises
    assert "recordsdesk/migrations/env.py" in names
    assert "recordsdesk/migrations/script.py.mako" in names
    assert any(
        n.startswith("recordsdesk/migrations/versions/0001_") and n.endswith(".py") for n in names
    )
    assert "recordsdesk/cli.py" in names and "recordsdesk/models/student.py" in names
    assert "[console_scripts]" in entry_text
    assert "recordsdesk = recordsdesk.cli:main" in entry_text
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_works_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """Unpacked away from the repository and first on the path, the package migrates a database
    and loads the grading scales from its own data folder."""
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    database = tmp_path / "fresh.db"
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "RECORDSDESK_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("RECORDSDESK_DATABASE_URL", None)
    probe = (
        "import recordsdesk, recordsdesk.resources as r, sys;"
        "print(recordsdesk.__file__);"
        "print(r.data_path('grading_scales.json'));"
        "from recordsdesk.cli import main;"
        f"sys.exit(main(['db', 'upgrade', '--database', 'sqlite:///{database}']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    package_file, data_file, status = done.stdout.splitlines()[:3]
    assert Path(package_file).is_relative_to(target)
    assert Path(data_file).is_relative_to(target)
    assert head_revision() in status

    with sqlite3.connect(database) as connection:
        scales = connection.execute("SELECT count(*) FROM grading_scale").fetchone()[0]
    assert scales >= 7

"""One practice desk built per test session and copied for each test (building takes seconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recordsdesk.config import sqlite_url
from recordsdesk.services.practice.desk import build_practice_database


@pytest.fixture(scope="session")
def practice_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("practice-template")
    target = folder / "practice.db"
    build_practice_database("Robin Trainee", url=sqlite_url(target))
    return target


@pytest.fixture
def practice_url(practice_template: Path, tmp_path: Path) -> str:
    copy = tmp_path / "practice.db"
    shutil.copyfile(practice_template, copy)
    return sqlite_url(copy)

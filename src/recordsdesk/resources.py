"""Access to the reference data shipped in `data/`.

In a wheel the folder is packaged as `recordsdesk/data`; in an editable checkout it is the
repository's top-level `data/`. Both are found here so callers never care which.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any


def data_path(name: str) -> Path:
    """The path of a shipped data file; raises FileNotFoundError naming it when absent."""
    packaged = resources.files("recordsdesk").joinpath("data", name)
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "data" / name
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"shipped data file {name!r} is missing from the installation")


def data_folder(name: str) -> Path:
    """The path of a shipped data folder (as data_path, for a folder of files)."""
    packaged = resources.files("recordsdesk").joinpath("data", name)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "data" / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"shipped data folder {name!r} is missing from the installation")


def load_json(name: str) -> Any:
    with data_path(name).open(encoding="utf-8") as handle:
        return json.load(handle)


def read_lines(name: str) -> list[str]:
    """Non-blank, non-comment lines of a shipped text list."""
    text = data_path(name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]

"""Shared by the import and export tests: where the fault files and OneRoster sets are."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "imports"
REPO = Path(__file__).resolve().parent.parent
#: The sets ship in the repository (tests/fixtures); a checkout without them may still sit beside
#: the project's shared folder (../shared/fixtures), as the working trees here do.
ONEROSTER_CANDIDATES = (
    REPO / "tests" / "fixtures" / "oneroster",
    REPO.parent / "shared" / "fixtures" / "oneroster",
)


def oneroster_fixtures() -> Path:
    """The folder of the four real OneRoster sets; skips the test (saying why) when absent."""
    for candidate in ONEROSTER_CANDIDATES:
        if candidate.is_dir():
            return candidate
    pytest.skip(
        "the OneRoster sample sets are not here: looked in "
        + ", ".join(str(c) for c in ONEROSTER_CANDIDATES)
    )

"""Where the desk keeps its data and which database it opens.

Precedence for the database: an explicit URL (the `--database` option), then the
`RECORDSDESK_DATABASE_URL` environment variable, then SQLite in the user data directory.
The demo database lives beside the real one under its own name and is never the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "recordsdesk"
DATABASE_ENV = "RECORDSDESK_DATABASE_URL"
DATA_DIR_ENV = "RECORDSDESK_DATA_DIR"
PRIVATE_FOLDER_MODE = 0o700


def data_dir() -> Path:
    """The directory for the default databases; `RECORDSDESK_DATA_DIR` overrides platformdirs.

    It holds every record, backup and exported copy, so it is owner-only (0700) whatever the
    umask, and an existing one made wider (0755 by older versions) is tightened."""
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else user_data_path(APP_NAME, appauthor=False)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)
    if path.stat().st_mode & 0o777 != PRIVATE_FOLDER_MODE:
        os.chmod(path, PRIVATE_FOLDER_MODE)
    return path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def default_database_url() -> str:
    return sqlite_url(data_dir() / "recordsdesk.db")


def demo_database_url() -> str:
    return sqlite_url(data_dir() / "demo.db")


def resolve_database_url(explicit: str | None = None) -> str:
    """The URL the desk will open, following the documented precedence."""
    if explicit:
        return normalise_url(explicit)
    from_env = os.environ.get(DATABASE_ENV)
    if from_env:
        return normalise_url(from_env)
    return default_database_url()


def normalise_url(url: str) -> str:
    """Accept the spellings people paste: a bare file path, `postgres://`, `postgresql://`.

    PostgreSQL always goes through psycopg 3, the driver we ship.
    """
    url = url.strip()
    if "://" not in url:
        return sqlite_url(Path(url).expanduser().resolve())
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url


@dataclass(frozen=True)
class Settings:
    """What a running desk was started with."""

    database_url: str
    username: str | None = None

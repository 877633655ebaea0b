"""`recordsdesk db upgrade|current`: the database chosen by option, environment or default;
a database that cannot be opened gets one plain line on stderr and exit status 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recordsdesk.cli import main
from recordsdesk.db import current_revision, head_revision, make_engine

UNREACHABLE_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/x"


def revision_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


@pytest.mark.db
def test_upgrade_migrates_and_prints_the_revision(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database", empty_database_url]) == 0
    out = capsys.readouterr().out
    assert f"schema at {head_revision()}" in out
    assert revision_of(empty_database_url) == head_revision()

    assert main(["db", "upgrade", "--database", empty_database_url]) == 0  # again: no change
    assert f"schema at {head_revision()}" in capsys.readouterr().out


@pytest.mark.db
def test_current_reports_empty_then_up_to_date(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current", "--database", empty_database_url]) == 0
    assert "none (empty database)" in capsys.readouterr().out
    assert revision_of(empty_database_url) is None  # `current` never migrates

    main(["db", "upgrade", "--database", empty_database_url])
    capsys.readouterr()
    assert main(["db", "current", "--database", empty_database_url]) == 0
    out = capsys.readouterr().out
    assert f"schema at {head_revision()}; up to date" in out


@pytest.mark.db
def test_database_option_before_the_sub_command(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database", empty_database_url, "db", "upgrade"]) == 0
    assert head_revision() in capsys.readouterr().out
    assert revision_of(empty_database_url) == head_revision()


@pytest.mark.db
def test_environment_variable_selects_the_database(
    empty_database_url: str,
    isolated_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RECORDSDESK_DATABASE_URL", empty_database_url)
    assert main(["db", "upgrade"]) == 0
    assert head_revision() in capsys.readouterr().out
    assert revision_of(empty_database_url) == head_revision()
    assert not (isolated_data_dir / "recordsdesk.db").exists()


def test_option_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECORDSDESK_DATABASE_URL", UNREACHABLE_POSTGRES)
    chosen = tmp_path / "chosen.db"
    assert main(["db", "upgrade", "--database", f"sqlite:///{chosen}"]) == 0
    assert revision_of(f"sqlite:///{chosen}") == head_revision()
    capsys.readouterr()


def test_default_is_sqlite_in_the_data_directory(
    isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    default = isolated_data_dir / "recordsdesk.db"
    assert default.is_file()
    assert revision_of(f"sqlite:///{default}") == head_revision()
    capsys.readouterr()


def test_a_bare_path_is_accepted_as_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["db", "upgrade", "--database", "office.db"]) == 0
    assert revision_of(f"sqlite:///{tmp_path / 'office.db'}") == head_revision()
    capsys.readouterr()


def _sqlite_inside_a_file(tmp_path: Path) -> tuple[str, str]:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a regular file, not a folder\n")
    return f"sqlite:///{blocker / 'records.db'}", "notes.txt"


@pytest.mark.parametrize("action", ["upgrade", "current"])
@pytest.mark.parametrize("where", ["postgres", "sqlite-in-file", "bad-scheme"])
def test_unopenable_database_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str, where: str
) -> None:
    if where == "postgres":
        url, named = UNREACHABLE_POSTGRES, "127.0.0.1:1/x"
    elif where == "sqlite-in-file":
        url, named = _sqlite_inside_a_file(tmp_path)
    else:
        url, named = "nosuchdb://host/records", "nosuchdb://host/records"
    assert main(["db", action, "--database", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    message = captured.err.strip()
    assert message.startswith("recordsdesk: ")
    assert "\n" not in message
    assert named in message
    assert "Traceback" not in captured.err


def _recordsdesk_command() -> list[str]:
    script = shutil.which("recordsdesk") or str(Path(sys.executable).with_name("recordsdesk"))
    assert Path(script).exists(), "the recordsdesk entry point is not installed"
    return [script]


def test_installed_command_upgrades_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "RECORDSDESK_DATA_DIR": str(tmp_path / "data")}
    env.pop("RECORDSDESK_DATABASE_URL", None)
    done = subprocess.run(
        [*_recordsdesk_command(), "db", "upgrade", "--database", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"schema at {head_revision()}" in done.stdout
    assert revision_of(url) == head_revision()

    refused = subprocess.run(
        [*_recordsdesk_command(), "db", "current", "--database", UNREACHABLE_POSTGRES],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://clerk:hunter2@127.0.0.1:1/records",
        "postgresql+psycopg://clerk:hunter2@127.0.0.1:notaport/records",
        "nosuchdb://clerk:hunter2@host/records",
    ],
)
def test_a_password_in_the_address_is_never_printed(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database", url]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err
    assert "clerk:***@" in err


def test_a_database_from_a_newer_recordsdesk_is_one_line_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A schema version this recordsdesk does not know (a newer desk wrote it) is refused in one
    line naming both versions, and the database is left as it was."""
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    assert main(["db", "upgrade", "--database", url]) == 0
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    capsys.readouterr()
    assert main(["db", "upgrade", "--database", url]) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("recordsdesk: ") and "\n" not in message
    assert "'9999'" in message and "newer recordsdesk" in message
    engine = make_engine(url)
    assert current_revision(engine) == "9999"
    engine.dispose()

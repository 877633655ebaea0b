"""Every error path a person can hit on the command line is one line on stderr and exit 2, run
in-process: `-o` into a missing folder, a folder, a read-only place or an existing file
(transcript, report, export, backup), an unsupported database URL, an absurd demo size."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.services.access.actor import Actor
from tests.factories import make_staff
from tests.transcript_data import TranscriptData, seed_transcript

#: Nothing can be created under /proc, even by root (the tests may run as root, where a
#: chmod 0500 folder would still be writable).
READ_ONLY = Path("/proc")


@pytest.fixture
def data(engine: Engine) -> TranscriptData:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return seed_transcript(session)


def one_line_refusal(capsys: pytest.CaptureFixture[str], code: int, *expected: str) -> str:
    """The command exited 2 with a single `recordsdesk: ...` line and no traceback."""
    out = capsys.readouterr()
    assert code == 2, out
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("recordsdesk: "), out.err
    assert "Traceback" not in out.err
    for words in expected:
        assert words in lines[0], lines[0]
    return lines[0]


def requests(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(TranscriptRequest)).one()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("missing/copy.txt", "does not exist"),
        (".", "is a folder"),
        (str(READ_ONLY / "copy.txt"), "cannot write"),
    ],
)
def test_transcript_output_refusals(
    database_url: str,
    engine: Engine,
    data: TranscriptData,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
    expected: str,
) -> None:
    target = where if where.startswith("/") else str(tmp_path / where)
    code = main(["transcript", data.student_number, "-o", target, "--database", database_url])
    one_line_refusal(capsys, code, "--output", expected)
    assert requests(engine) == 0  # no copy is logged for a file that was not written
    assert not (tmp_path / "missing").exists()


@pytest.fixture(autouse=True)
def signed_in(cli_admin: Actor) -> Actor:
    """Every command here runs signed in as an administrator (a token in the environment)."""
    return cli_admin


def test_transcript_never_overwrites_without_force(
    database_url: str,
    engine: Engine,
    data: TranscriptData,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "copy.txt"
    target.write_text("someone else's file")
    base = ["transcript", data.student_number, "-o", str(target), "--database", database_url]
    one_line_refusal(capsys, main(base), "already exists", "--force")
    assert target.read_text() == "someone else's file" and requests(engine) == 0
    assert main([*base, "--force"]) == 0
    assert "Ødegård" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and requests(engine) == 1


def test_report_output_refusals(
    database_url: str, engine: Engine, data: TranscriptData, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    base = ["report", "holds", "--database", database_url]
    for fmt in ("table", "csv"):
        code = main([*base, "--format", fmt, "-o", str(tmp_path / "no" / "r.csv")])
        one_line_refusal(capsys, code, "does not exist")
        one_line_refusal(capsys, main([*base, "--format", fmt, "-o", str(tmp_path)]), "folder")
        code = main([*base, "--format", fmt, "-o", str(READ_ONLY / "r.csv")])
        one_line_refusal(capsys, code, "cannot write")
    existing = tmp_path / "r.csv"
    existing.write_text("keep")
    one_line_refusal(capsys, main([*base, "--format", "csv", "-o", str(existing)]), "--force")
    assert existing.read_text() == "keep"
    assert main([*base, "--format", "csv", "-o", str(existing), "--force"]) == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600


def test_export_and_backup_refusals(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["export", "oneroster", str(READ_ONLY / "set"), "--database", database_url])
    one_line_refusal(capsys, code, "DIR", "cannot create")
    afile = tmp_path / "afile"
    afile.write_text("x")
    code = main(["export", "oneroster", str(afile), "--database", database_url])
    one_line_refusal(capsys, code, "not an empty folder")

    backup = ["backup", "--database", database_url]
    one_line_refusal(capsys, main([*backup, str(tmp_path)]), "is a folder")
    one_line_refusal(capsys, main([*backup, str(READ_ONLY / "b.db")]), "cannot write")
    one_line_refusal(capsys, main([*backup, str(afile)]), "already exists", "--force")
    assert afile.read_text() == "x"


def test_unsupported_database_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["transcript", "1", "--database", "mysql://clerk:secret@db.example/records"])
    line = one_line_refusal(capsys, code, "mysql", "SQLite", "PostgreSQL")
    assert "secret" not in line


def test_absurd_demo_size_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    code = main(["demo", "--students", "99999999999999999999", "--no-open", "--database", url])
    one_line_refusal(capsys, code, "--students")
    assert not (tmp_path / "demo.db").exists()


def test_data_directory_made_by_the_desk_is_owner_only(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = os.umask(0o022)
    try:
        assert main(["report", "--list"]) == 0
        from recordsdesk.config import data_dir

        folder = data_dir()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

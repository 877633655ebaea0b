"""`recordsdesk report`: the list, a table, CSV to standard output and to a file, and the
messages for a wrong report, term, program or role."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.reports import report_names
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_staff


@pytest.fixture
def desk(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        data = seed_desk(session, system.id)
        make_staff(session, username="reg", role="registrar")
        make_staff(session, username="clk", role="clerk")
        return data


def test_list_names_every_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--list"]) == 0
    out = capsys.readouterr().out
    for name in report_names():
        assert name in out
    assert "no --term: the latest graded term" in out


def test_table_and_csv(
    cli_login: Callable[..., Actor],
    database_url: str,
    engine: Engine,
    desk: DeskData,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    base = ["--database", database_url, "--user", "reg"]
    cli_login("reg")
    assert main(["report", "holds", *base]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Students with holds\n1 active hold on 1 student")
    assert "García, José (Pepe)" in out and "Library fine [unpaid]" in out
    assert "Meet your advisor" not in out  # released holds are not listed

    assert main(["report", "grade-distribution", "--format", "csv", *base]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["Course", "Title", "Term", "A-", "P", "Total"]
    assert ["BIO101", "Cells & [i]Life[/i]", "2025FA", "1", "0", "1"] in rows

    target = tmp_path / "enrollment.csv"
    assert (
        main(
            [
                "report",
                "enrollment",
                "--term",
                "2025fa",
                "--format",
                "csv",
                "-o",
                str(target),
                *base,
            ]
        )
        == 0
    )
    assert "Wrote" in capsys.readouterr().err
    written = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert written[1][:5] == ["2025FA", "undergraduate", "BSC-BIO", "Biology", "1"]
    with engine.connect() as connection:
        exports = connection.execute(
            text("SELECT COUNT(*) FROM audit_event WHERE action = 'export' AND entity = 'report'")
        ).scalar_one()
    assert exports == 2  # the CSV to stdout and the file; the table is not an export


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["report", "nope"], "report: there is no report 'nope'; reports: enrollment"),
        (["report", "holds", "--term", "2025FA"], "term: the holds report has no term filter."),
        (
            ["report", "deans-list", "--term", "1999XX"],
            "term: there is no term '1999XX' (terms run from 2025FA to 2026SP).",
        ),
        (
            ["report", "probation", "--program", "ART"],
            "program: there is no program 'ART' (programs: BSC-BIO).",
        ),
        (
            ["report", "holds", "--user", "clk"],
            "Report run needs the registrar role; clk is signed in as clerk.",
        ),
        (["report"], "NAME: name a report, or use --list to see them."),
    ],
)
def test_refusals_are_one_plain_line(
    cli_login: Callable[..., Actor],
    database_url: str,
    desk: DeskData,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    cli_login(*arguments[arguments.index("--user") + 1 :] if "--user" in arguments else ())
    assert main([*arguments, "--database", database_url]) != 0
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""

"""The practice desk's services: every exercise file builds, a bad file is refused naming its
field (and nothing in a file is run as code), the desk is deterministic per trainee and kept
apart from the real database, and every document made on it says PRACTICE on every page."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from recordsdesk.cli import main
from recordsdesk.config import data_dir
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import Enrollment, utcnow
from recordsdesk.render.transcript_layout import PRACTICE_MARK
from recordsdesk.resources import data_folder
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.disclosure.letters import build_letter, render_letter
from recordsdesk.services.disclosure.log import PRACTICE_LINE as LOG_PRACTICE_LINE
from recordsdesk.services.disclosure.log import (
    disclosures_csv,
    disclosures_text,
    list_disclosures,
    on_practice_desk,
)
from recordsdesk.services.interchange.exports.oneroster import (
    PRACTICE_FILE,
    PRACTICE_SYSTEM,
    export_oneroster,
)
from recordsdesk.services.practice.desk import practice_database_url, practice_seed
from recordsdesk.services.practice.exercise import (
    ExerciseFileError,
    load_exercises,
    parse_exercise,
)
from recordsdesk.services.practice.progress import check_exercise, evaluate, practice_report
from recordsdesk.services.reports.output import PRACTICE_LINE, to_csv, to_text
from recordsdesk.services.reports.registry import REPORTS, run_report
from recordsdesk.services.transcripts.release import release_transcript
from tests.practice_desk import practice_template, practice_url  # noqa: F401 - fixtures

SHIPPED = sorted(data_folder("practice").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_exercise_file_builds(path: Path) -> None:
    exercise = parse_exercise(path.read_text(encoding="utf-8"), path.name)
    assert exercise.title and exercise.scenario and exercise.done
    assert exercise.setup.students, "each exercise brings the students it is about"


def test_every_exercise_is_set_up_on_the_practice_desk_and_not_done_before_it_is_worked(
    practice_url: str,  # noqa: F811
) -> None:
    engine = open_database(practice_url)
    try:
        with session_scope(engine) as session:
            for exercise in load_exercises():
                outcome = evaluate(session, exercise, utcnow(), 0)
                assert not outcome.done and outcome.problems, exercise.id
                assert outcome.mistakes == 0, (exercise.id, outcome.problems)
    finally:
        engine.dispose()


def test_at_least_five_exercises_ship_with_distinct_students() -> None:
    exercises = load_exercises()
    assert len(exercises) >= 5
    assert [e.order for e in exercises] == sorted(e.order for e in exercises)


MINIMAL = """
title = "t"
scenario = "s"
[[setup.students]]
ref = "ana"
number = "990999"
first_name = "Ana"
last_name = "Lee"
birth_date = "2005-01-01"
"""


@pytest.mark.parametrize(
    "done, field",
    [
        ('record = "staff_user"\nexplain = "x"', "done[0].record"),
        ('record = "student"\nwhere = { password = 1 }\nexplain = "x"', "done[0].where.password"),
        ('record = "student"\nwhere = { id = "@bob" }\nexplain = "x"', "done[0].where.id"),
        ('answer = 1\nexplain = "x"', "done[0].answer"),
        ('audit = "update"\nexplain = ""', "done[0].explain"),
        ('audit = "update"\nexec = "__import__(\'os\')"\nexplain = "x"', "done[0]"),
    ],
)
def test_a_bad_condition_is_refused_naming_its_field(done: str, field: str) -> None:
    with pytest.raises(ExerciseFileError) as refused:
        parse_exercise(MINIMAL + "[[done]]\n" + done + "\n", "my-exercise.toml")
    assert refused.value.field == f"my-exercise.toml: {field}"


def test_text_in_a_file_is_only_ever_a_value() -> None:
    """A value that looks like code is compared as text, never run."""
    exercise = parse_exercise(
        MINIMAL + '[[done]]\nrecord = "student"\nwhere = { legal_last_name = "__import__(\'os\')" }'
        '\nexplain = "x"\n',
        "code-like.toml",
    )
    assert exercise.done[0].matches[0].value == "__import__('os')"


def test_the_practice_desk_is_the_trainees_own_and_deterministic() -> None:
    exercises = load_exercises()
    assert practice_seed("Robin", exercises) == practice_seed(" robin ", exercises)
    assert practice_seed("Robin", exercises) != practice_seed("Kim", exercises)
    assert practice_seed("Robin", exercises) != practice_seed("Robin", exercises[:-1])
    url = practice_database_url("Robin Trainee")
    assert url.endswith("/practice/robin-trainee.db")
    assert Path(url.removeprefix("sqlite:///")).parent == data_dir() / "practice"
    assert (data_dir() / "practice").stat().st_mode & 0o777 == 0o700


def test_practice_refuses_the_real_database(capsys: pytest.CaptureFixture[str]) -> None:
    from recordsdesk.config import default_database_url

    assert main(["practice", "--database", default_database_url(), "--no-open"]) == 2
    assert "not a demo database" in capsys.readouterr().err


def test_checks_count_attempts_and_mistakes_and_the_report_prints_them(
    practice_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = open_database(practice_url)
    try:
        with session_scope(engine) as session:
            actor = actor_for(session, "registrar")
            result = check_exercise(session, actor=actor, exercise_id="50-withdrawal")
            assert not result.done
            assert result.problems == ("Mateo's record does not show him withdrawn.",)
            report = practice_report(session, "Robin Trainee")
    finally:
        engine.dispose()
    assert "50-withdrawal" in report and "started" in report
    assert "last check: Not done: Mateo's record does not show him withdrawn." in report
    assert f"0 of {len(load_exercises())} exercises done." in report


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return [page for page in text.stdout.split("\f") if page.strip()]


def test_every_document_made_in_practice_says_so_on_every_page(
    practice_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    engine = open_database(practice_url)
    try:
        with session_scope(engine) as session:
            actor = actor_for(session, "registrar")
            # The student with the longest history: a transcript of several pages.
            longest = session.exec(
                select(Enrollment.student_id)
                .group_by(col(Enrollment.student_id))
                .order_by(func.count().desc())
            ).first()
            copies = {
                fmt: release_transcript(
                    session, actor=actor, student_id=longest, fmt=fmt, recipient="x"
                ).content
                for fmt in ("text", "html", "json", "pdf")
            }
            tables = [run_report(session, actor=actor, name=spec.name) for spec in REPORTS]
            letter = build_letter(session, actor=actor, student_id=longest)
            letters = {fmt: render_letter(letter, fmt) for fmt in ("text", "html", "json", "pdf")}
            log = list_disclosures(session, actor=actor, student_id=longest)
            practice = on_practice_desk(session)
            roster = tmp_path / "oneroster"
            export_oneroster(session, actor=actor_for(session, "admin"), folder=roster)
    finally:
        engine.dispose()
    text = copies["text"].decode()
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2 and all(PRACTICE_MARK in page for page in pages)
    html = copies["html"].decode()
    assert html.count('<section class="page">') == html.count(PRACTICE_MARK)
    assert "<title>PRACTICE" in html
    assert json.loads(copies["json"])["practice"] == PRACTICE_MARK
    if shutil.which("pdftotext"):
        (tmp_path / "copy.pdf").write_bytes(copies["pdf"])
        pages = pdf_pages(tmp_path / "copy.pdf")
        assert len(pages) >= 2 and all("PRACTICE" in page for page in pages)
    # An enrollment verification letter made on the practice desk, in every format.
    assert PRACTICE_MARK in letters["text"].decode()
    html = letters["html"].decode()
    assert html.count('<section class="page">') == html.count(PRACTICE_MARK) == 1
    assert json.loads(letters["json"])["practice"] == PRACTICE_MARK
    if shutil.which("pdftotext"):
        (tmp_path / "letter.pdf").write_bytes(letters["pdf"])
        assert all("PRACTICE" in page for page in pdf_pages(tmp_path / "letter.pdf"))
    for table in tables:
        assert table.practice and table.title.startswith("PRACTICE · ")
        first = next(csv.reader(io.StringIO(to_csv(table))))
        assert first == [PRACTICE_LINE]
        assert PRACTICE_LINE in to_text(table)
    # The disclosure log as printed and as CSV.
    assert practice and disclosures_text(log, practice=practice).startswith(LOG_PRACTICE_LINE)
    assert disclosures_csv(log, practice=practice).splitlines()[0] == LOG_PRACTICE_LINE
    # A OneRoster set stays valid for its consumer: the mark is in the manifest and a marked
    # file beside the CSVs; every CSV keeps its OneRoster header, and the set imports.
    manifest = dict(
        tuple(row) for row in csv.reader(io.StringIO((roster / "manifest.csv").read_text()))
    )
    assert manifest["source.systemName"] == manifest["source.systemCode"] == PRACTICE_SYSTEM
    assert (roster / PRACTICE_FILE).read_text(encoding="utf-8").startswith("PRACTICE")
    assert (roster / "users.csv").read_text(encoding="utf-8").startswith("sourcedId,status,")


def test_the_practice_command_builds_reopens_and_reports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["practice", "--trainee", "Kim Ode", "--no-open"]) == 0
    assert "Practice desk of Kim Ode: built." in capsys.readouterr().out
    assert (data_dir() / "practice" / "kim-ode.db").is_file()
    assert not (data_dir() / "recordsdesk.db").exists()  # the real database is never made
    assert main(["practice", "--trainee", "Kim Ode", "--no-open"]) == 0
    assert "Practice desk of Kim Ode: reopened." in capsys.readouterr().out
    assert main(["practice", "--report", "Kim Ode"]) == 0
    report = capsys.readouterr().out
    assert report.startswith("PRACTICE results of Kim Ode")
    assert f"0 of {len(load_exercises())} exercises done." in report
    assert main(["practice", "--report", "Nobody"]) == 2
    assert "Nobody has no practice desk yet" in capsys.readouterr().err


def test_a_plain_demo_is_not_reopened_as_a_practice_desk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo", "--database", demo, "--students", "20", "--no-open"]) == 0
    capsys.readouterr()
    assert main(["practice", "--database", demo, "--no-open"]) == 2
    assert "is a demo, not a practice desk" in capsys.readouterr().err

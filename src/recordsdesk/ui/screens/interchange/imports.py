"""Imports (F10): choose a kind and a file (or a OneRoster folder), preview with a dry run —
what would change and every line at fault — then apply, with a progress bar fed by the worker.

Apply is offered only after a clean dry run of the same kind and path, so nothing is imported
unseen. The work is the same service the command line runs
(services.interchange.imports.runner), in one transaction: all of the file or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Select, Static

from recordsdesk.services.interchange.imports.common import (
    ImportFailed,
    ImportOutcome,
    ImportProblem,
    outcome_of,
)
from recordsdesk.services.interchange.imports.runner import KINDS, run_import
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.widgets.cells import cell

KIND_LABELS = {
    "students": "Students (CSV keyed by student_number)",
    "history": "Academic history (legacy CSV, one row per course)",
    "oneroster": "OneRoster 1.1 set (folder with manifest.csv)",
    "pesc": "PESC transcript received (College or High School XML)",
}


@dataclass
class ImportDone(Message):
    outcome: ImportOutcome
    path: str


@dataclass
class ImportRefused(Message):
    problems: tuple[ImportProblem, ...]
    path: str
    dry_run: bool


class ImportsScreen(DeskScreen):
    CSS_PATH = "imports.tcss"
    SCREEN_NAME = "Imports"
    PURPOSE = (
        "Bring records in from other systems: new and changed students from a CSV, a legacy "
        "system's academic history, a OneRoster CSV set, or a PESC electronic transcript "
        "another institution sent (its courses become received coursework on the student's "
        "record, for a registrar to evaluate). Choose the kind, type the path and "
        "press Enter (or Ctrl+T) for a dry run: it lists what would change and every line at "
        "fault, and writes nothing. After a clean dry run, Ctrl+S applies the same file, all "
        "of it or none of it; running it again changes nothing. Needs the registrar role."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.switch_mode('lookup')", "Lookup"),
        Binding("ctrl+t", "dry_run", "Dry run"),  # ctrl+d is the input's delete-right
        Binding("ctrl+s", "apply", "Apply"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.previewed: tuple[str, str] | None = None  # (kind, path) of the last clean dry run
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="import-choice"):
            yield Select(
                [(label, kind) for kind, label in KIND_LABELS.items()],
                value="students",
                allow_blank=False,
                id="import-kind",
            )
            yield Input(placeholder="path to the file or folder", id="import-path")
        yield Static(
            "Choose a kind, type a path, Enter for a dry run.", id="import-status", markup=False
        )
        yield ProgressBar(id="import-progress", show_eta=False)
        yield DataTable(id="import-lines", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-lines", DataTable).add_columns("", "Where", "What")
        self.query_one("#import-progress", ProgressBar).update(total=1, progress=0)
        self.query_one("#import-path", Input).focus()

    def _choice(self) -> tuple[str, str]:
        kind = self.query_one("#import-kind", Select).value
        path = self.query_one("#import-path", Input).value.strip()
        return (str(kind) if isinstance(kind, str) else "students"), path

    def _status(self, text: str) -> None:
        self.query_one("#import-status", Static).update(Text(text))

    @on(Input.Submitted, "#import-path")
    def _submitted(self) -> None:
        self.action_dry_run()

    @on(Select.Changed, "#import-kind")
    @on(Input.Changed, "#import-path")
    def _choice_changed(self) -> None:
        self.previewed = None

    def action_dry_run(self) -> None:
        self._start(dry_run=True)

    def action_apply(self) -> None:
        if self.previewed != self._choice():
            self._status("Run a dry run of this file first (Enter); apply follows a clean one.")
            return
        self._start(dry_run=False)

    def _start(self, *, dry_run: bool) -> None:
        kind, path = self._choice()
        if self.running:
            return
        if not path:
            self._status("Type the path of the file (or, for OneRoster, the folder).")
            return
        what = KINDS[kind][1]
        self.running = True
        self.query_one("#import-lines", DataTable).clear()
        self.query_one("#import-progress", ProgressBar).update(total=None, progress=0)
        verb = "Checking" if dry_run else "Importing"
        self._status(f"{verb} {path} ({what})…")
        self._run(kind, path, dry_run)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _run(self, kind: str, path: str, dry_run: bool) -> None:
        bar = self.query_one("#import-progress", ProgressBar)

        def progress(stage: str, done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=max(total, 1), progress=done)

        try:
            report = run_import(
                self.desk.engine,
                actor=self.desk.actor,
                kind=kind,
                path=Path(path).expanduser(),
                dry_run=dry_run,
                progress=progress,
            )
        except ImportFailed as failed:
            self.post_message(ImportRefused(failed.problems, path, dry_run))
            return
        finally:
            self.app.call_from_thread(self._stopped)
        self.post_message(ImportDone(outcome_of(report), path))

    def _stopped(self) -> None:
        self.running = False

    @on(ImportDone)
    def _done(self, message: ImportDone) -> None:
        outcome = message.outcome
        table = self.query_one("#import-lines", DataTable)
        for change in outcome.changes:
            table.add_row(Text("change"), Text(""), cell(change))
        hidden = outcome.total_changes - len(outcome.changes)
        if hidden > 0:
            table.add_row(Text(""), Text(""), Text(f"… and {hidden} more changes"))
        for warning in outcome.warnings:
            table.add_row(Text("warning", style="yellow"), Text(""), cell(warning))
        if outcome.dry_run:
            self.previewed = (outcome.kind, message.path)
            tail = " Ctrl+S applies it." if outcome.total_changes else " Nothing to apply."
            self._status(f"Dry run: {outcome.summary}{tail}")
        else:
            self.previewed = None
            self._status(outcome.summary)
            self.notify(outcome.summary, title="Imported", markup=False)

    @on(ImportRefused)
    def _refused(self, message: ImportRefused) -> None:
        self.previewed = None
        self.query_one("#import-progress", ProgressBar).update(total=1, progress=0)
        table = self.query_one("#import-lines", DataTable)
        for problem in message.problems:
            where = f"{problem.file}:{problem.line}" if problem.line else problem.file
            if problem.column:
                where += f" {problem.column}"
            table.add_row(Text("error", style="bold red"), cell(where), cell(problem.message))
        count = len(message.problems)
        self._status(
            f"Nothing was imported: {count} problem{'s' if count != 1 else ''} in "
            f"{message.path}. Fix the lines below and run the dry run again."
        )

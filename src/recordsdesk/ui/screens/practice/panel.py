"""The exercise panel: F12 from anywhere on a practice desk.

The list shows each exercise with its progress; Enter starts the chosen one (its clock runs from
then) and shows its scenario; the trainee closes the panel (Esc), does the work on the desk, and
comes back to check it (c), which reads the database and the audit trail, not the screen;
n starts its clock again (what the audit trail holds from before no longer counts).
Exercises with a question take the answer by its number (1-9).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from recordsdesk.services.practice import progress
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.screens.base import report_worker_failure

STATE_MARK = {"not started": " ", "started": "…", "done": "✓"}


@dataclass
class ExercisesLoaded(Message):
    rows: tuple[progress.ExerciseRow, ...]
    note: str = ""


def reflow(scenario: str) -> str:
    """A file's scenario as paragraphs the panel wraps to its width: the file's own line
    breaks within a paragraph are only where its author's editor wrapped."""
    paragraphs = [" ".join(p.split()) for p in scenario.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


class PracticePanel(ModalScreen[None]):
    """The exercises, their scenarios and checks; Esc returns to the desk as it was."""

    CSS_PATH = "panel.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Back to the desk"),
        Binding("c", "check", "Check"),
        Binding("n", "restart", "Start again"),
        *(Binding(str(n), f"answer({n})", "Answer", show=False) for n in range(1, 10)),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: tuple[progress.ExerciseRow, ...] = ()
        self.chosen: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="practice-box"):
            yield Static(Text("PRACTICE · exercises", style="bold"), id="practice-title")
            with Horizontal(id="practice-body"):
                yield OptionList(id="practice-list")
                yield Static(Text("Loading exercises…"), id="practice-detail")
            yield Static(
                Text(
                    "Enter: start and show · c: check · 1-9: answer · n: start again · "
                    "Esc: back to the desk"
                ),
                id="practice-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#practice-list", OptionList).focus()
        self._load()

    @property
    def _desk(self) -> DeskHost:
        return cast(DeskHost, self.app)

    @work(thread=True, exclusive=True, group="practice")
    def _load(self, note: str = "") -> None:
        rows = self._desk.desk.call(progress.list_exercises)
        self.post_message(ExercisesLoaded(rows, note))

    def on_exercises_loaded(self, message: ExercisesLoaded) -> None:
        self.rows = message.rows
        options = self.query_one("#practice-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            Option(Text(f"{STATE_MARK[r.state]} {r.title}"), id=r.id) for r in self.rows
        )
        if self.rows:
            options.highlighted = highlighted if highlighted is not None else 0
        done = sum(r.state == "done" for r in self.rows)
        self.query_one("#practice-title", Static).update(
            Text(f"PRACTICE · exercises · {done} of {len(self.rows)} done", style="bold")
        )
        self._show(message.note)

    def _row(self) -> progress.ExerciseRow | None:
        return next((r for r in self.rows if r.id == self.chosen), None)

    def _show(self, note: str = "") -> None:
        row = self._row()
        detail = self.query_one("#practice-detail", Static)
        if row is None:
            detail.update(Text("Choose an exercise and press Enter to start it."))
            return
        text = Text()
        text.append(f"{row.title}\n", style="bold")
        text.append(f"{row.state} · checks {row.attempts} · mistakes {row.mistakes}\n\n")
        text.append(reflow(row.scenario) + "\n")
        if row.question:
            text.append(f"\n{row.question}\n", style="bold")
            for number, choice in enumerate(row.choices, start=1):
                picked = "▶" if number == row.answer else " "
                text.append(f"{picked} {number}. {choice}\n")
        if row.hint:
            text.append(f"\nHint: {row.hint}\n", style="dim")
        if note or row.last_check:
            text.append(f"\n{note or 'Last check: ' + row.last_check}\n", style="bold")
        detail.update(text)

    @on(OptionList.OptionSelected, "#practice-list")
    def _start(self, event: OptionList.OptionSelected) -> None:
        self.chosen = event.option.id
        self._call_and_reload(progress.start_exercise, "")

    def action_check(self) -> None:
        if self.chosen is not None:
            self._call_and_reload(progress.check_exercise, "check")

    def action_restart(self) -> None:
        if self.chosen is not None:
            self._call_and_reload(progress.restart_exercise, "restart")

    def action_answer(self, number: int) -> None:
        row = self._row()
        if row is not None and 1 <= number <= len(row.choices):
            self._call_and_reload(progress.answer_exercise, "answer", choice=number)

    @work(thread=True, exclusive=True, group="practice")
    def _call_and_reload(
        self, service: Callable[..., object], kind: str, **arguments: object
    ) -> None:
        result = self._desk.desk.call(service, exercise_id=self.chosen, **arguments)
        note = result.describe() if isinstance(result, progress.CheckResult) else ""
        rows = self._desk.desk.call(progress.list_exercises)
        self.post_message(ExercisesLoaded(rows, note))

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            report_worker_failure(self, event.worker)

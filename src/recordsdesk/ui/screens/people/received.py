"""Received coursework on one record: every course and GPA block other institutions sent (PESC
imports), as sent, with what each course was evaluated as or what a kept rule proposes. From
the keyboard: e evaluates the highlighted course (our course or `elective LEVEL`, and the
minimum mark), p applies every proposal, u undoes the highlighted course's evaluation. None of
it counts until evaluated; evaluation is the registrar's, audited, and undone exactly."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Label, Static

from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.transcripts.received import ReceivedRecord, received_records
from recordsdesk.services.transcripts.transfer import accept_proposals, evaluate, undo
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import FieldRow, values
from recordsdesk.ui.widgets.cells import cell
from recordsdesk.ui.widgets.fit_table import FitTable
from recordsdesk.ui.widgets.form_input import FormInput, fields_settled

#: What a course is and what became of it first; where it was taken after (at 80 columns the
#: institution gives way: the band names it).
COLUMNS = ("Course", "Title", "Credits", "Mark", "Evaluation", "Session", "Institution")


@dataclass
class ReceivedLoaded(Message):
    records: tuple[ReceivedRecord, ...]
    said: str = ""


@dataclass
class EvaluationRefused(Message):
    message: str


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) or "0"


def target_of(text: str) -> tuple[str | None, str]:
    """What the clerk typed as (our course code, elective level): `elective 200` or a code."""
    words = text.split()
    if len(words) == 2 and words[0].casefold() == "elective":
        return None, words[1]
    return (text.strip() or None), ""


class EvaluateModal(ModalScreen[str | None]):
    """Our course (or `elective 200`) and the minimum mark; Enter in the last field or Ctrl+S
    evaluates. A refusal stays in the dialog; the result names what was made."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Evaluate"),
    ]

    def __init__(self, course_id: int, described: str, proposed: str) -> None:
        super().__init__()
        self.course_id = course_id
        self.described = described
        self.proposed = proposed

    def compose(self) -> ComposeResult:
        with Vertical(id="evaluate-dialog"):
            yield Label(cell(f"Evaluate {self.described}"))
            yield FieldRow(
                "target", "As", value=self.proposed, placeholder="our course, or elective 200"
            )
            yield FieldRow("minimum", "Minimum mark", placeholder="C (empty: any passing mark)")
            yield Static(id="evaluate-message", markup=False)
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#f-target").focus()

    @on(FormInput.Entered, "#f-minimum")
    async def _entered(self) -> None:
        await self.action_save()

    async def action_save(self) -> None:
        await fields_settled(self)
        typed = values(self)
        self._evaluate(typed["target"], typed["minimum"])

    @work(thread=True, exclusive=True, group="evaluate", exit_on_error=False)
    def _evaluate(self, target: str, minimum: str) -> None:
        desk = cast(DeskHost, self.app).desk
        code, level = target_of(target)
        try:
            done = desk.call(
                evaluate,
                external_course_id=self.course_id,
                course_code=code,
                elective_level=level,
                minimum_mark=minimum if (code or level) else None,
            )
        except ValidationFailed as refused:
            self.post_message(EvaluationRefused(refused.message))
        except Exception as error:  # noqa: BLE001 - shown in the dialog, which stays open
            self.post_message(EvaluationRefused(describe_error(error)))
        else:
            self.app.call_from_thread(
                self.dismiss,
                f"{done.course_code} -> {done.target}: {_number(done.credits)} credits",
            )

    @on(EvaluationRefused)
    def _refused(self, message: EvaluationRefused) -> None:
        self.query_one("#evaluate-message", Static).update(Text(message.message, style="red"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReceivedScreen(DeskScreen):
    CSS_PATH = "received.tcss"
    SCREEN_NAME = "Received coursework"
    PURPOSE = (
        "Courses and GPAs other institutions sent in electronic (PESC) transcripts, exactly as "
        "sent. None of it is in our GPA or credits until a registrar evaluates it: e evaluates "
        "the highlighted course as one of our courses or as elective credit at a level, with "
        "the minimum mark (the rule is kept and proposed for the next student from that "
        "institution); p applies every proposal; u undoes the highlighted course's evaluation "
        "and removes its transfer credit. Ctrl+R refreshes; Esc goes back to the record."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "evaluate", "Evaluate"),
        Binding("p", "accept", "Apply proposals"),
        Binding("u", "undo", "Undo evaluation"),
        Binding("ctrl+r", "reload", "Refresh"),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = title
        #: Row key -> (course id, how it reads, what is proposed, evaluated) for course rows.
        self.courses: dict[str, tuple[int, str, str, bool]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self.student_name, style="bold"), id="received-band")
        yield FitTable(
            id="received-list", keep=("Course", "Mark", "Evaluation"), drop=("Institution",)
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#received-list", DataTable).focus()
        self._load()

    def _records(self) -> tuple[ReceivedRecord, ...]:
        return self.desk.call(received_records, student_id=self.student_id)

    @work(thread=True, exclusive=True, group="received", exit_on_error=False)
    def _load(self, said: str = "") -> None:
        self.post_message(ReceivedLoaded(self._records(), said))

    @on(ReceivedLoaded)
    def _loaded(self, message: ReceivedLoaded) -> None:
        table = self.query_one("#received-list", FitTable)
        row = table.cursor_row
        self.courses = {}
        cells: list[tuple[Text, ...]] = []
        keys: list[str] = []
        for record in message.records:
            for c in record.courses:
                key = f"c{c.id}"
                if c.evaluated_as:
                    state = cell(f"= {c.evaluated_as}", style="green")
                else:
                    state = (
                        cell(f"proposed: {c.proposed}", style="yellow") if c.proposed else Text("")
                    )
                cells.append(
                    (
                        cell(c.course_code),
                        cell(c.title),
                        Text(_number(c.credits_earned), justify="right"),
                        cell(c.mark or c.grade_status),
                        state,
                        cell(c.session_name),
                        cell(record.institution),
                    )
                )
                keys.append(key)
                self.courses[key] = (
                    c.id,
                    f"{c.course_code} {c.title} ({record.institution})",
                    c.proposed,
                    bool(c.evaluated_as),
                )
            for n, s in enumerate(record.summaries):
                cells.append(
                    (
                        cell(f"GPA {s.summary_type}".strip()),
                        Text(""),
                        Text(_number(s.credits_earned), justify="right"),
                        cell(s.gpa),
                        Text(""),
                        cell(s.session_name or "whole record"),
                        cell(record.institution),
                    )
                )
                keys.append(f"g{len(keys)}-{n}")
        table.fill(COLUMNS, cells, keys)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        evaluated = sum(done for *_, done in self.courses.values())
        proposed = sum(bool(p) and not done for _, _, p, done in self.courses.values())
        band = Text(self.student_name, style="bold")
        if self.courses:
            band.append(
                f"   {len(self.courses)} courses received, {evaluated} evaluated, "
                f"{proposed} proposed; from "
            )
            band.append_text(cell("; ".join(r.institution for r in message.records)))
        else:
            band.append("   no coursework received")
        self.query_one("#received-band", Static).update(band)
        if message.said:
            self.notify(message.said, markup=False, timeout=4)

    def _highlighted(self) -> tuple[int, str, str, bool] | None:
        table = self.query_one("#received-list", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        found = self.courses.get(str(key))
        if found is None:
            self.notify("Highlight a course (GPA lines are as sent).", markup=False)
        return found

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self._load()

    def action_evaluate(self) -> None:
        found = self._highlighted()
        if found is None:
            return
        course_id, described, proposed, done = found
        if done:
            self.notify("Already evaluated: u undoes it first.", markup=False)
            return

        def evaluated(said: str | None) -> None:
            if said:
                self._load(said)

        self.app.push_screen(EvaluateModal(course_id, described, proposed), evaluated)

    def action_accept(self) -> None:
        self._accept()

    @work(thread=True, group="received-write", exit_on_error=False)
    def _accept(self) -> None:
        done = self.desk.call(accept_proposals, student_id=self.student_id)
        said = f"{len(done)} course{'s' if len(done) != 1 else ''} evaluated by kept rules."
        self.post_message(ReceivedLoaded(self._records(), said))

    def action_undo(self) -> None:
        found = self._highlighted()
        if found is None:
            return
        if not found[3]:
            self.notify("That course is not evaluated.", markup=False)
            return
        self._undo(found[0])

    @work(thread=True, group="received-write", exit_on_error=False)
    def _undo(self, course_id: int) -> None:
        self.desk.call(undo, external_course_id=course_id, student_id=self.student_id)
        said = "Evaluation undone; its transfer credit removed."
        self.post_message(ReceivedLoaded(self._records(), said))

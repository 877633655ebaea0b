"""Holds on one student's record: every hold, active first; place one (p) or release the
highlighted one (r). Placing and releasing need the registrar role; the effects are enforced by
the services (registration refuses while a registration hold is active, an official transcript
while a transcript hold is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DataTable, Footer, Header, Label, Select, Static

from recordsdesk.models import HoldType
from recordsdesk.services.access.permissions import Action, allowed
from recordsdesk.services.people.holds import HoldView, list_holds, place_hold, release_hold
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import FieldRow, ReasonModal, show_errors
from recordsdesk.ui.widgets.cells import HOLD_STYLE, cell
from recordsdesk.ui.widgets.fit_table import FitTable
from recordsdesk.ui.widgets.form_input import FormInput, fields_settled

#: Five columns so that a hold reads whole at 80 columns: who placed or released it goes with
#: the date, and the release's reason with the release.
COLUMNS = ("Type", "Blocks", "Reason", "Placed", "Released")


@dataclass
class HoldsLoaded(Message):
    holds: list[HoldView]


@dataclass
class HoldRefused(Message):
    field: str
    message: str


@dataclass
class HoldPlaced(Message):
    hold: HoldView


class PlaceHoldModal(ModalScreen[HoldView | None]):
    """Type, what it blocks, and the reason; Ctrl+S places it. A refusal is shown beside the
    field it concerns and the dialog stays open."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Place hold"),
    ]

    def __init__(self, student_id: int, student_name: str) -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = student_name

    def compose(self) -> ComposeResult:
        with Vertical(id="hold-dialog"):
            yield Label(Text(f"Place a hold on {self.student_name}", style="bold"))
            with Horizontal(id="hold-type-row"):
                yield Label("Type *")
                yield Select(
                    [(t.value, t.value) for t in HoldType],
                    value=HoldType.FINANCIAL.value,
                    allow_blank=False,
                    id="hold-type",
                )
            with Horizontal(id="hold-blocks-row"):
                yield Checkbox("Blocks registration", value=True, id="blocks-registration")
                yield Checkbox("Blocks official transcripts", id="blocks-transcript")
            yield Static(id="e-blocks", classes="field-message")
            yield FieldRow("reason", "Reason", required=True, placeholder="why, for the record")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#f-reason").focus()

    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self.query_one("#e-blocks", Static).update("")

    @on(FormInput.Entered)
    async def _entered(self) -> None:
        await self.action_save()

    async def action_save(self) -> None:
        await fields_settled(self)  # the reason as typed, up to the key that saves
        self._place(
            str(self.query_one("#hold-type", Select).value),
            self.query_one(FieldRow).value,
            self.query_one("#blocks-registration", Checkbox).value,
            self.query_one("#blocks-transcript", Checkbox).value,
        )

    @work(thread=True, exclusive=True, group="hold-place", exit_on_error=False)
    def _place(self, kind: str, reason: str, registration: bool, transcript: bool) -> None:
        desk = cast(DeskHost, self.app).desk
        try:
            hold = desk.call(
                place_hold,
                student_id=self.student_id,
                hold_type=kind,
                reason=reason,
                blocks_registration=registration,
                blocks_transcript=transcript,
            )
        except ValidationFailed as refused:
            self.post_message(HoldRefused(refused.field, refused.message))
        except Exception as error:  # noqa: BLE001 - shown to the clerk, the dialog stays open
            self.post_message(HoldRefused("", describe_error(error)))
        else:
            self.post_message(HoldPlaced(hold))

    @on(HoldRefused)
    def _refused(self, message: HoldRefused) -> None:
        if message.field == "blocks":
            self.query_one("#e-blocks", Static).update(Text(message.message, style=HOLD_STYLE))
            return
        stray = show_errors(self, {message.field or "hold": message.message})
        if stray:
            self.notify(message.message, title="Not placed", severity="error", markup=False)

    @on(HoldPlaced)
    def _placed(self, message: HoldPlaced) -> None:
        self.dismiss(message.hold)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HoldsScreen(DeskScreen):
    CSS_PATH = "holds.tcss"
    SCREEN_NAME = "Holds"
    PURPOSE = (
        "Every hold on the student's record, active ones first. p places a hold (its type, "
        "whether it blocks registration and/or official transcripts, and why); r releases the "
        "highlighted hold with a reason. Both need the registrar role and are audited. Esc "
        "goes back to the record."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("p", "place", "Place hold"),
        Binding("r", "release", "Release hold"),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = title
        self.holds: list[HoldView] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self.student_name, style="bold"), id="holds-band")
        yield FitTable(id="holds-list", keep=("Type", "Blocks"))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#holds-list", DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="holds", exit_on_error=False)
    def _load(self) -> None:
        holds = self.desk.call(list_holds, student_id=self.student_id, include_released=True)
        self.post_message(HoldsLoaded(holds))

    @on(HoldsLoaded)
    def _loaded(self, message: HoldsLoaded) -> None:
        self.holds = sorted(message.holds, key=lambda h: (not h.active, -h.id))
        self.query_one("#holds-list", FitTable).fill(COLUMNS, [_hold_cells(h) for h in self.holds])
        active = sum(h.active for h in self.holds)
        band = Text(self.student_name, style="bold")
        band.append(f"   {active} active hold{'s' if active != 1 else ''}")
        self.query_one("#holds-band", Static).update(band)

    def _may_manage(self) -> bool:
        if allowed(self.desk.actor, Action.HOLD_MANAGE):
            return True
        self.notify(
            "Placing and releasing holds needs the registrar role.",
            severity="warning",
            markup=False,
        )
        return False

    def action_back(self) -> None:
        self.dismiss()

    def action_place(self) -> None:
        if not self._may_manage():
            return

        def placed(hold: HoldView | None) -> None:
            if hold is not None:
                self.notify(f"{hold.hold_type} hold placed.", markup=False)
                self._load()

        self.app.push_screen(PlaceHoldModal(self.student_id, self.student_name), placed)

    def action_release(self) -> None:
        if not self.holds or not self._may_manage():
            return
        hold = self.holds[self.query_one("#holds-list", DataTable).cursor_row]
        if not hold.active:
            self.notify("That hold was already released.", markup=False)
            return

        def release(reason: str | None) -> None:
            if reason:
                self._release(hold.id, reason)

        self.app.push_screen(
            ReasonModal(f"Release the {hold.hold_type} hold ({hold.reason})? Why:"), release
        )

    @work(thread=True, group="holds-write", exit_on_error=False)
    def _release(self, hold_id: int, reason: str) -> None:
        self.desk.call(release_hold, hold_id=hold_id, reason=reason)
        holds = self.desk.call(list_holds, student_id=self.student_id, include_released=True)
        self.post_message(HoldsLoaded(holds))


def _hold_cells(hold: HoldView) -> tuple[Text, ...]:
    """One hold's row: type, what it blocks, reason, placed (when, by whom), released (when,
    by whom, why) or 'active'."""
    blocks = "both" if hold.blocks_registration and hold.blocks_transcript else hold.blocks
    placed = Text(f"{_day(hold.placed_at)} {hold.placed_by}")
    if hold.released_at is None:
        released = Text("active", style=HOLD_STYLE)
    else:
        released = Text(f"{_day(hold.released_at)} {hold.released_by or ''}".rstrip())
        if hold.release_reason:
            released.append(f": {hold.release_reason}")
    return (
        cell(hold.hold_type.upper(), style=HOLD_STYLE if hold.active else "dim"),
        Text(blocks),
        cell(hold.reason),
        placed,
        released,
    )


def _day(moment: datetime) -> str:
    """The local day of a stored moment (the audit trail keeps the time)."""
    return cell(moment).plain[:10]

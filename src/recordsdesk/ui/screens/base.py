"""The base of every desk screen: access to the records and the one worker-error handler."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from rich.text import Text
from textual import events, on
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from recordsdesk.ui.context import DeskContext, DeskHost
from recordsdesk.ui.errors import describe_error

#: The band every screen of a practice desk shows above its own content.
PRACTICE_BAND = "PRACTICE · a practice desk: no real student is here · F12: exercises"


def report_worker_failure(screen: Screen[Any], worker: Worker[Any]) -> None:
    """Surface a failed worker as an error notification (never a traceback on screen), and
    say why on any "Loading…" line it leaves behind, so no screen waits forever."""
    if worker.error is None:
        return
    screen.app.log.error(f"worker {worker.name!r} failed", worker.error)
    reason = describe_error(worker.error)
    screen.notify(reason, title="Could not finish", severity="error", markup=False)
    for line in screen.query(Static):
        content = line.content
        text = content.plain if isinstance(content, Text) else str(content)
        if text.startswith("Loading"):
            line.update(Text(f"Could not load: {reason}"))


class DeskScreen(Screen[None]):
    """Workers started by a screen report their state to that screen only (the message does not
    bubble), so every screen inherits this handler from here."""

    #: The screen's name in the header, beside the acting staff member.
    SCREEN_NAME: ClassVar[str] = ""
    #: What the screen is for, shown first in its F1 help.
    PURPOSE: ClassVar[str] = ""
    #: A screen under 120 columns is "-narrow" (side panels give way to the tables), 120 and
    #: over "-wide"; each screen's .tcss says what changes.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    @property
    def desk(self) -> DeskContext:
        return cast(DeskHost, self.app).desk

    @on(events.Mount)
    def _show_who_acts(self) -> None:
        if self.desk.institution.practice:
            band = Static(Text(PRACTICE_BAND), id="practice-band", classes="practice-band")
            self.mount(band, before=0 if self.children else None)
        actor = self.desk.actor
        parts = [f"{actor.username} ({actor.role.value})", self.SCREEN_NAME]
        self.sub_title = " · ".join(p for p in parts if p)

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            report_worker_failure(self, event.worker)

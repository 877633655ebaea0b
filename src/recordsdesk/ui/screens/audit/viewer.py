"""The audit viewer: who did what to which record, and when, filtered by student, staff member,
action and dates.

Administrators see the whole log; a registrar sees one student's trail (the service refuses
anything wider, so this screen only explains it). Old and new values may include birth dates
and contact details, so the Change column is masked while the privacy key is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static

from recordsdesk.services.access.permissions import Action, allowed
from recordsdesk.services.audit.detail import change_text as describe_change
from recordsdesk.services.audit.view import AuditFilter, AuditPage, AuditRow, query_audit
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.ui.privacy import mask, privacy_on
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.widgets.cells import cell
from recordsdesk.ui.widgets.confidential import ConfidentialBanner

COLUMNS = ("When", "Staff", "Action", "Entity", "Id", "Student", "Change", "Reason")
FILTERS = ("student", "staff", "action", "since", "until")
CHANGE_WIDTH = 60


@dataclass
class AuditLoaded(Message):
    page: AuditPage


def parse_day(field: str, text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(field, f"{text!r} is not a date (YYYY-MM-DD).") from None


def change_text(row: AuditRow) -> str:
    """`field: old → new` for each changed field, from the event's JSON before/after (an
    import's rows one by one, each with its file line)."""
    return describe_change(row.before, row.after)


class AuditScreen(DeskScreen):
    CSS_PATH = "viewer.tcss"
    SCREEN_NAME = "Audit log"
    PURPOSE = (
        "Every change to the records, every sign-in and failed sign-in, newest first: who, "
        "when, what and the values before and after. Filter by student number, staff username, "
        "action (create, update, place, release, sign_in, sign_in_failed, …) and dates "
        "(YYYY-MM-DD, inclusive); Enter in any filter applies them, Enter on an event shows all "
        "of it. Administrators see the "
        "whole log, registrars one student's trail."
    )
    BINDINGS = [
        Binding("escape", "app.switch_mode('lookup')", "Lookup"),
        Binding("ctrl+r", "reload", "Refresh"),
    ]

    def __init__(self, student_number: str = "") -> None:
        super().__init__()
        self.initial_student = student_number
        self.page: AuditPage | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfidentialBanner(id="audit-confidential")
        with Horizontal(id="audit-filters"):
            yield Input(value=self.initial_student, placeholder="student no.", id="student")
            yield Input(placeholder="staff", id="staff")
            yield Input(placeholder="action", id="action")
            yield Input(placeholder="from YYYY-MM-DD", id="since")
            yield Input(placeholder="to YYYY-MM-DD", id="until")
        yield Static("", id="audit-summary", markup=False)
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        table.add_columns(*COLUMNS)
        self.watch(self.app, "privacy", self._privacy_changed, init=False)
        self.query_one("#student", Input).focus()
        self.action_reload()

    def _filters(self) -> dict[str, str]:
        return {name: self.query_one(f"#{name}", Input).value for name in FILTERS}

    def action_reload(self) -> None:
        values = self._filters()
        if not allowed(self.desk.actor, Action.AUDIT_VIEW) and not values["student"].strip():
            self.query_one("#audit-summary", Static).update(
                "Type a student number: a registrar sees one student's audit trail."
            )
            return
        self.query_one("#audit-summary", Static).update("Loading…")
        self._load(values)

    @on(Input.Submitted)
    def _apply(self) -> None:
        self.action_reload()

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def _load(self, values: dict[str, str]) -> None:
        filters = AuditFilter(
            student_number=values["student"].strip(),
            staff=values["staff"].strip(),
            action=values["action"].strip(),
            since=parse_day("since", values["since"]),
            until=parse_day("until", values["until"]),
        )
        self.post_message(AuditLoaded(self.desk.call(query_audit, filters=filters)))

    @on(AuditLoaded)
    def _loaded(self, message: AuditLoaded) -> None:
        self.page = message.page
        self.query_one("#audit-confidential", ConfidentialBanner).show_for(
            message.page.student_confidential
        )
        self._render_page()

    @on(DataTable.RowSelected, "#audit-table")
    def _show_whole_event(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: the whole change, which the table cuts to fit."""
        if self.page is None or event.row_key.value is None:
            return
        chosen = next((r for r in self.page.rows if str(r.id) == event.row_key.value), None)
        if chosen is not None:
            detail = mask(change_text(chosen), privacy_on(self)) or "(no field values)"
            reason = f"\nReason: {chosen.reason}" if chosen.reason else ""
            self.notify(
                printable(f"{detail}{reason}"),
                title=printable(
                    f"Event {chosen.id}: {chosen.action} {chosen.entity} {chosen.entity_id}"
                ),
                markup=False,
                timeout=15,
            )

    def _privacy_changed(self, _hidden: bool) -> None:
        if self.page is not None:
            self._render_page()

    def _render_page(self) -> None:
        page = self.page
        assert page is not None
        hidden = privacy_on(self)
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for row in page.rows:
            change = mask(change_text(row), hidden)
            if len(change) > CHANGE_WIDTH:
                change = change[: CHANGE_WIDTH - 1] + "…"
            table.add_row(
                cell(row.occurred_at),
                cell(row.actor_username),
                cell(row.action),
                cell(row.entity),
                cell(row.entity_id),
                cell(row.student_id),
                Text(printable(change)),
                cell(row.reason),
                key=str(row.id),
            )
        count = f"{len(page.rows)}{'+' if page.truncated else ''}"
        noun = "event" if len(page.rows) == 1 else "events"
        who = f" for {page.student_label}" if page.student_label else ""
        self.query_one("#audit-summary", Static).update(
            Text(printable(f"{count} {noun}{who}, newest first"))
        )

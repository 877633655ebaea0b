"""The grade-entry dialogs: an Incomplete's expiry, a posted grade's change reason, the post
confirmation, and the CSV import with its preview. Each is a ModalScreen returning its answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from recordsdesk.services.grade_import import ImportPreview, apply_import, preview_import
from recordsdesk.ui.context import DeskContext, DeskHost
from recordsdesk.ui.errors import describe_error


class IncompleteModal(ModalScreen[date | None]):
    """Asks when an Incomplete expires; Enter accepts the policy's default date."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, student: str, default: date) -> None:
        super().__init__(classes="grade-dialog")
        self.student = student
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(f"Incomplete for {self.student}: expires on (YYYY-MM-DD)"))
            yield Input(self.default.isoformat(), id="incomplete-date")
            yield Static("", id="incomplete-message", markup=False)

    @on(Input.Submitted)
    def _accept(self, event: Input.Submitted) -> None:
        try:
            chosen = date.fromisoformat(event.value.strip())
        except ValueError:
            self.query_one("#incomplete-message", Static).update(
                f"{event.value!r} is not a date; type YYYY-MM-DD."
            )
            return
        if chosen <= date.today():
            self.query_one("#incomplete-message", Static).update("Pick a date after today.")
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)


class GradeChangeModal(ModalScreen[str | None]):
    """A posted mark changes only with a reason, which goes into the audit."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, student: str, before: str, after: str) -> None:
        super().__init__(classes="grade-dialog")
        self.summary = f"Grade change for {student}: posted {before} -> {after}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(self.summary))
            yield Input(
                placeholder="Reason (required), Enter to change, Esc to cancel", id="change-reason"
            )
            yield Static("", id="change-message", markup=False)

    @on(Input.Submitted)
    def _accept(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#change-message", Static).update("A grade change needs a reason.")
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmPostModal(ModalScreen[bool]):
    """Posting makes marks final: the clerk sees who still has no mark before saying yes."""

    BINDINGS = [
        Binding("y,enter", "post", "Post"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, section: str, to_post: int, without_mark: tuple[str, ...]) -> None:
        super().__init__(classes="grade-dialog")
        self.section = section
        self.to_post = to_post
        self.without_mark = without_mark

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(
                Text(
                    f"Post {self.to_post} marks of {self.section}? Posted marks are "
                    "final: changes then need a reason."
                )
            )
            if self.without_mark:
                yield Static(f"{len(self.without_mark)} students have no mark yet:")
                with VerticalScroll(id="post-missing"):
                    yield Static(Text("\n".join(self.without_mark)))
            else:
                yield Static("Every student has a mark.")
            yield Static("y / Enter: post    n / Esc: cancel", classes="dialog-keys")

    def action_post(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


@dataclass
class ImportChecked(Message):
    text: str
    preview: ImportPreview | None
    applied: bool
    error: str = ""


class ImportModal(ModalScreen[bool]):
    """Paste the instructor's CSV (or type a file path on the first line), F6 previews every
    change and error line, F8 applies all of it in one transaction; dismisses True if applied."""

    BINDINGS = [
        Binding("f6", "preview", "Preview", priority=True),
        Binding("f8", "apply", "Apply", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, section_id: int, section: str) -> None:
        super().__init__(classes="grade-dialog")
        self.section_id = section_id
        self.section = section
        self._previewed: tuple[str, ImportPreview] | None = None

    @property
    def desk(self) -> DeskContext:
        host: DeskHost = self.app  # type: ignore[assignment]
        return host.desk

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box import-box"):
            yield Static(
                Text(
                    f"Import marks into {self.section}: paste 'student number,mark' "
                    "lines, or a CSV file's path.  F6 preview · F8 apply · Esc cancel"
                )
            )
            yield TextArea(id="import-text")
            with VerticalScroll(id="import-preview"):
                yield Static("", id="import-result", markup=False)

    def _source(self) -> str:
        """The pasted text, or the file named when the only line is an existing path."""
        text = self.query_one("#import-text", TextArea).text
        stripped = text.strip()
        if stripped and "\n" not in stripped and "," not in stripped:
            path = Path(stripped).expanduser()
            if path.is_file():
                return path.read_text(encoding="utf-8-sig")
        return text

    def action_preview(self) -> None:
        try:
            source = self._source()
        except (OSError, UnicodeDecodeError) as exc:
            self._show(f"Cannot read the file: {exc}")
            return
        self._check(source, apply=False)

    def action_apply(self) -> None:
        if self._previewed is None:
            self._show("Preview first (F6): nothing is applied unseen.")
            return
        text, preview = self._previewed
        if not preview.ok:
            self._show("Fix the lines listed first; nothing was applied.\n\n" + _describe(preview))
            return
        self._check(text, apply=True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def _show(self, message: str) -> None:
        self.query_one("#import-result", Static).update(message)

    @work(thread=True, exclusive=True, group="grade-import", exit_on_error=False)
    def _check(self, text: str, apply: bool) -> None:
        service = apply_import if apply else preview_import
        try:
            preview = self.desk.call(service, section_id=self.section_id, text=text)
        except Exception as exc:  # shown in the dialog, which stays open
            self.post_message(ImportChecked(text, None, apply, describe_error(exc)))
            return
        self.post_message(ImportChecked(text, preview, apply))

    @on(ImportChecked)
    def _checked(self, message: ImportChecked) -> None:
        if message.preview is None:
            self._previewed = None
            self._show(f"Nothing was applied: {message.error}")
            return
        if message.applied:
            self.app.notify(
                f"Imported {len(message.preview.changes)} marks into {self.section}.", markup=False
            )
            self.dismiss(True)
            return
        self._previewed = (message.text, message.preview)
        self._show(_describe(message.preview))


def _describe(preview: ImportPreview) -> str:
    lines = [
        f"{len(preview.changes)} changes, {len(preview.problems)} lines with errors, "
        f"{preview.unchanged} unchanged."
        + ("  F8 applies all of them." if preview.ok and preview.changes else "")
    ]
    if preview.problems:
        lines.append("")
        lines.extend(f"ERROR {p}" for p in preview.problems)
    if preview.changes:
        lines.append("")
        lines.extend(
            f"line {c.line}: {c.student_number} {c.name}: {c.old_mark or '-'} -> {c.new_mark}"
            + (f" (expires {c.incomplete_expires.isoformat()})" if c.incomplete_expires else "")
            for c in preview.changes
        )
    return "\n".join(lines)

"""The grade-entry dialogs: an Incomplete's expiry, a posted grade's change reason, the post
confirmation, and the CSV import with its preview. Each is a ModalScreen returning its answer."""

from __future__ import annotations

from collections.abc import Callable
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
from textual.widgets import Static, TextArea
from textual.widgets.input import Selection

from recordsdesk.services.grades import marks as grading
from recordsdesk.services.grades.marks_import import (
    ImportConflicts,
    ImportPreview,
    apply_import,
    preview_import,
)
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.ui.context import DeskContext, DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.widgets.typeahead import KeyedInput, TypeAheadScreen


def parse_expiry(typed: str) -> date | str:
    """The expiry date typed in a dialog, or why it is not one (the service's own rule)."""
    try:
        chosen = date.fromisoformat(typed.strip())
    except ValueError:
        return f"{typed.strip()!r} is not a date; type YYYY-MM-DD."
    try:
        return grading.check_incomplete_expiry(chosen)
    except ValidationFailed as exc:
        return exc.message


class IncompleteModal(TypeAheadScreen, ModalScreen[date | None]):
    """Asks when an Incomplete expires; Enter accepts the policy's default date. The answer goes
    to `answer` the moment Enter is handled, before any key typed after it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, student: str, default: date, answer: Callable[[date | None], None]) -> None:
        super().__init__(classes="grade-dialog")
        self.student = student
        self.default = default
        self.answer = answer

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(f"Incomplete for {self.student}: expires on (YYYY-MM-DD)"))
            field = KeyedInput(self.default.isoformat(), id="incomplete-date")
            field.submit_now = self._accept
            yield field
            yield Static("", id="incomplete-message", markup=False)

    def _accept(self, typed: str) -> None:
        chosen = parse_expiry(typed)
        if isinstance(chosen, str):
            self.query_one("#incomplete-message", Static).update(chosen)
            return
        self.answer(chosen)
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.answer(None)
        self.dismiss(None)


@dataclass(frozen=True)
class GradeChange:
    reason: str
    incomplete_expires: date | None = None


class GradeChangeModal(TypeAheadScreen, ModalScreen[GradeChange | None]):
    """A posted mark changes only with a reason, which goes into the audit; a change to an
    Incomplete then asks its expiry date (the policy's default offered), in the same field so
    keys typed ahead land in order. The answer goes to `answer` when the last Enter is handled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        student: str,
        before: str,
        after: str,
        answer: Callable[[GradeChange | None], None],
        incomplete_default: date | None = None,
    ) -> None:
        super().__init__(classes="grade-dialog")
        self.summary = f"Grade change for {student}: posted {before} -> {after}"
        self.answer = answer
        self.incomplete_default = incomplete_default
        self.reason: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(self.summary))
            yield Static("Reason (required):", id="change-prompt")
            field = KeyedInput(
                placeholder="Reason (required), Enter to change, Esc to cancel", id="change-reason"
            )
            field.submit_now = self._accept
            yield field
            yield Static("", id="change-message", markup=False)

    def _accept(self, typed: str) -> None:
        message = self.query_one("#change-message", Static)
        if self.reason is None:
            if not typed.strip():
                message.update("A grade change needs a reason.")
                return
            self.reason = typed.strip()
            if self.incomplete_default is not None:  # an Incomplete: now its expiry
                self.query_one("#change-prompt", Static).update(
                    Text(f"Reason: {self.reason}\nI expires on (YYYY-MM-DD, Enter: policy date):")
                )
                field = self.query_one("#change-reason", KeyedInput)
                field.value = self.incomplete_default.isoformat()
                field.selection = Selection(0, len(field.value))
                message.update("")
                return
            self._done(GradeChange(self.reason))
            return
        chosen = parse_expiry(typed)
        if isinstance(chosen, str):
            message.update(chosen)
            return
        self._done(GradeChange(self.reason, chosen))

    def _done(self, change: GradeChange) -> None:
        self.answer(change)
        self.dismiss(change)

    def action_cancel(self) -> None:
        self.answer(None)
        self.dismiss(None)


class ConfirmPostModal(TypeAheadScreen, ModalScreen[bool]):
    """Posting makes marks final: the clerk sees who still has no mark before saying yes."""

    KEYS_AS_BINDINGS = True

    BINDINGS = [
        Binding("y,enter", "post", "Post"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        section: str,
        to_post: int,
        without_mark: tuple[str, ...],
        answer: Callable[[bool], None],
    ) -> None:
        super().__init__(classes="grade-dialog")
        self.answer = answer
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
        self.answer(True)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.answer(False)
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
        try:
            if apply:
                assert self._previewed is not None
                preview = self.desk.call(
                    apply_import,
                    section_id=self.section_id,
                    text=text,
                    previewed=self._previewed[1],
                )
            else:
                preview = self.desk.call(preview_import, section_id=self.section_id, text=text)
        except ImportConflicts as conflicts:  # listed one per line, theirs vs the file's
            self.post_message(ImportChecked(text, None, apply, _describe_conflicts(conflicts)))
            return
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


def _describe_conflicts(error: ImportConflicts) -> str:
    count = len(error.conflicts)
    lines = [
        f"{count} mark{'s' if count != 1 else ''} changed at another desk since the preview, "
        "so the import was not applied (all or nothing). Preview again (F6) to see the marks "
        "as they are now.",
        "",
    ]
    lines.extend(
        f"CONFLICT line {c.line}: {c.student_number} {c.name}: theirs {c.theirs or '-'} "
        f"(was {c.previewed or '-'}), yours {c.yours or '-'}"
        for c in error.conflicts
    )
    return "\n".join(lines)


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

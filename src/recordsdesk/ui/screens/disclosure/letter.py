"""An enrollment verification letter from the record (v): the page exactly as it prints, for
the term under way or the terms typed (m); e exports a PDF, x a text copy, p prints. Each
release asks for whom (blank: the student), why and the consent relied on, and is logged with
its own verification code; a confidential student's letter to someone else is refused, with the
reason beside the consent field, unless a consent covering enrollment is named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Label, OptionList, Static

from recordsdesk.config import data_dir
from recordsdesk.render.letter_layout import Letter, letter_pages
from recordsdesk.render.transcript_rich import page_rich
from recordsdesk.services.disclosure.consents import list_consents
from recordsdesk.services.disclosure.letters import (
    ReleasedLetter,
    preview_letter,
    print_letter,
    release_letter_to_file,
    suggested_letter_name,
)
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import OutputExists, confined
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import FieldRow, ReasonModal, show_errors, values
from recordsdesk.ui.screens.registration.dialogs import ConfirmModal
from recordsdesk.ui.widgets.consent_choice import ConsentChoice
from recordsdesk.ui.widgets.form_input import FormInput, fields_settled


@dataclass(frozen=True)
class LetterRelease:
    """What the release dialog gathered; `fmt` is pdf, text or print."""

    fmt: str
    recipient: str
    purpose: str
    consent_id: int | None
    path: str
    overwrite: bool = False


@dataclass
class ConsentsLoaded(Message):
    consents: list[tuple[int, str]]


@dataclass
class LetterLoaded(Message):
    letter: Letter


@dataclass
class LetterRefused(Message):
    field: str
    message: str


@dataclass
class LetterReleased(Message):
    copy: ReleasedLetter
    where: str


@dataclass
class LetterWouldOverwrite(Message):
    release: LetterRelease


class LetterReleaseModal(ModalScreen[ReleasedLetter | None]):
    """For whom, why, the consent relied on and (for a file) where; Ctrl+S releases. The
    release runs here, so a refusal stays beside its field with the dialog open."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Release"),
    ]

    def __init__(self, student_id: int, terms: tuple[str, ...], fmt: str, path: str) -> None:
        super().__init__()
        self.student_id = student_id
        self.terms = terms
        self.fmt = fmt
        self.path = path

    def compose(self) -> ComposeResult:
        what = {"pdf": "a PDF", "text": "a text copy", "print": "a printed copy"}[self.fmt]
        with Vertical(id="letter-dialog"):
            yield Label(Text(f"Release {what} of the letter", style="bold"))
            yield FieldRow("recipient", "For whom", placeholder="blank: the student")
            yield FieldRow("purpose", "Purpose", placeholder="loan, insurance, visa")
            if self.fmt != "print":
                yield FieldRow("path", "File", value=self.path, required=True)
            yield ConsentChoice(id="letter-consent")
            yield Static("", id="e-consent", classes="field-message", markup=False)
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#f-recipient").focus()
        self._load_consents()

    @work(thread=True, exclusive=True, group="letter-consents", exit_on_error=False)
    def _load_consents(self) -> None:
        today = date.today()
        found = cast(DeskHost, self.app).desk.call(list_consents, student_id=self.student_id)
        self.post_message(ConsentsLoaded([(c.id, c.summary) for c in found if c.in_force(today)]))

    @on(ConsentsLoaded)
    def _consents(self, message: ConsentsLoaded) -> None:
        self.query_one("#letter-consent", ConsentChoice).show(message.consents)

    @on(FormInput.Entered)
    async def _entered(self, event: FormInput.Entered) -> None:
        last = "f-purpose" if self.fmt == "print" else "f-path"
        if event.control.id == last:
            await self.action_save()

    @on(OptionList.OptionSelected, "#letter-consent")
    async def _consent_chosen(self) -> None:
        await self.action_save()

    async def action_save(self) -> None:
        await fields_settled(self)
        form = values(self)
        self.query_one("#e-consent", Static).update("")
        self._release(
            LetterRelease(
                self.fmt,
                form["recipient"].strip(),
                form["purpose"],
                self.query_one("#letter-consent", ConsentChoice).consent_id,
                form.get("path", "").strip(),
            )
        )

    @work(thread=True, exclusive=True, group="letter-release", exit_on_error=False)
    def _release(self, release: LetterRelease) -> None:
        desk = cast(DeskHost, self.app).desk
        common = {
            "student_id": self.student_id,
            "terms": self.terms,
            "recipient": release.recipient,
        }
        try:
            if release.fmt == "print":
                copy, job = desk.call(
                    print_letter,
                    purpose=release.purpose,
                    consent_id=release.consent_id,
                    **common,
                )
                where = f"printer {job.printer} (job {job.job})"
            else:
                if not release.path:
                    raise ValidationFailed("path", "give the file to write the letter to.")
                copy, target = desk.call(
                    release_letter_to_file,
                    path=Path(release.path),
                    overwrite=release.overwrite,
                    field="path",
                    fmt=release.fmt,
                    purpose=release.purpose,
                    consent_id=release.consent_id,
                    **common,
                )
                where = str(target)
        except OutputExists:
            self.post_message(LetterWouldOverwrite(release))
        except ValidationFailed as refused:
            self.post_message(LetterRefused(refused.field, refused.message))
        except Exception as error:  # noqa: BLE001 - shown in the dialog, which stays open
            self.post_message(LetterRefused("", describe_error(error)))
        else:
            self.post_message(LetterReleased(copy, where))

    @on(LetterWouldOverwrite)
    def _ask_overwrite(self, message: LetterWouldOverwrite) -> None:
        def answered(replace: bool | None) -> None:
            if replace:
                release = message.release
                self._release(
                    LetterRelease(
                        release.fmt,
                        release.recipient,
                        release.purpose,
                        release.consent_id,
                        release.path,
                        overwrite=True,
                    )
                )

        question = f"{message.release.path} already exists. Replace it with this letter?"
        self.app.push_screen(ConfirmModal(question), answered)

    @on(LetterRefused)
    def _refused(self, message: LetterRefused) -> None:
        field = {"--output": "path", "file": "path"}.get(message.field, message.field)
        if field in ("consent", "basis"):  # beside the list of consents
            show_errors(self, {})
            self.query_one("#e-consent", Static).update(Text(message.message, style="bold red"))
            self.query_one("#letter-consent", ConsentChoice).focus()
            return
        self.query_one("#e-consent", Static).update("")
        stray = show_errors(self, {field or "letter": message.message})
        if stray:
            self.notify(message.message, title="Not released", severity="error", markup=False)

    @on(LetterReleased)
    def _released(self, message: LetterReleased) -> None:
        self.app.notify(
            f"Letter sent to {message.where}; verification {message.copy.verification_code}.",
            title="Letter released",
            markup=False,
        )
        self.dismiss(message.copy)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LetterScreen(DeskScreen):
    CSS_PATH = "letter.tcss"
    SCREEN_NAME = "Enrollment verification"
    PURPOSE = (
        "A letter certifying the student's enrollment status per term (full-time, half-time, "
        "less than half-time, from the credits registered and the institution's thresholds), "
        "the term dates, program, expected graduation and any degree; shown exactly as it "
        "prints. m names the terms (codes, separated by spaces; the term under way by "
        "default); e exports a PDF, x a text copy, p prints. Each copy asks for whom (blank: "
        "the student), why and the consent relied on, and is logged in the disclosure log "
        "with its own verification code. Esc goes back to the record."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("m", "terms", "Terms"),
        Binding("e", "release('pdf')", "Export PDF"),
        Binding("x", "release('text')", "Export text"),
        Binding("p", "release('print')", "Print"),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = title
        self.terms: tuple[str, ...] = ()
        self.letter: Letter | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"Loading the letter for {self.student_name}…"), id="letter-band")
        with VerticalScroll(id="letter-scroll"):
            yield Static(id="letter-page")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="letter", exit_on_error=False)
    def _load(self) -> None:
        try:
            letter = self.desk.call(preview_letter, student_id=self.student_id, terms=self.terms)
        except ValidationFailed as refused:
            self.post_message(LetterRefused(refused.field, refused.message))
        else:
            self.post_message(LetterLoaded(letter))

    @on(LetterLoaded)
    def _loaded(self, message: LetterLoaded) -> None:
        self.letter = message.letter
        codes = " ".join(t.code for t in message.letter.terms)
        band = Text(self.student_name, style="bold")
        band.append(f"   terms {codes}  (m to change)")
        self.query_one("#letter-band", Static).update(band)
        self.query_one("#letter-page", Static).update(page_rich(letter_pages(message.letter)[0]))

    @on(LetterRefused)
    def _refused(self, message: LetterRefused) -> None:
        self.query_one("#letter-band", Static).update(
            Text(f"{message.message} Press m to name the terms.", style="bold red")
        )

    def action_back(self) -> None:
        self.dismiss()

    def action_terms(self) -> None:
        def chosen(text: str | None) -> None:
            if text is not None:
                self.terms = tuple(text.replace(",", " ").split())
                self._load()

        self.app.push_screen(
            ReasonModal(
                "Terms to certify (codes, separated by spaces; blank: the term under way):",
                value=" ".join(self.terms),
            ),
            chosen,
        )

    def action_release(self, fmt: str) -> None:
        if self.letter is None:
            self.notify("Name the terms first (m).", severity="warning", markup=False)
            return
        suffix = "pdf" if fmt == "pdf" else "text"
        name = suggested_letter_name(self.letter, fmt=suffix, on=date.today())
        path = str(confined(data_dir() / "exports", name))
        terms = tuple(t.code for t in self.letter.terms)
        self.app.push_screen(LetterReleaseModal(self.student_id, terms, fmt, path))

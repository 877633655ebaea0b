"""Command palette (Ctrl+P): the desk's screens by name, students through the counter lookup
(same matching: any name order, accents, numbers, misspellings), and courses by code or title."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.widgets import DataTable

from recordsdesk.services.catalog.view import CourseRow, list_courses
from recordsdesk.services.lookup.search import StudentRow
from recordsdesk.services.lookup.search import search as lookup_search
from recordsdesk.ui.privacy import mask, privacy_on

if TYPE_CHECKING:
    from recordsdesk.ui.app import RecordsDeskApp

# (command text, what it does, area); an area the signed-in role may not use is not offered.
SCREEN_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Lookup students", "Find a student by name, number, email or birth date", "lookup"),
    ("Catalog", "Courses and their sections, term by term", "catalog"),
    ("Terms", "Terms with their dates, deadlines and status", "terms"),
    ("Grade entry", "Key a section's marks and post them", "grades"),
    ("Audit log", "Who changed what, and when", "audit"),
    ("Reports", "Enrollment, dean's list, probation, graduation, ...", "reports"),
    ("Imports", "Students, academic history or a OneRoster set", "imports"),
    ("Staff accounts", "Add and disable staff accounts", "staff"),
)
STUDENT_HITS = 8
COURSE_HITS = 8


class DeskScreensProvider(Provider):
    """Open any screen of the desk by typing part of its name; find courses and students too
    (one provider, so the app registers a single class)."""

    _courses: tuple[CourseRow, ...] = ()

    async def startup(self) -> None:
        self._courses = await load_courses(self.desk_app)

    @property
    def desk_app(self) -> RecordsDeskApp:
        return cast("RecordsDeskApp", self.app)

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.desk_app
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            (
                text,
                help_text,
                app.action_lookup if mode == "lookup" else partial(app.switch_mode, mode),
            )
            for text, help_text, mode in SCREEN_COMMANDS
            if app.role_allows("switch_mode", (mode,))
        ]
        if app.role_allows("new_student", ()):
            commands.append(("New student", "The intake form", app.action_new_student))
        commands.append(
            ("Help for this screen", "What the screen is for and its keys", app.action_help)
        )
        commands.append(("Sign out", "Back to the sign-in screen", app.action_sign_out))
        return commands

    async def discover(self) -> Hits:
        for text, help_text, command in self._commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)
        courses = course_hits(self, self.desk_app, self._courses, query)
        # Students the lookup finds come before courses that only loosely match the letters
        # (the palette lists hits by score; a fuzzy course score has no upper bound).
        floor = max((hit.score for hit in courses), default=0.0)
        async for student_hit in student_hits(self.desk_app, query, floor):
            yield student_hit
        for course_hit in courses:
            yield course_hit


async def student_hits(app: RecordsDeskApp, query: str, floor: float = 0.0) -> Hits:
    """The lookup's first students for `query`, in its order, scored above `floor`."""
    if len(query.strip()) < 2 or not app.desk.actor.username:
        return
    try:  # the database call runs off the event loop, like every screen's
        result = await asyncio.to_thread(
            app.desk.call, lookup_search, query=query, limit=STUDENT_HITS
        )
    except Exception:  # noqa: BLE001 - a palette search never interrupts typing
        return
    for position, row in enumerate(result.rows):
        text = f"{row.display_name}  {row.student_number}"
        yield Hit(
            floor + 1.0 - 0.05 * position,
            Text(text),
            partial(open_student, app, row),
            text=text,
            help=_student_help(row, hidden=privacy_on(app)),
        )


def _student_help(row: StudentRow, *, hidden: bool) -> str:
    """The hit's second line; the privacy key hides the birth date here as on every screen."""
    parts = ["Student", row.program_code, row.status.replace("_", " ")]
    if row.birth_date:
        parts.append(f"born {mask(row.birth_date.isoformat(), hidden)}")
    if row.has_hold:
        parts.append("HOLD")
    if row.confidential:
        parts.append("CONFIDENTIAL")
    return " · ".join(p for p in parts if p)


def open_student(app: RecordsDeskApp, row: StudentRow) -> None:
    """The record over the lookup, in place of whatever was open there (Esc: the lookup)."""
    from recordsdesk.ui.screens.people.record import StudentScreen

    app.open_over_area("lookup", StudentScreen(row.id, title=row.display_name))


async def load_courses(app: RecordsDeskApp) -> tuple[CourseRow, ...]:
    if not app.desk.actor.username:
        return ()
    try:
        return await asyncio.to_thread(app.desk.call, list_courses)
    except Exception:  # noqa: BLE001 - no course hits rather than a broken palette
        return ()


def course_hits(
    provider: Provider, app: RecordsDeskApp, courses: tuple[CourseRow, ...], query: str
) -> list[Hit]:
    matcher = provider.matcher(query)
    found: list[tuple[float, str, CourseRow]] = []
    for course in courses:
        text = f"{course.code}  {course.title}"
        score = matcher.match(text)
        if score > 0:
            found.append((score, text, course))
    found.sort(key=lambda hit: -hit[0])
    return [
        Hit(
            score * 0.8,
            matcher.highlight(text),
            partial(open_course, app, course.id),
            text=text,
            help=f"Course · {course.credits} credits · {course.department}",
        )
        for score, text, course in found[:COURSE_HITS]
    ]


def open_course(app: RecordsDeskApp, course_id: int, attempts: int = 40) -> None:
    """Show the catalog with the course highlighted (once its list has loaded)."""
    app.switch_mode("catalog")

    def select() -> None:
        try:
            table = app.screen.query_one("#course-table", DataTable)
            table.move_cursor(row=table.get_row_index(str(course_id)))
        except Exception:  # noqa: BLE001 - not loaded yet (or gone): try again shortly
            if attempts > 1:
                app.set_timer(0.05, partial(open_course_retry, app, course_id, attempts - 1))

    app.call_later(select)


def open_course_retry(app: RecordsDeskApp, course_id: int, attempts: int) -> None:
    if app.current_mode == "catalog":
        open_course(app, course_id, attempts)

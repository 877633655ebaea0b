"""The catalog: every course, and the sections of the highlighted one term by term."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import get_current_worker

from recordsdesk.services.catalog.view import CourseRow, SectionRow, list_courses, list_sections
from recordsdesk.services.grades.basis import bases_text
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.widgets.cells import cell, meeting, words
from recordsdesk.ui.widgets.fit_table import FitTable

COURSE_COLUMNS = ("Code", "Title", "Credits", "Dept", "Level", "Scale", "Bases", "Sections")
LEVELS = {"elementary": "elem", "secondary": "sec", "undergraduate": "UG", "graduate": "grad"}
SECTION_COLUMNS = ("Term", "Status", "Sec", "Instructor", "Meets", "Room", "Cap", "Reg", "Wait")


@dataclass
class CoursesLoaded(Message):
    courses: tuple[CourseRow, ...]


@dataclass
class SectionsLoaded(Message):
    course_id: int
    sections: tuple[SectionRow, ...]


class CatalogScreen(DeskScreen):
    CSS_PATH = "courses.tcss"
    SCREEN_NAME = "Catalog"
    PURPOSE = (
        "The course catalog, read-only: code, title, credits and grading scale of every course. "
        "The lower list shows the sections of the highlighted course in every term, with "
        "capacity, registered and waitlisted counts. Tab moves between the two lists."
    )
    BINDINGS = [
        Binding("escape", "app.switch_mode('lookup')", "Lookup"),
        Binding("ctrl+r", "reload", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the catalog…", id="catalog-summary", markup=False)
        yield FitTable(id="course-table", keep=("Code", "Level", "Scale"))
        yield Static("Sections", id="section-title", markup=False)
        yield FitTable(id="section-table", keep=("Term", "Status", "Sec", "Meets"), drop=("Room",))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#course-table", DataTable).focus()
        self._load_courses()

    def action_reload(self) -> None:
        self._load_courses()

    @work(thread=True, exclusive=True, group="courses", exit_on_error=False)
    def _load_courses(self) -> None:
        self.post_message(CoursesLoaded(self.desk.call(list_courses)))

    @on(CoursesLoaded)
    def _courses_loaded(self, message: CoursesLoaded) -> None:
        self.query_one("#course-table", FitTable).fill(
            COURSE_COLUMNS,
            [
                (
                    cell(c.code),
                    cell(c.title, style="" if c.active else "dim"),
                    cell(c.credits),
                    cell(c.department),
                    cell(LEVELS.get(c.level, c.level)),
                    cell(c.scale_code),
                    cell(bases_text(c.grading_bases)),
                    cell(c.section_count),
                )
                for c in message.courses
            ],
            [str(c.id) for c in message.courses],
        )
        noun = "course" if len(message.courses) == 1 else "courses"
        self.query_one("#catalog-summary", Static).update(f"{len(message.courses)} {noun}")

    @on(DataTable.RowHighlighted, "#course-table")
    def _course_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._load_sections(int(event.row_key.value))

    @work(thread=True, exclusive=True, group="sections", exit_on_error=False)
    def _load_sections(self, course_id: int) -> None:
        sections = self.desk.call(list_sections, course_id=course_id)
        if not get_current_worker().is_cancelled:
            self.post_message(SectionsLoaded(course_id, sections))

    @on(SectionsLoaded)
    def _sections_loaded(self, message: SectionsLoaded) -> None:
        courses = self.query_one("#course-table", DataTable)
        if not courses.row_count:
            return
        highlighted = courses.coordinate_to_cell_key(courses.cursor_coordinate).row_key.value
        if highlighted != str(message.course_id):  # the cursor has moved on
            return
        self.query_one("#section-table", FitTable).fill(
            SECTION_COLUMNS,
            [
                (
                    cell(s.term_code),
                    words(s.term_status),
                    cell(s.section_code),
                    cell(s.instructor),
                    meeting(s.meeting_days, s.start_time, s.end_time),
                    cell(s.room),
                    cell(s.capacity),
                    cell(s.registered),
                    cell(s.waitlisted),
                )
                for s in message.sections
            ],
        )
        code = message.sections[0].course_code if message.sections else ""
        title = Text(f"Sections of {code}" if code else "No sections of this course yet")
        self.query_one("#section-title", Static).update(title)

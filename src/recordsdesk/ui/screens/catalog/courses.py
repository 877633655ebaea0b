"""The catalog: every course, and the sections of the highlighted one term by term; an
administrator sets the highlighted course's grading bases and default (b) here."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import get_current_worker

from recordsdesk.services.access.permissions import Action
from recordsdesk.services.catalog.view import CourseRow, SectionRow, list_courses, list_sections
from recordsdesk.services.grades.basis import allowed_bases, bases_text, label, short_name
from recordsdesk.services.registration.basis import set_course_bases
from recordsdesk.ui.navigation import Gate, may_use, refusal
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.form_modal import FormField, FormModal
from recordsdesk.ui.widgets.cells import cell, meeting, words
from recordsdesk.ui.widgets.fit_table import FitTable

COURSE_COLUMNS = ("Code", "Title", "Credits", "Dept", "Level", "Scale", "Bases", "Sections")
LEVELS = {"elementary": "elem", "secondary": "sec", "undergraduate": "UG", "graduate": "grad"}
#: The catalog's one change, for administrators.
BASES_GATE = Gate("Changing a course's grading bases", Action.CATALOG_MANAGE)
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
        "capacity, registered and waitlisted counts. Tab moves between the two lists. b sets "
        "the highlighted course's grading bases and the one registration gives (admin; "
        "enrollments already made keep theirs)."
    )
    BINDINGS = [
        Binding("escape", "app.switch_mode('lookup')", "Lookup"),
        Binding("ctrl+r", "reload", "Refresh"),
        Binding("b", "bases", "Grading bases"),
        # The twin a role without the change gets (hidden by check_action): it names the role.
        Binding("b", "refuse_bases", "", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.courses: dict[str, CourseRow] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the catalog…", id="catalog-summary", markup=False)
        yield FitTable(id="course-table", keep=("Code", "Scale"), drop=("Dept", "Level"))
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """b is the administrator's; any other role gets its twin, which says who may."""
        if action in ("bases", "refuse_bases"):
            return may_use(self.desk.actor, BASES_GATE) == (action == "bases")
        return True

    def action_refuse_bases(self) -> None:
        self.notify(
            refusal(self.desk.actor, BASES_GATE),
            title="Not for this role",
            severity="error",
            markup=False,
        )

    def _highlighted(self) -> CourseRow | None:
        table = self.query_one("#course-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.courses.get(str(key))

    def action_bases(self) -> None:
        """The highlighted course's bases and default in a form; saved through the same
        service as `recordsdesk catalog course-bases`, audited there."""
        course = self._highlighted()
        if course is None:
            return
        code = course.code
        shown = ", ".join(short_name(b) or b for b in allowed_bases(course.grading_bases))
        fields = (
            FormField(
                "bases",
                "Bases",
                shown,
                "graded, P/NP, S/U, CR/NC, AU (comma-separated)",
                required=True,
            ),
            FormField("default", "Default", short_name(course.default_grading_basis) or "graded"),
        )

        def submit(typed: dict[str, str]) -> tuple[str, ...]:
            return self.desk.call(
                set_course_bases,
                course_code=code,
                bases_text=typed["bases"],
                default=typed["default"].strip() or None,
            )

        def saved(result: object | None) -> None:
            if isinstance(result, tuple):
                self.notify(
                    f"{code}: {', '.join(label(b) for b in result)}.", title="Saved", markup=False
                )
                self._load_courses()

        note = (
            "Which grading bases a student may choose in this course, and the one registration "
            "gives (blank: the first listed). Enrollments already made keep their basis."
        )
        self.app.push_screen(
            FormModal(f"Grading bases of {code}", fields, submit, note=note), saved
        )

    @on(CoursesLoaded)
    def _courses_loaded(self, message: CoursesLoaded) -> None:
        self.courses = {str(c.id): c for c in message.courses}
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

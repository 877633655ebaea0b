"""`import oneroster`: a OneRoster 1.1 (or 1.2) CSV set into programs, terms, courses, sections,
students and enrollments, keyed by sourcedId in `external_key` so a second import updates.

How OneRoster maps here (docs/guide/imports-exports.md says the same for users):
- orgs -> programs (code: `identifier`, else the sourcedId); districts and state or national
  bodies are not programs and are skipped.
- academicSessions of type term, semester or schoolYear -> terms (code: the sourcedId); a
  gradingPeriod is part of a term, not one, and becomes a term only when a class names it.
- courses -> courses (code: `courseCode`, else the sourcedId; 1 credit, the default scale:
  OneRoster carries neither); a course named by a class but absent is made from the class.
- classes -> sections (code: `classCode` without spaces when it fits, in the first term listed);
  the class's teachers (enrollment role teacher) become the section's instructor.
- users who are students (role student in users.csv or roles.csv, or a student enrollment) ->
  students (number: `identifier`, else the sourcedId); a parent, guardian or relative linked by
  `agentSourcedIds` becomes the student's guardian; demographics give the birth date.
- enrollments with role student -> registered enrollments.
- status tobedeleted: nothing is created for the row; an enrollment already imported is dropped
  (unless it has a posted grade). Students, terms, courses and sections are never deleted.
- a bulk enrollments file is the whole roster of its classes: an enrollment imported before and
  missing now is dropped the same way; a delta file only adds and changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    GradeStatus,
    Institution,
    Program,
    Section,
    Student,
    StudentStatus,
    Term,
    TermStatus,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.interchange.imports.audit_batch import AuditBatch
from recordsdesk.services.interchange.imports.common import (
    ImportReport,
    Problems,
    Progress,
    no_progress,
)
from recordsdesk.services.interchange.imports.keys import DEFERRED_ROWS, KeyedWriter, fit
from recordsdesk.services.interchange.imports.oneroster_plan import RosterPlan, full_name
from recordsdesk.services.interchange.imports.oneroster_read import (
    SYSTEM,
    Record,
    read_set,
)
from recordsdesk.services.people.student import EMAIL

NOT_PROGRAMS = ("district", "state", "national", "local")
GUARDIAN_ROLES = ("parent", "guardian", "relative")
DEFAULT_CREDITS = Decimal("1")
_LEVEL = {"elementary": "elementary", "secondary": "secondary"}
#: A new enrollment of the set: (label, its sourcedIds, the file and line of the first).
_Fresh = tuple[str, list[str], dict[str, Any]]


def import_oneroster(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    report: ImportReport | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Import the OneRoster set in the folder `path` into the caller's transaction.

    Raises ImportFailed naming file, line and column for each broken row (a missing required
    column, a bad date, a dangling reference, a duplicate sourcedId) before writing anything.
    """
    authorize(actor, Action.IMPORT_RUN)
    report = report or ImportReport("oneroster", path.name)
    problems = Problems(path.name)
    roster = read_set(path, problems)
    plan = RosterPlan(roster, problems)
    problems.raise_if_any()
    report.warnings.extend(roster.warnings + plan.warnings)
    writer = _Writer(session, actor, report, plan)
    writer.write(progress)
    report.rows += sum(len(rows) for rows in roster.records.values())
    return report


def _keeps_relationship(current: Student, values: dict[str, Any]) -> bool:
    """OneRoster only says parent, guardian or relative: a record that names the same guardian
    more precisely (mother, grandfather...) keeps its word."""
    word = current.guardian_relationship
    return (
        "guardian_relationship" in values
        and bool(word)
        and word.lower() not in GUARDIAN_ROLES
        and current.guardian_name == values.get("guardian_name")
    )


class _Writer:
    def __init__(
        self, session: Session, actor: Actor, report: ImportReport, plan: RosterPlan
    ) -> None:
        self.session, self.actor, self.report, self.plan = session, actor, report, plan
        self.batch = AuditBatch(session, actor, reason=f"oneroster import {report.source}")
        self.keys = KeyedWriter(session, self.batch, report, SYSTEM)
        institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
        assert institution is not None and institution.default_grading_scale_id is not None
        self.level = _LEVEL.get(institution.level, "undergraduate")
        self.program_level = self.level
        self.scale_id = institution.default_grading_scale_id
        self.programs: dict[str, int] = {}
        self.terms: dict[str, int] = {}
        self.courses: dict[str, int] = {}
        self.sections: dict[str, int] = {}
        self.students: dict[str, int] = {}
        self.listed_by: dict[str, Record] | None = None

    def write(self, progress: Progress) -> None:
        steps = (
            ("programs", self._programs),
            ("terms", self._terms),
            ("courses", self._courses),
            ("sections", self._sections),
            ("students", self._students),
            ("enrollments", self._enrollments),
        )
        for index, (stage, step) in enumerate(steps):
            progress(stage, index, len(steps))
            step()
        self.keys.flush_audit()
        self.batch.flush()
        progress("done", len(steps), len(steps))

    def _programs(self) -> None:
        for org in self.plan.orgs.values():
            if org.deleted or org.get("type").lower() in NOT_PROGRAMS:
                continue
            code = fit(org.get("identifier") or org.source_id, 20)
            row = self.keys.upsert(
                Program,
                org.source_id,
                {"name": org.get("name") or code},
                natural=(select(Program).where(Program.code == code)),
                create_only={"code": code, "level": self.program_level},
                label=code,
            )
            assert row.id is not None
            self.programs[org.source_id] = row.id

    def _terms(self) -> None:
        today = date.today()
        for sid, record in self.plan.sessions.items():
            if not self.plan.is_term(sid):
                continue
            start, end = self.plan.session_dates[sid]
            assert start is not None and end is not None
            code = fit(sid, 20)
            status = (
                TermStatus.CLOSED
                if end < today
                else TermStatus.IN_PROGRESS
                if start <= today
                else TermStatus.PLANNED
            ).value
            row = self.keys.upsert(
                Term,
                sid,
                {"name": record.get("title") or code, "start_date": start, "end_date": end},
                natural=(select(Term).where(Term.code == code)),
                create_only={"code": code, "status": status},
                label=code,
            )
            assert row.id is not None
            self.terms[sid] = row.id

    def _course(self, source_id: str, title: str, course_code: str) -> None:
        code = fit(course_code or source_id, 20)
        if code not in self.known_courses:  # a code not read with the set's (made from a class)
            found = self.session.exec(select(Course).where(Course.code == code)).first()
            self.known_courses[code] = found
        natural = self.known_courses[code]
        if natural is not None and natural.id is None:  # two courses of one code: the first
            self.keys.flush_new()  # is inserted, and the second is the same row
        self.made_courses[source_id] = self.known_courses[code] = self.keys.upsert(
            Course,
            source_id,
            {"title": title or code},
            natural=natural,
            create_only={
                "code": code,
                "credits": DEFAULT_CREDITS,
                "level": self.level,
                "grading_scale_id": self.scale_id,
            },
            label=code,
            defer=True,
        )

    def _courses(self) -> None:
        """The set's courses: those in the records read in a few queries, the new ones
        inserted together."""
        self.made_courses: dict[str, Course] = {}
        codes = sorted(
            {
                fit(r.get("courseCode") or r.source_id, 20)
                for r in self.plan.courses.values()
                if not r.deleted
            }
        )
        self.known_courses: dict[str, Course | None] = dict.fromkeys(codes)
        for start in range(0, len(codes), 1000):
            query = select(Course).where(col(Course.code).in_(codes[start : start + 1000]))
            for course in self.session.exec(query):
                self.known_courses[course.code] = course
        for record in self.plan.courses.values():
            if not record.deleted:
                self._course(record.source_id, record.get("title"), record.get("courseCode"))
        self.keys.flush_new()
        self._remember_courses()
        for record in self.plan.classes:
            course_id = record.get("courseSourcedId")
            if course_id in self.courses:
                continue
            known = self.keys.local_id("course", course_id)
            if known is not None:  # imported before (a delta set without courses.csv)
                self.courses[course_id] = known
                self.report.note("course", "unchanged")
                continue
            self.report.warnings.append(
                f"{record.file}:{record.line}: course {course_id} is "
                "not in the set; made from the class."
            )
            self._course(course_id, record.get("title"), "")
            self.keys.flush_new()
            self._remember_courses()

    def _remember_courses(self) -> None:
        for source_id, row in self.made_courses.items():
            assert row.id is not None
            self.courses[source_id] = row.id
        self.made_courses = {}

    def _sections(self) -> None:
        used: set[tuple[int, int, str]] = set()
        term_ids = sorted(set(self.terms.values()))
        known = {
            (row.term_id, row.course_id, row.section_code): row
            for row in self.session.exec(select(Section).where(col(Section.term_id).in_(term_ids)))
        }
        made: dict[str, Section] = {}
        for record in self.plan.classes:
            term_id = self.terms.get(self.plan.term_of[record.source_id])
            course_id = self.courses.get(record.get("courseSourcedId"))
            assert term_id is not None and course_id is not None
            code = record.get("classCode").replace(" ", "")
            if not code or len(code) > 10 or (term_id, course_id, code) in used:
                code = fit(record.source_id, 10)
            used.add((term_id, course_id, code))
            teachers = ", ".join(self.plan.teachers.get(record.source_id, []))
            made[record.source_id] = self.keys.upsert(
                Section,
                record.source_id,
                {"instructor": teachers, "room": record.get("location")},
                natural=known.get((term_id, course_id, code)),
                create_only={"term_id": term_id, "course_id": course_id, "section_code": code},
                label=f"{record.get('title')} ({code})",
                defer=True,
            )
        self.keys.flush_new()
        for source_id, row in made.items():
            assert row.id is not None
            self.sections[source_id] = row.id

    def _guardian(self, student: Record) -> Record | None:
        plan = self.plan

        def is_guardian(sid: str) -> bool:
            return bool(plan.roles.get(sid, set()) & set(GUARDIAN_ROLES))

        for agent in student.many("agentSourcedIds"):
            if agent in plan.users and is_guardian(agent) and not plan.users[agent].deleted:
                return plan.users[agent]
        if self.listed_by is None:  # who lists each user as their agent, built once
            self.listed_by = {}
            for sid, user in plan.users.items():
                if is_guardian(sid) and not user.deleted:
                    for agent in user.many("agentSourcedIds"):
                        self.listed_by.setdefault(agent, user)
        return self.listed_by.get(student.source_id)

    def _student_values(self, user: Record) -> dict[str, Any]:
        values: dict[str, Any] = {
            "legal_first_name": user.get("givenName"),
            "legal_middle_name": user.get("middleName"),
            "legal_last_name": user.get("familyName"),
            "email": self._email(user, "email"),
            "phone": user.get("phone"),
            "grade_level": fit(user.many("grades")[0], 20) if user.many("grades") else "",
        }
        preferred = user.get("preferredGivenName") or user.get("prefferedGivenName")
        if "preferredgivenname" in user.cells or "prefferedgivenname" in user.cells:
            values["preferred_name"] = preferred
        orgs = [*user.many("orgSourcedIds"), user.get("primaryOrgSourcedId")]
        orgs += [
            r.get("orgSourcedId")
            for r in self.plan.roster.rows("roles")
            if r.get("userSourcedId") == user.source_id
        ]
        program = next((self.programs[o] for o in orgs if o in self.programs), None)
        if program is not None or self.plan.roster.present("orgs"):
            values["program_id"] = program
        if user.source_id in self.plan.birth:
            values["birth_date"] = self.plan.birth[user.source_id]
        guardian = self._guardian(user)
        if guardian is not None:
            roles = self.plan.roles.get(guardian.source_id, set()) & set(GUARDIAN_ROLES)
            values |= {
                "guardian_name": full_name(guardian),
                "guardian_relationship": sorted(roles)[0],
                "guardian_email": self._email(guardian, "email"),
                "guardian_phone": guardian.get("phone"),
            }
        return values

    def _email(self, user: Record, column: str) -> str:
        email = user.get(column)
        if email and not EMAIL.fullmatch(email):
            self.report.warnings.append(
                f"{user.file}:{user.line}: {email!r} is not an email address; left empty."
            )
            return ""
        return email

    def _known_students(self, numbers: list[str]) -> tuple[dict[str, Student], dict[int, Student]]:
        """The students the set may name, by number and by id (by key), in a few queries."""
        by_number: dict[str, Student] = {}
        for start in range(0, len(numbers), 1000):
            query = select(Student).where(
                col(Student.student_number).in_(numbers[start : start + 1000])
            )
            by_number.update((row.student_number, row) for row in self.session.exec(query))
        by_id = {row.id: row for row in by_number.values() if row.id is not None}
        keyed = sorted(
            local
            for (entity, _sid), local in self.keys.keys.items()
            if entity == "student" and local not in by_id
        )
        for start in range(0, len(keyed), 1000):
            query = select(Student).where(col(Student.id).in_(keyed[start : start + 1000]))
            by_id.update((row.id, row) for row in self.session.exec(query) if row.id is not None)
        return by_number, by_id

    def _students(self) -> None:
        users = {sid: self.plan.users.get(sid) for sid in sorted(self.plan.students)}
        numbers = {
            sid: fit(user.get("identifier") or sid, 20)
            for sid, user in users.items()
            if user is not None
        }
        by_number, by_id = self._known_students(sorted(set(numbers.values())))
        made: dict[str, int] = {}
        # New students go in by multi-row INSERTs (`create_many`), DEFERRED_ROWS at a time as
        # `upsert` would flush them, so their rows, keys and events are the ones it writes.
        fresh: list[tuple[str, dict[str, Any], str, dict[str, Any] | None]] = []
        fresh_numbers: set[str] = set()
        created: dict[str, int] = {}  # number -> id of a student this import made

        def create_fresh() -> None:
            ids = self.keys.create_many(Student, fresh, as_upsert=True)
            for (sid, values, _label, _where), new_id in zip(fresh, ids, strict=True):
                made[sid] = created[values["student_number"]] = new_id
            fresh.clear()
            fresh_numbers.clear()

        for sid, user in users.items():
            if user is None:
                local = self.keys.local_id("student", sid)
                if local is None:
                    self.report.warnings.append(
                        f"student {sid} is not in users.csv and was "
                        "never imported; their enrollments are skipped."
                    )
                else:
                    self.students[sid] = local
                continue
            if not user.get("familyName"):
                self.plan.problems.add(
                    user.line, "a student needs a family name.", "familyName", user.file
                )
                continue
            number = numbers[sid]
            if number in fresh_numbers:  # a second user with the number: the first is written
                create_fresh()
            if number in created and number not in by_number:
                by_number[number] = self.session.get_one(Student, created[number])
            local = self.keys.local_id("student", sid)
            # Every student the set's keys name was read by _known_students.
            current = (by_id.get(local) if local is not None else None) or by_number.get(number)
            values = self._student_values(user)
            now = utcnow()
            create_only = {
                "student_number": number,
                "status": StudentStatus.ACTIVE.value,
                "created_at": now,
                "updated_at": now,
            }
            label = f"{number} {full_name(user)}"
            where = {"file": user.file, "line": user.line}
            if current is None:
                fresh.append((sid, values | create_only, label, where))
                fresh_numbers.add(number)
                made[sid] = 0  # its id once written: the students stay in the file's order
                if len(fresh) >= DEFERRED_ROWS:
                    create_fresh()
                continue
            if current is not None and _keeps_relationship(current, values):
                values["guardian_relationship"] = current.guardian_relationship
            row = by_number[number] = self.keys.upsert(
                Student,
                sid,
                values,
                natural=by_number.get(number),
                create_only=create_only,
                label=label,
                where=where,
            )
            assert row.id is not None
            made[sid] = row.id
        self.plan.problems.raise_if_any()
        if fresh:
            create_fresh()
        self.students.update(made)

    def _enrollments(self) -> None:
        # Every enrollment of the set's sections in one pass (the rows stay in the session, so
        # finding each again by its key costs no query).
        section_ids = sorted(set(self.sections.values()))
        enrolled: dict[tuple[int, int], Enrollment] = {}
        fresh: dict[tuple[int, int], _Fresh] = {}
        for start in range(0, len(section_ids), 1000):
            query = select(Enrollment).where(
                col(Enrollment.section_id).in_(section_ids[start : start + 1000])
            )
            for row in self.session.exec(query):
                enrolled.setdefault((row.student_id, row.section_id), row)
        for record in self.plan.student_enrollments:
            student_id = self.students.get(record.get("userSourcedId"))
            section_id = self.sections.get(record.get("classSourcedId")) or self.keys.local_id(
                "section", record.get("classSourcedId")
            )
            if student_id is None or section_id is None:
                self.report.warnings.append(
                    f"{record.file}:{record.line}: enrollment skipped "
                    "(its student or class is not imported)."
                )
                continue
            pair = (student_id, section_id)
            existing = enrolled.get(pair)
            if record.deleted and existing is None and pair in fresh:
                fresh.pop(pair)  # added and deleted in one set: nothing is made
                self.report.note("enrollment", "unchanged")
                continue
            if record.deleted:
                self._drop(record, existing)
                continue
            label = f"{record.get('userSourcedId')} in class {record.get('classSourcedId')}"
            if existing is None and self.keys.local_id("enrollment", record.source_id) is None:
                if pair in fresh:  # a second row for one enrollment: the same one, kept
                    self.report.note("enrollment", "unchanged")
                    fresh[pair][1].append(record.source_id)
                    continue
                fresh[pair] = (
                    label,
                    [record.source_id],
                    {"file": record.file, "line": record.line},
                )
                continue
            values: dict[str, Any] = {}
            if existing is not None and existing.status == EnrollmentStatus.DROPPED.value:
                values = {"status": EnrollmentStatus.REGISTERED.value}
            now = utcnow()
            enrolled[(student_id, section_id)] = self.keys.upsert(
                Enrollment,
                record.source_id,
                values,
                natural=existing,
                create_only={
                    "student_id": student_id,
                    "section_id": section_id,
                    "status": EnrollmentStatus.REGISTERED.value,
                    "registered_at": now,
                },
                label=label,
                defer=True,
                where={"file": record.file, "line": record.line},
            )
        self.keys.flush_new()
        self._create_enrollments(fresh)
        self._drop_missing()

    def _create_enrollments(self, fresh: dict[tuple[int, int], _Fresh]) -> None:
        """The set's new enrollments in bulk (most of a first import's rows); a second
        sourcedId for the same enrollment is linked to it."""
        now = utcnow()
        items = [
            (
                source_ids[0],
                {
                    "student_id": student_id,
                    "section_id": section_id,
                    "status": EnrollmentStatus.REGISTERED.value,
                    "registered_at": now,
                },
                label,
                where,
            )
            for (student_id, section_id), (label, source_ids, where) in fresh.items()
        ]
        ids = self.keys.create_many(Enrollment, items)
        for (_label, source_ids, _where), local_id in zip(fresh.values(), ids, strict=True):
            for source_id in source_ids[1:]:
                self.keys.remember("enrollment", source_id, local_id)

    def _drop_missing(self) -> None:
        """A bulk enrollments file is the whole roster of its classes: an enrollment imported
        before into one of them and missing now is dropped (kept, with a warning, when graded)."""
        if self.plan.roster.modes.get("enrollments") != "bulk":
            return
        seen = {r.source_id for r in self.plan.roster.rows("enrollments")}
        sections = set(self.sections.values())
        for (entity, source_id), local_id in list(self.keys.keys.items()):
            if entity != "enrollment" or source_id in seen:
                continue
            row = self.session.get(Enrollment, local_id)
            if row is None or row.section_id not in sections:
                continue
            if row.status != EnrollmentStatus.REGISTERED.value:
                continue
            if row.grade_status == GradeStatus.POSTED.value:
                self.report.warnings.append(
                    f"enrollment {source_id} is no longer in the set "
                    "but has a posted grade; it was kept."
                )
                continue
            self.keys.upsert(
                Enrollment,
                source_id,
                {"status": EnrollmentStatus.DROPPED.value, "status_changed_at": utcnow()},
                natural=row,
                label=f"{source_id} (no longer in the bulk file)",
            )

    def _drop(self, record: Record, existing: Enrollment | None) -> None:
        if existing is None or existing.status == EnrollmentStatus.DROPPED.value:
            self.report.note("enrollment", "unchanged")
            return
        if existing.grade_status == GradeStatus.POSTED.value:
            self.report.warnings.append(
                f"{record.file}:{record.line}: enrollment has a posted grade; it was kept."
            )
            return
        self.keys.upsert(
            Enrollment,
            record.source_id,
            {"status": EnrollmentStatus.DROPPED.value, "status_changed_at": utcnow()},
            natural=existing,
            label=record.source_id,
            where={"file": record.file, "line": record.line},
        )

    def _one(self, statement: Any) -> Any:
        return self.session.exec(statement).first()

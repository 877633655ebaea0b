"""A OneRoster set resolved across its files before anything is written: who is a student,
which sessions are terms, each class's course, term and teachers. Dangling references and bad
dates are problems (file, line, column); what can be taken as it is becomes a warning.
"""

from __future__ import annotations

from datetime import date

from recordsdesk.services.interchange.imports.common import Problems
from recordsdesk.services.interchange.imports.oneroster_read import Record, RosterSet, parse_date

TERM_TYPES = ("term", "semester", "schoolyear")
STUDENT_ROLE = "student"
TEACHER_ROLE = "teacher"


def full_name(record: Record) -> str:
    return " ".join(p for p in (record.get("givenName"), record.get("familyName")) if p)


class RosterPlan:
    """What the set says, resolved across files: who is a student, which sessions are terms,
    each class's course, term and teachers. Dangling references are problems."""

    def __init__(self, roster: RosterSet, problems: Problems) -> None:
        self.roster, self.problems = roster, problems
        self.warnings: list[str] = []
        self.orgs = {r.source_id: r for r in roster.rows("orgs")}
        self.sessions = {r.source_id: r for r in roster.rows("academicSessions")}
        self.courses = {r.source_id: r for r in roster.rows("courses")}
        self.users = {r.source_id: r for r in roster.rows("users")}
        self.birth: dict[str, date | None] = {
            r.source_id: parse_date(r, "birthDate", problems) for r in roster.rows("demographics")
        }
        self.roles: dict[str, set[str]] = {}
        for user in self.users.values():
            if user.get("role"):
                self.roles.setdefault(user.source_id, set()).add(user.get("role").lower())
        for role in roster.rows("roles"):
            if not role.deleted:
                self.roles.setdefault(role.get("userSourcedId"), set()).add(
                    role.get("role").lower()
                )
        self.session_dates = {sid: self._dates(r) for sid, r in self.sessions.items()}
        self.classes = [c for c in roster.rows("classes") if not c.deleted]
        self.deleted_classes = {c.source_id for c in roster.rows("classes") if c.deleted}
        self.class_ids = {c.source_id for c in self.classes}
        self.teachers: dict[str, list[str]] = {}
        self.student_enrollments: list[Record] = []
        self._enrollments()
        self.term_of: dict[str, str] = {c.source_id: self._class_term(c) for c in self.classes}
        self.students = {
            sid
            for sid, user in self.users.items()
            if not user.deleted and STUDENT_ROLE in self.roles.get(sid, set())
        } | {e.get("userSourcedId") for e in self.student_enrollments if not e.deleted}

    def _dates(self, record: Record) -> tuple[date | None, date | None]:
        start = parse_date(record, "startDate", self.problems)
        end = parse_date(record, "endDate", self.problems)
        if (start is None and not record.get("startDate")) or (
            end is None and not record.get("endDate")
        ):
            self.problems.add(
                record.line, "a session needs a start and an end date.", "startDate", record.file
            )
        elif start is not None and end is not None and end < start:
            self.problems.add(
                record.line, f"ends ({end}) before it starts ({start}).", "endDate", record.file
            )
        return start, end

    def _enrollments(self) -> None:
        users_known = self.roster.present("users")
        for enrollment in self.roster.rows("enrollments"):
            class_id, user_id = enrollment.get("classSourcedId"), enrollment.get("userSourcedId")
            if class_id in self.deleted_classes:
                self.warnings.append(
                    f"{enrollment.file}:{enrollment.line}: class {class_id} is "
                    "to be deleted; its enrollment was not imported."
                )
                continue
            if class_id not in self.class_ids and self.roster.present("classes"):
                self.problems.add(
                    enrollment.line,
                    f"no class {class_id!r} in classes.csv.",
                    "classSourcedId",
                    enrollment.file,
                )
                continue
            if users_known and user_id not in self.users:
                self.problems.add(
                    enrollment.line,
                    f"no user {user_id!r} in users.csv.",
                    "userSourcedId",
                    enrollment.file,
                )
                continue
            role = enrollment.get("role").lower()
            if role == STUDENT_ROLE:
                self.student_enrollments.append(enrollment)
            elif role == TEACHER_ROLE and not enrollment.deleted and user_id in self.users:
                names = self.teachers.setdefault(class_id, [])
                name = full_name(self.users[user_id])
                if name and name not in names:
                    primary = enrollment.get("primary").lower() == "true"
                    names.insert(0, name) if primary else names.append(name)

    def _class_term(self, record: Record) -> str:
        """The session a class's section goes in: the first listed that is a term (a grading
        period counts as a term only here, when a class needs it)."""
        listed = record.many("termSourcedIds")
        known = [sid for sid in listed if sid in self.sessions and not self.sessions[sid].deleted]
        if not known:
            self.problems.add(
                record.line,
                f"none of its sessions {listed} is in academicSessions.csv.",
                "termSourcedIds",
                record.file,
            )
            return ""
        if len(listed) > 1:
            self.warnings.append(
                f"{record.file}:{record.line}: class {record.source_id} spans "
                f"{len(listed)} sessions; its section is in {known[0]}."
            )
        return known[0]

    def is_term(self, source_id: str) -> bool:
        session = self.sessions[source_id]
        if session.deleted:
            return False
        return session.get("type").lower() in TERM_TYPES or source_id in self.term_of.values()

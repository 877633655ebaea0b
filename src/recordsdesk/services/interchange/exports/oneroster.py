"""`export oneroster`: programs, terms, courses, sections, students and their enrollments as a
OneRoster 1.1 CSV bulk set that `import oneroster` reads back to the same records.

Each record's sourcedId is the one it was imported with (`external_key`), else its own code
(term code, course code, student number...), so a re-import into the same database matches every
row and changes nothing, and an import into a new database rebuilds the same records.
Personal data: admin only (Action.EXPORT_PERSONAL); confidential students (directory opt-out)
and their enrollments are left out unless `include_confidential`; every export is audited with
who, where, and how many records of each kind.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    ExternalKey,
    Institution,
    Program,
    Section,
    Student,
    Term,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.disclosure.log import (
    BulkRelease,
    check_bulk_release,
    record_bulk_disclosure,
)
from recordsdesk.services.interchange.imports.oneroster_read import SYSTEM
from recordsdesk.services.people.directory import directory_condition
from recordsdesk.services.shared.clean_text import spreadsheet_safe
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import private_dir, write_private

GUARDIAN_ROLES = ("parent", "guardian", "relative")
EXPORTED_ENROLLMENTS = (
    EnrollmentStatus.REGISTERED.value,
    EnrollmentStatus.COMPLETED.value,
    EnrollmentStatus.WITHDRAWN.value,
)
HEADERS = {
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear",
    "courses": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
    "orgSourcedId,subjects,subjectCodes",
    "classes": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
    "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
    "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
    "preferredGivenName",
    "enrollments": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate",
    "demographics": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,"
    "asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
    "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
    "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus",
}
#: A practice desk's set: the source system the manifest names, and the marker file.
PRACTICE_SYSTEM = "recordsdesk-PRACTICE"
PRACTICE_FILE = "PRACTICE-not-real-records.txt"
PRACTICE_NOTE = "PRACTICE - made on a practice desk - not a record of any student"
#: Who a OneRoster set goes to unless the admin says otherwise: the learning platform the
#: office contracts with, a school official under 34 CFR 99.31(a)(1)(i)(B).
ROSTER_SYNC = BulkRelease(
    recipient="learning platform (OneRoster)", purpose="class rosters", basis="school_official"
)
ABSENT = ("categories", "classResources", "courseResources", "lineItems", "resources", "results")


@dataclass
class ExportResult:
    folder: Path
    counts: dict[str, int] = field(default_factory=dict)
    confidential_excluded: int = 0
    disclosures: int = 0

    def summary(self) -> str:
        parts = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        left = (
            f"; {self.confidential_excluded} confidential students left out"
            if self.confidential_excluded
            else ""
        )
        logged = f" {self.disclosures} disclosures logged." if self.disclosures else ""
        return f"OneRoster set written to {self.folder}: {parts}{left}.{logged}"


def split_name(name: str) -> tuple[str, str]:
    """(given, family) of a full name: the last word is the family name."""
    given, _, family = name.strip().rpartition(" ")
    return given, family


def _teacher_id(name: str) -> str:
    return "rd-teacher-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


class _Ids:
    """sourcedIds: the imported one when there is one, else the record's own code."""

    def __init__(self, session: Session) -> None:
        self.imported: dict[tuple[str, int], str] = {}
        for key in session.exec(select(ExternalKey).where(ExternalKey.system == SYSTEM)):
            self.imported.setdefault((key.entity, key.local_id), key.source_id)

    def get(self, entity: str, local_id: int | None, natural: str) -> str:
        assert local_id is not None
        return self.imported.get((entity, local_id), natural)


def export_oneroster(
    session: Session,
    *,
    actor: Actor,
    folder: Path,
    include_confidential: bool = False,
    release: BulkRelease = ROSTER_SYNC,
) -> ExportResult:
    """Write the set into `folder` (new or empty) and audit the export in the caller's
    transaction, with one disclosure-log row per student the set names (to `release`'s
    recipient). Raises PermissionDenied below admin, ValidationFailed for a non-empty folder
    or a release that cannot be logged (checked before anything is written)."""
    authorize(actor, Action.EXPORT_PERSONAL)
    checked = check_bulk_release(release)
    if checked.basis == "directory" and include_confidential:
        raise ValidationFailed(
            "basis",
            "confidential students (directory opt-outs) are included: the set is not "
            "directory information; leave them out or choose another basis.",
        )
    practice = bool(session.exec(select(Institution.practice)).first())
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValidationFailed("DIR", f"{folder} is not an empty folder; choose a new one.")
    private_dir(folder, field="DIR")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ids = _Ids(session)
    result = ExportResult(folder)
    rows: dict[str, list[list[str]]] = {name: [] for name in HEADERS}

    programs = {p.id: p for p in session.exec(select(Program).order_by(col(Program.id)))}
    program_ids = {pid: ids.get("program", pid, p.code) for pid, p in programs.items()}
    for pid, program in programs.items():
        rows["orgs"].append(
            [program_ids[pid], "active", stamp, program.name, "department", program.code, ""]
        )
    first_org = next(iter(program_ids.values()), "")
    terms = {t.id: t for t in session.exec(select(Term).order_by(col(Term.id)))}
    term_ids = {tid: ids.get("term", tid, t.code) for tid, t in terms.items()}
    for tid, term in terms.items():
        rows["academicSessions"].append(
            [
                term_ids[tid],
                "active",
                stamp,
                term.name,
                "term",
                term.start_date.isoformat(),
                term.end_date.isoformat(),
                "",
                str(term.end_date.year),
            ]
        )
    courses = {c.id: c for c in session.exec(select(Course).order_by(col(Course.id)))}
    course_ids = {cid: ids.get("course", cid, c.code) for cid, c in courses.items()}
    for cid, course in courses.items():
        rows["courses"].append(
            [course_ids[cid], "active", stamp, "", course.title, course.code, "", first_org, "", ""]
        )
    section_ids: dict[int, str] = {}
    teachers: dict[str, str] = {}
    for section in session.exec(select(Section).order_by(col(Section.id))):
        assert section.id is not None
        course, term = courses[section.course_id], terms[section.term_id]
        natural = f"{term.code}-{course.code}-{section.section_code}"
        sid = section_ids[section.id] = ids.get("section", section.id, natural)
        rows["classes"].append(
            [
                sid,
                "active",
                stamp,
                course.title,
                "",
                course_ids[section.course_id],
                section.section_code,
                "scheduled",
                section.room,
                first_org,
                term_ids[section.term_id],
                "",
                "",
                "",
            ]
        )
        for n, name in enumerate(n for n in section.instructor.split(", ") if n.strip()):
            teachers.setdefault(name, _teacher_id(name))
            rows["enrollments"].append(
                [
                    f"{sid}-teacher-{n + 1}",
                    "active",
                    stamp,
                    sid,
                    first_org,
                    teachers[name],
                    "teacher",
                    "true" if n == 0 else "false",
                    "",
                    "",
                ]
            )
    for name, teacher_id in teachers.items():
        given, family = split_name(name)
        rows["users"].append(
            [
                teacher_id,
                "active",
                stamp,
                "TRUE",
                first_org,
                "teacher",
                "",
                "",
                given,
                family,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )

    query = select(Student).order_by(col(Student.id))
    if not include_confidential:
        query = query.where(directory_condition())
        result.confidential_excluded = len(
            session.exec(select(Student.id).where(col(Student.confidential).is_(True))).all()
        )
    student_ids: dict[int, str] = {}
    for student in session.exec(query):
        _student_rows(student, ids, program_ids, student_ids, rows, stamp)
    for enrollment in session.exec(
        select(Enrollment)
        .where(col(Enrollment.status).in_(EXPORTED_ENROLLMENTS))
        .order_by(col(Enrollment.id))
    ):
        user = student_ids.get(enrollment.student_id)
        if user is None:
            continue
        section_sid = section_ids[enrollment.section_id]
        sid = ids.get("enrollment", enrollment.id, f"{user}-{section_sid}")
        rows["enrollments"].append(
            [sid, "active", stamp, section_sid, first_org, user, "student", "false", "", ""]
        )

    _write(folder, rows, practice=practice)
    result.counts = {
        "programs": len(programs),
        "terms": len(terms),
        "courses": len(courses),
        "sections": len(section_ids),
        "students": len(student_ids),
        "enrollments": sum(1 for r in rows["enrollments"] if r[6] == "student"),
    }
    audit.record(
        session,
        actor,
        action="export",
        entity="oneroster",
        entity_id=folder.name,
        after={
            "folder": str(folder),
            "counts": result.counts,
            "confidential_included": include_confidential,
            "confidential_excluded": result.confidential_excluded,
        },
    )
    result.disclosures = record_bulk_disclosure(
        session,
        actor=actor,
        document="export",
        release=release,
        student_ids=student_ids,
        note=f"oneroster to {folder}"[:500],
    )
    return result


def _student_rows(
    student: Student,
    ids: _Ids,
    program_ids: dict[int | None, str],
    student_ids: dict[int, str],
    rows: dict[str, list[list[str]]],
    stamp: str,
) -> None:
    assert student.id is not None
    sid = student_ids[student.id] = ids.get("student", student.id, student.student_number)
    org = program_ids.get(student.program_id, "") if student.program_id else ""
    agent = ""
    if student.guardian_name.strip():
        agent = f"{sid}-guardian"
        role = student.guardian_relationship.lower()
        given, family = split_name(student.guardian_name)
        rows["users"].append(
            [
                agent,
                "active",
                stamp,
                "TRUE",
                org,
                role if role in GUARDIAN_ROLES else "guardian",
                "",
                "",
                given,
                family,
                "",
                "",
                student.guardian_email,
                "",
                student.guardian_phone,
                sid,
                "",
                "",
                "",
            ]
        )
    rows["users"].append(
        [
            sid,
            "active",
            stamp,
            "TRUE",
            org,
            "student",
            student.student_number,
            "",
            student.legal_first_name,
            student.legal_last_name,
            student.legal_middle_name,
            student.student_number,
            student.email,
            "",
            student.phone,
            agent,
            student.grade_level,
            "",
            student.preferred_name,
        ]
    )
    if student.birth_date is not None:
        rows["demographics"].append(
            [sid, "active", stamp, student.birth_date.isoformat()] + [""] * 12
        )


def _write(folder: Path, rows: dict[str, list[list[str]]], *, practice: bool = False) -> None:
    """The manifest and the files. A practice desk's set says PRACTICE where a consumer keeps
    it valid: the manifest's source system, and a marker file beside the CSVs that an
    importer ignores (the CSVs themselves keep their exact headers)."""
    system = PRACTICE_SYSTEM if practice else "recordsdesk"
    manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.1"]]
    manifest += [[f"file.{name}", "bulk"] for name in HEADERS]
    manifest += [[f"file.{name}", "absent"] for name in ABSENT]
    manifest += [["source.systemName", system], ["source.systemCode", system]]
    _write_csv(folder / "manifest.csv", ["propertyName", "value"], manifest)
    if practice:
        write_private(
            folder / PRACTICE_FILE,
            (PRACTICE_NOTE + "\n").encode("utf-8"),
            create_folders=False,
            field="DIR",
        )
    for name, header in HEADERS.items():
        _write_csv(folder / f"{name}.csv", header.split(","), rows[name])


def _write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    """One file of the set, owner-only, every cell neutralised against formulas (the importer
    undoes it, so the set still reads back to the same records)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(str(cell)) for cell in row] for row in rows)
    write_private(path, buffer.getvalue().encode("utf-8"), create_folders=False, field="DIR")

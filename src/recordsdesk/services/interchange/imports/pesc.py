"""`import pesc`: PESC College and High School Transcripts become received coursework.

Each transcript's student is found by the identifiers the document carries (an identifier a
previous import remembered; our own student number when we sent the document), then by name and
birth date through the duplicate guard, or opened as a new applicant. Each AcademicRecord of
another institution is kept with its courses and GPA blocks exactly as sent; none of it counts
until a registrar evaluates it (services.transcripts.transfer). The file is read whole before
anything is written, and the runner commits it whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, select

from recordsdesk.models import (
    ExternalCourse,
    ExternalKey,
    ExternalSummary,
    ExternalTranscript,
    Institution,
    Student,
    StudentStatus,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.interchange.imports.common import (
    ImportFailed,
    ImportProblem,
    ImportReport,
    Progress,
    no_progress,
)
from recordsdesk.services.interchange.imports.pesc_read import (
    PescRefused,
    ReadRecord,
    ReadTranscript,
    read_pesc,
)
from recordsdesk.services.people.intake import find_duplicates, fold
from recordsdesk.services.people.student import StudentCreate, create_student
from recordsdesk.services.transcripts.received import institution_key

#: Identifiers remembered under this system name in `external_key`.
SYSTEM = "pesc"
#: A transcript is a few hundred kilobytes; anything far larger is not one.
MAX_BYTES = 20_000_000


def _refused(path: Path, line: int, message: str) -> ImportFailed:
    return ImportFailed([ImportProblem(path.name, line, message)])


def _identifiers(t: ReadTranscript) -> list[str]:
    """The student's identifiers as remembered: the sender's own number scoped to the sender,
    agency numbers as they are (an agency's number is the same whoever sends it)."""
    keys = []
    if t.student.school_assigned_id:
        keys.append(f"{institution_key(t.source)}:{t.student.school_assigned_id}"[:255])
    keys.extend(f"agency:{label.casefold()}:{value}"[:255] for label, value in t.student.agency_ids)
    return keys


class _Matcher:
    """Finds or opens each transcript's student, remembering the identifiers for next time."""

    def __init__(self, session: Session, actor: Actor, path: Path, ours: set[str]) -> None:
        self.session = session
        self.actor = actor
        self.path = path
        self.ours = ours

    def _by_key(self, keys: list[str]) -> Student | None:
        for key in keys:
            found = self.session.exec(
                select(ExternalKey).where(
                    ExternalKey.system == SYSTEM,
                    ExternalKey.entity == "student",
                    ExternalKey.source_id == key,
                )
            ).first()
            if found is not None:
                return self.session.get(Student, found.local_id)
        return None

    def student(self, t: ReadTranscript) -> tuple[Student, str]:
        """The student and how they were found (`by identifier`, `new applicant`, ...)."""
        keys = _identifiers(t)
        s = t.student
        found = self._by_key(keys)
        how = "by an identifier received before"
        if found is None and institution_key(t.source) in self.ours and s.school_assigned_id:
            found = self.session.exec(
                select(Student).where(Student.student_number == s.school_assigned_id)
            ).first()
            how = "by our student number"
        if found is not None:
            self._check_same_person(found, t, how)
        if found is None and s.birth_date is not None:
            candidates = [
                c
                for c in find_duplicates(
                    self.session,
                    actor=self.actor,
                    first_name=s.first_name,
                    last_name=s.last_name,
                    birth_date=s.birth_date,
                    email="",
                )
                if "birth date" in c.why
            ]
            if len(candidates) > 1:
                numbers = ", ".join(c.student_number for c in candidates)
                raise _refused(
                    self.path,
                    t.line,
                    f"{s.first_name} {s.last_name} ({s.birth_date}) could be any of {numbers}: "
                    "merge or tell them apart first.",
                )
            if candidates:
                found = self.session.get(Student, candidates[0].student_id)
                how = "by name and birth date"
        if found is None:
            profile = create_student(
                self.session,
                actor=self.actor,
                data=StudentCreate(
                    legal_first_name=s.first_name,
                    legal_middle_name=s.middle_name,
                    legal_last_name=s.last_name,
                    birth_date=s.birth_date,
                    status=StudentStatus.APPLICANT.value,
                ),
            )
            found = self.session.get(Student, profile.id)
            how = "new applicant"
        assert found is not None and found.id is not None
        for key in keys:
            self._remember(key, found.id)
        return found, how

    def _check_same_person(self, student: Student, t: ReadTranscript, how: str) -> None:
        """An identifier is trusted only for the person it was remembered for: a document whose
        name and birth date both disagree with that record (a reused or mistyped number, a
        sender's test value) is refused rather than filed on someone else's record."""
        s = t.student
        born = student.birth_date is None or s.birth_date is None
        same_birth = born or student.birth_date == s.birth_date
        same_name = fold(student.legal_last_name) == fold(s.last_name) or (
            fold(student.legal_first_name) == fold(s.first_name)
            and fold(student.legal_first_name) != ""
        )
        if same_birth and same_name:
            return
        sent_born = f", born {s.birth_date}" if s.birth_date else ""
        ours_born = f", born {student.birth_date}" if student.birth_date else ""
        raise _refused(
            self.path,
            t.line,
            f"<Student> matched {how} to {student.student_number} "
            f"({student.legal_first_name} {student.legal_last_name}{ours_born}), but the "
            f"transcript names {s.first_name} {s.last_name}{sent_born}: the identifier does "
            "not fit; correct the record or the file first.",
        )

    def _remember(self, key: str, student_id: int) -> None:
        existing = self.session.exec(
            select(ExternalKey).where(
                ExternalKey.system == SYSTEM,
                ExternalKey.entity == "student",
                ExternalKey.source_id == key,
            )
        ).first()
        if existing is None:
            self.session.add(
                ExternalKey(system=SYSTEM, entity="student", source_id=key, local_id=student_id)
            )
            self.session.flush()


def _store(
    session: Session,
    actor: Actor,
    *,
    student: Student,
    t: ReadTranscript,
    record: ReadRecord,
    file_name: str,
) -> ExternalTranscript:
    assert student.id is not None
    row = ExternalTranscript(
        student_id=student.id,
        institution=record.institution[:200],
        institution_ids=record.institution_ids,
        institution_key=institution_key(record.institution),
        document_id=t.document_id,
        document_kind=t.kind,
        document_version=t.version,
        file_name=file_name,
        received_at=utcnow(),
        received_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    session.add_all(
        ExternalCourse(
            external_transcript_id=row.id,
            student_id=student.id,
            position=position,
            **{name: getattr(c, name) for name in COURSE_FIELDS},
        )
        for position, c in enumerate(record.courses)
    )
    session.add_all(
        ExternalSummary(
            external_transcript_id=row.id,
            position=position,
            **{name: getattr(s, name) for name in SUMMARY_FIELDS},
        )
        for position, s in enumerate(record.summaries)
    )
    session.flush()
    audit.record(
        session,
        actor,
        action="receive",
        entity="external_transcript",
        entity_id=row.id,
        student_id=student.id,
        after={
            **audit.snapshot(row, ["institution", "institution_ids", "document_id", "file_name"]),
            "courses": len(record.courses),
            "gpa_blocks": len(record.summaries),
        },
        reason=f"PESC {t.kind} transcript {t.version} from {t.source}",
    )
    return row


COURSE_FIELDS = (
    "session_designator",
    "session_name",
    "course_code",
    "title",
    "credits_attempted",
    "credits_earned",
    "credit_unit",
    "quality_points",
    "mark",
    "scale_code",
    "grade_status",
    "repeat_code",
)
SUMMARY_FIELDS = (
    "session_designator",
    "session_name",
    "summary_type",
    "summary_level",
    "credits_attempted",
    "credits_earned",
    "credits_for_gpa",
    "quality_points",
    "credit_unit",
    "gpa",
)


def _said(text: str) -> Callable[[], str]:
    return lambda: text


def _already_received(
    session: Session, student_id: int, record: ReadRecord, document_id: str, now: set[int]
) -> bool:
    """Whether an earlier import kept this institution's record from this document (a document
    may hold several records of one institution: those of this file do not count)."""
    if not document_id:
        return False
    found = session.exec(
        select(ExternalTranscript.id).where(
            ExternalTranscript.student_id == student_id,
            ExternalTranscript.institution_key == institution_key(record.institution),
            ExternalTranscript.document_id == document_id,
        )
    ).all()
    return any(i not in now for i in found)


def import_pesc(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    report: ImportReport | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Receive every transcript in the PESC file at `path` into the caller's transaction.

    Raises ImportFailed (the file, line and element at fault) before writing anything when the
    document cannot be read; the repairs made to read it are the report's warnings."""
    authorize(actor, Action.IMPORT_RUN)
    authorize(actor, Action.STUDENT_CREATE)
    report = report or ImportReport("pesc", path.name)
    progress("reading", 0, 1)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _refused(path, 0, f"larger than {MAX_BYTES // 1_000_000} MB: not a transcript.")
        data = path.read_bytes()
    except OSError as error:
        raise _refused(path, 0, f"cannot be read: {error.strerror or error}.") from None
    try:
        read = read_pesc(data, path.name)
    except PescRefused as refused:
        where = f"<{refused.element}>: " if refused.element else ""
        raise _refused(path, refused.line or 0, f"{where}{refused.message}") from None
    report.warnings.extend(f"{path.name}: {w}" for w in read.warnings)
    institution = session.exec(select(Institution)).first()
    ours = (
        {institution_key(n) for n in (institution.name, institution.short_name) if n}
        if institution is not None
        else set()
    )
    matcher = _Matcher(session, actor, path, ours)
    total = len(read.transcripts)
    stored_now: set[int] = set()
    for done, t in enumerate(read.transcripts):
        progress("receiving", done, total)
        student, how = matcher.student(t)
        report.note(
            "student",
            "new" if how == "new applicant" else "updated",  # coursework added to the record
            _said(
                f"{t.student.first_name} {t.student.last_name} -> {student.student_number} ({how})"
            ),
        )
        for record in t.records:
            if institution_key(record.institution) in ours:
                report.warnings.append(
                    f"{path.name}: the record kept by {record.institution} (us) is not received: "
                    "those courses are ours already"
                )
                continue
            if not record.courses and not record.summaries:
                report.warnings.append(
                    f"{path.name}: {record.institution} sent no courses and no GPA: nothing kept"
                )
                continue
            assert student.id is not None
            if _already_received(session, student.id, record, t.document_id, stored_now):
                report.warnings.append(
                    f"{path.name}: {record.institution}'s record in document {t.document_id} "
                    f"was received for {student.student_number} before: skipped"
                )
                report.note("external_transcript", "unchanged")
                continue
            row = _store(session, actor, student=student, t=t, record=record, file_name=path.name)
            assert row.id is not None
            stored_now.add(row.id)
            report.note(
                "external_transcript",
                "new",
                _said(
                    f"{student.student_number}: {record.institution}: {len(record.courses)} "
                    f"courses, {len(record.summaries)} GPA blocks"
                ),
            )
            for _course in record.courses:
                report.note("external_course", "new")
            for _summary in record.summaries:
                report.note("external_summary", "new")
        report.rows += 1
    progress("receiving", total, total)
    return report

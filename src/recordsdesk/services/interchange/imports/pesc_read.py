"""Reading PESC College Transcript 1.3-1.6 and High School Transcript 1.2-1.5 documents.

Pure: bytes in, plain values out, nothing written. The version is read from the root element's
namespace; a batch wrapper is unwrapped into its transcripts. The document is parsed with no
network, no DTD and no entity expansion, and a DOCTYPE is refused outright.

Lenient where real files are wrong in ways that lose nothing (values padded with spaces, a
namespace missing from the root or put on inner elements, `Birthdate` for `BirthDate`, elements
out of order, a title longer than the schema allows): each such repair is a warning. Strict where
a guess would put wrong data on a record (an unknown document type or version, a number or date
that does not read, a student without a last name, a course without code or title): the file is
refused with its name, line and element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree  # type: ignore[import-untyped]  # no stubs ship with lxml

from recordsdesk.services.transcripts.received import ReceivedSummary as ReadSummary

#: Document kind -> the versions read.
VERSIONS = {
    "CollegeTranscript": ("1.3.0", "1.4.0", "1.5.0", "1.6.0"),
    "HighSchoolTranscript": ("1.2.0", "1.3.0", "1.4.0", "1.5.0"),
}
KIND_NAMES = {"CollegeTranscript": "college", "HighSchoolTranscript": "highschool"}
#: What a root without a namespace is read as: the newest version of its kind.
ASSUMED = {"CollegeTranscript": "1.6.0", "HighSchoolTranscript": "1.5.0"}
_NAMESPACE = re.compile(r"^urn:org:pesc:message:(\w+):v(\d+\.\d+\.\d+)$")
#: Identifiers of an organisation worth keeping, in the order they are listed.
ORG_IDS = ("FICE", "ATP", "CEEBACT", "IPEDS", "OPEID", "ACT", "CSIS", "PSIS", "ESIS", "USIS")
#: The schema's limit on a course title; a longer one is kept whole, with a warning.
TITLE_LIMIT = 60
#: `Birthday` is month and day only (xs:gMonthDay): no birth date to match on.
_BIRTH_VARIANTS = ("BirthDate", "Birthdate")


class PescRefused(Exception):
    """The file cannot be read without guessing: names the file, the line and the element."""

    def __init__(self, file_name: str, line: int | None, element: str, message: str) -> None:
        self.file_name = file_name
        self.line = line
        self.element = element
        self.message = message
        where = f"{file_name}, line {line}" if line else file_name
        super().__init__(f"{where}, <{element}>: {message}" if element else f"{where}: {message}")


@dataclass(frozen=True)
class ReadCourse:
    session_designator: str
    session_name: str
    course_code: str
    title: str
    credits_attempted: Decimal | None
    credits_earned: Decimal | None
    credit_unit: str
    quality_points: Decimal | None
    mark: str
    scale_code: str
    grade_status: str
    repeat_code: str


@dataclass(frozen=True)
class ReadRecord:
    """One AcademicRecord: the school that kept it, its courses and GPA blocks."""

    institution: str
    institution_ids: str
    courses: tuple[ReadCourse, ...]
    summaries: tuple[ReadSummary, ...]


@dataclass(frozen=True)
class ReadStudent:
    first_name: str
    middle_name: str
    last_name: str
    birth_date: date | None
    #: The sender's number for the student (SchoolAssignedPersonID), if any.
    school_assigned_id: str
    #: (agency code or name, id) pairs: AgencyAssignedID and the like. Never an SSN.
    agency_ids: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReadTranscript:
    kind: str  # "college" or "highschool"
    version: str
    line: int
    document_id: str
    source: str
    source_ids: str
    student: ReadStudent
    records: tuple[ReadRecord, ...]


@dataclass
class ReadFile:
    file_name: str
    transcripts: list[ReadTranscript] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if _local(c) == name]


def _child(element: etree._Element | None, *path: str) -> etree._Element | None:
    for name in path:
        if element is None:
            return None
        found = _children(element, name)
        element = found[0] if found else None
    return element


class _Reader:
    """Reads one file's transcripts, gathering warnings; one instance per file."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.trimmed = 0
        self.long_titles = 0
        self.notes: list[str] = []

    def refuse(self, element: etree._Element | None, message: str) -> PescRefused:
        line = element.sourceline if element is not None else None
        return PescRefused(
            self.file_name, line, _local(element) if element is not None else "", message
        )

    def text(self, element: etree._Element | None, *path: str) -> str:
        found = _child(element, *path) if path else element
        if found is None or found.text is None:
            return ""
        raw = found.text
        value = " ".join(raw.split())
        if value != raw:
            self.trimmed += 1
        return value

    def number(self, element: etree._Element, name: str) -> Decimal | None:
        found = _child(element, name)
        value = self.text(found)
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise self.refuse(found, f"{value!r} is not a number.") from None
        if not number.is_finite():
            raise self.refuse(found, f"{value!r} is not a number.")
        return number

    def day(self, element: etree._Element | None) -> date | None:
        value = self.text(element)
        if not value:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise self.refuse(element, f"{value!r} is not a date (YYYY-MM-DD).") from None

    def organisation_ids(self, organisation: etree._Element | None) -> str:
        if organisation is None:
            return ""
        parts = [(name, self.text(organisation, name)) for name in ORG_IDS]
        for local in _children(organisation, "LocalOrganizationID"):
            qualifier = self.text(local, "LocalOrganizationIDQualifier") or "Local"
            parts.append((qualifier, self.text(local, "LocalOrganizationIDCode")))
        return "; ".join(f"{name} {value}" for name, value in parts if value)

    # --- the parts of a transcript -------------------------------------------------------------

    def student(self, element: etree._Element) -> ReadStudent:
        person = _child(element, "Person")
        if person is None:
            raise self.refuse(element, "the student has no <Person>.")
        name = _child(person, "Name")
        last = self.text(name, "LastName")
        if not last:
            last = self.text(name, "CompositeName")
        if not last:
            raise self.refuse(name if name is not None else person, "the student has no last name.")
        birth_element = None
        birth = _child(person, "Birth")
        for variant in _BIRTH_VARIANTS:
            birth_element = _child(birth, variant)
            if birth_element is not None:
                if variant != "BirthDate":
                    self.notes.append(f"<{variant}> read as <BirthDate>")
                break
        agency_ids: list[tuple[str, str]] = []
        for agency in _children(person, "AgencyIdentifier"):
            value = self.text(agency, "AgencyAssignedID")
            label = self.text(agency, "AgencyName") or self.text(agency, "AgencyCode") or "Agency"
            region = self.text(agency, "StateProvinceCode")
            if value:
                agency_ids.append((f"{label} {region}".strip(), value))
        return ReadStudent(
            first_name=self.text(name, "FirstName"),
            middle_name=self.text(name, "MiddleName"),
            last_name=last,
            birth_date=self.day(birth_element),
            school_assigned_id=self.text(person, "SchoolAssignedPersonID"),
            agency_ids=tuple(agency_ids),
        )

    def course(self, element: etree._Element, designator: str, session_name: str) -> ReadCourse:
        subject = self.text(element, "CourseSubjectAbbreviation")
        number = self.text(element, "CourseNumber")
        code = f"{subject} {number}".strip() or self.text(element, "OriginalCourseID")
        code = code or self.text(element, "AgencyCourseID")
        title = self.text(element, "CourseTitle")
        if not code and not title:
            raise self.refuse(element, "a course with neither a code nor a title.")
        if len(title) > TITLE_LIMIT:
            self.long_titles += 1
        return ReadCourse(
            session_designator=designator,
            session_name=session_name,
            course_code=code[:60],
            title=title,
            credits_attempted=self.number(element, "CourseCreditValue"),
            credits_earned=self.number(element, "CourseCreditEarned"),
            credit_unit=self.text(element, "CourseCreditUnits"),
            quality_points=self.number(element, "CourseQualityPointsEarned"),
            mark=self.text(element, "CourseAcademicGrade")[:20],
            scale_code=self.text(element, "CourseAcademicGradeScaleCode")[:20],
            grade_status=self.text(element, "CourseAcademicGradeStatusCode")[:40],
            repeat_code=self.text(element, "CourseRepeatCode")[:40],
        )

    def summary(
        self, element: etree._Element, designator: str, session_name: str
    ) -> ReadSummary | None:
        block = _child(element, "GPA")
        if block is None:
            return None
        return ReadSummary(
            session_designator=designator,
            session_name=session_name,
            summary_type=self.text(element, "AcademicSummaryType")[:40],
            summary_level=self.text(element, "AcademicSummaryLevel")[:40],
            credits_attempted=self.number(block, "CreditHoursAttempted"),
            credits_earned=self.number(block, "CreditHoursEarned"),
            credits_for_gpa=self.number(block, "CreditHoursforGPA"),
            quality_points=self.number(block, "TotalQualityPoints"),
            credit_unit=self.text(block, "CreditUnit")[:40],
            gpa=self.text(block, "GradePointAverage")[:20],
        )

    def record(self, element: etree._Element, fallback_school: str) -> ReadRecord:
        school = _child(element, "School")
        name = self.text(school, "OrganizationName") or fallback_school
        courses: list[ReadCourse] = []
        summaries: list[ReadSummary] = []
        for part in element:
            local = _local(part)
            if local == "Course":
                courses.append(self.course(part, "", ""))
            elif local == "AcademicSummary":
                found = self.summary(part, "", "")
                if found is not None:
                    summaries.append(found)
            elif local == "AcademicSession":
                detail = _child(part, "AcademicSessionDetail")
                designator = self.text(detail, "SessionDesignator")[:20]
                session_name = self.text(detail, "SessionName") or designator
                for item in part:
                    if _local(item) == "Course":
                        courses.append(self.course(item, designator, session_name))
                    elif _local(item) == "AcademicSummary":
                        found = self.summary(item, designator, session_name)
                        if found is not None:
                            summaries.append(found)
        return ReadRecord(name, self.organisation_ids(school), tuple(courses), tuple(summaries))

    def transcript(self, root: etree._Element, kind: str, version: str) -> ReadTranscript:
        transmission = _child(root, "TransmissionData")
        source = _child(transmission, "Source", "Organization")
        source_name = self.text(source, "OrganizationName")
        student_element = _child(root, "Student")
        if student_element is None:
            raise self.refuse(root, "the transcript has no <Student>.")
        student = self.student(student_element)
        records = tuple(
            self.record(r, source_name) for r in _children(student_element, "AcademicRecord")
        )
        if not records:
            raise self.refuse(student_element, "the student has no <AcademicRecord>.")
        return ReadTranscript(
            kind=KIND_NAMES[kind],
            version=version,
            line=root.sourceline or 0,
            document_id=self.text(transmission, "DocumentID")[:100],
            source=source_name,
            source_ids=self.organisation_ids(source),
            student=student,
            records=records,
        )


def _version(reader: _Reader, element: etree._Element, result: ReadFile) -> tuple[str, str]:
    """The document's kind and version from its namespace; refuses what is not read."""
    qname = etree.QName(element.tag)
    kind = qname.localname
    if kind not in VERSIONS:
        raise reader.refuse(
            element, "not a College Transcript or High School Transcript (nor a batch of them)."
        )
    if qname.namespace is None:
        version = ASSUMED[kind]
        result.warnings.append(
            f"line {element.sourceline}: <{kind}> has no namespace; read as version {version} "
            f"(urn:org:pesc:message:{kind}:v{version} supplied)"
        )
        return kind, version
    match = _NAMESPACE.match(qname.namespace)
    if match is None or match.group(1) != kind:
        raise reader.refuse(element, f"unknown namespace {qname.namespace!r}.")
    version = match.group(2)
    if version not in VERSIONS[kind]:
        known = ", ".join(VERSIONS[kind])
        raise reader.refuse(element, f"version {version} is not read (only {known}).")
    return kind, version


def _transcript_roots(root: etree._Element) -> list[etree._Element]:
    """The transcripts in a document: the root itself, or those a batch wrapper holds."""
    if _local(root) in VERSIONS:
        return [root]
    return [e for e in root.iter() if _local(e) in VERSIONS]


def read_pesc(data: bytes, file_name: str) -> ReadFile:
    """Every transcript in one file, with the repairs made as warnings. The encoding is the
    parser's to find (a byte-order mark or the XML declaration: UTF-8 and UTF-16 both read).

    Raises PescRefused naming the file, line and element."""
    reader = _Reader(file_name)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else None
        raise PescRefused(file_name, line, "", f"not well-formed XML: {error.msg}") from None
    if tree.docinfo.doctype:
        raise PescRefused(file_name, 1, "", "a DOCTYPE is not accepted in a transcript.")
    root = tree.getroot()
    result = ReadFile(file_name)
    roots = _transcript_roots(root)
    if not roots:
        raise reader.refuse(
            root, "not a College Transcript or High School Transcript (nor a batch of them)."
        )
    if roots[0] is not root:
        count = len(roots)
        result.warnings.append(
            f"line {root.sourceline}: a batch (<{_local(root)}>) unwrapped: "
            f"{count} transcript{'s' if count != 1 else ''}"
        )
    for element in roots:
        kind, version = _version(reader, element, result)
        inner = [e for e in element.iter() if e is not element and isinstance(e.tag, str)]
        if any(etree.QName(e.tag).namespace for e in inner):
            result.warnings.append(
                f"line {element.sourceline}: namespaces on inner elements ignored "
                "(only the root is namespaced)"
            )
        result.transcripts.append(reader.transcript(element, kind, version))
    if reader.trimmed:
        result.warnings.append(f"{reader.trimmed} values had spaces around them: trimmed")
    if reader.long_titles:
        result.warnings.append(
            f"{reader.long_titles} course titles longer than {TITLE_LIMIT} characters: kept whole"
        )
    result.warnings.extend(sorted(set(reader.notes)))
    return result

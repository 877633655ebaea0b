"""The transcript as a PESC College Transcript 1.6.0 document, the XML North American
institutions exchange transcripts in.

Drawn from the same `Transcript` value as every other format, so its figures are the printed
copy's: each term is an `AcademicSession` with its courses and two `AcademicSummary` blocks (the
term, `SenderOnly`, and the running total, `Cumulative`), the record closes with the cumulative
summary (`All`: the GPA as printed, credits earned including transfer) and, when there is
transfer credit, a `TransferOnly` one. GPAs are written exactly as the transcript prints them.

The schema limits each value's length (a course title to 60 characters, a name to 35); a longer
stored value is cut at the limit rather than making a document no receiver can read. Only the
root element is namespaced, as the schema says. Each grading scale the document uses gets a
short local code ("1", "2": the schema allows three characters), named in a note on the record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree as ET

from recordsdesk.render.pesc_codes import honours_level, standing_code
from recordsdesk.render.transcript_layout import PRACTICE_MARK, RenderOptions
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.transcripts.builder import (
    DEANS_LIST,
    CourseLine,
    TermRecord,
    Transcript,
)
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.received import (
    ReceivedCourse,
    ReceivedRecord,
    ReceivedSummary,
)

NAMESPACE = "urn:org:pesc:message:CollegeTranscript:v1.6.0"
VERSION = "1.6.0"
#: The desk counts credits as semester hours.
CREDIT_UNIT = "Semester"
#: Marks outside a letter scale, by what PESC calls them.
_STATUS_BY_MARK = {
    "W": "Withdrew",
    "I": "Incomplete",
    "IP": "InProgress",
    "AU": "AuditedCourse",
    "TR": "TransferNoGrade",
}
_PASSING_BASIS_MARKS = {"P", "S", "CR"}
_FAILING_BASIS_MARKS = {"NP", "U", "NC"}
# XML 1.0 cannot carry most control characters at all: they are dropped from stored text.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str, limit: int) -> str:
    """A stored value as the schema takes it: XML-safe, trimmed, at most `limit` characters."""
    return _NOT_XML.sub("", value).strip()[:limit].strip()


def _add(parent: ET.Element, tag: str, value: str | None = None, limit: int = 0) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if value is not None:
        child.text = _text(value, limit) if limit else value
    return child


def _add_if(parent: ET.Element, tag: str, value: str, limit: int) -> None:
    """Add the element only when the value is not empty (the schema's strings are 1+ long)."""
    if _text(value, limit):
        _add(parent, tag, value, limit)


def _number(value: Decimal) -> str:
    """A decimal as plain digits ("3", "3.5", "12.25"): never an exponent, which xs:decimal
    refuses."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _gpa_block(
    parent: ET.Element, kind: str, totals: Totals, average: Decimal | None
) -> ET.Element:
    summary = _add(parent, "AcademicSummary")
    _add(summary, "AcademicSummaryType", kind)
    block = _add(summary, "GPA")
    _add(block, "CreditHoursAttempted", _number(totals.credits_attempted))
    _add(block, "CreditHoursEarned", _number(totals.credits_earned))
    _add(block, "CreditUnit", CREDIT_UNIT)
    if average is not None:
        _add(block, "GradePointAverage", f"{average:f}")  # exactly as printed
    _add(block, "TotalQualityPoints", _number(totals.quality_points))
    _add(block, "CreditHoursforGPA", _number(totals.gpa_credits))
    return summary


def grade_status(course: CourseLine) -> str | None:
    """The course's CourseAcademicGradeStatusCode: pass/fail, audit, incomplete, withdrawal and
    the like; None for a mark that counts in the GPA (a letter says it all). A mark outside the
    GPA on a graded line is read by what it is (W, I, P on a pass/fail scale)."""
    if course.grading_basis == "graded" and course.quality_points is not None:
        return None
    mark = course.mark.strip().upper()
    if mark in _PASSING_BASIS_MARKS:
        return "PassFailPass"
    if mark in _FAILING_BASIS_MARKS:
        return "PassFailFail"
    return _STATUS_BY_MARK.get(mark)


def repeat_code(course: CourseLine, repeat_policy: str) -> str | None:
    """CourseRepeatCode from the repeat policy: under `all` every attempt counts; under
    `latest` or `highest` one attempt replaces the others."""
    if not course.repeated:
        return None
    if repeat_policy == "all":
        return "RepeatCounted"
    return "ReplacementCounted" if course.repeat == "included" else "ReplacedNotCounted"


def _split_code(code: str) -> tuple[str, str]:
    """ "MATH 101" -> ("MATH", "101"); a code without a space is all number."""
    subject, _, number = code.strip().rpartition(" ")
    return subject.strip(), number.strip()


def _course(
    parent: ET.Element, course: CourseLine, scale_codes: dict[str, str], policy: str
) -> None:
    element = _add(parent, "Course")
    _add(element, "CourseCreditBasis", "Regular")
    _add(element, "CourseCreditUnits", CREDIT_UNIT)
    _add(element, "CourseCreditValue", _number(course.credits_attempted))
    _add(element, "CourseCreditEarned", _number(course.credits_earned))
    if course.scale:
        _add(element, "CourseAcademicGradeScaleCode", scale_codes[course.scale])
    _add_if(element, "CourseAcademicGrade", course.mark, 10)
    status = grade_status(course)
    if status:
        _add(element, "CourseAcademicGradeStatusCode", status)
    repeat = repeat_code(course, policy)
    if repeat:
        _add(element, "CourseRepeatCode", repeat)
    if course.quality_points is not None:
        _add(element, "CourseQualityPointsEarned", _number(course.quality_points))
    subject, number = _split_code(course.course_code)
    _add_if(element, "CourseSubjectAbbreviation", subject, 10)
    _add_if(element, "CourseNumber", number, 15)
    _add_if(element, "OriginalCourseID", course.course_code, 30)
    _add_if(element, "CourseTitle", course.title, 60)
    if course.grading_basis != "graded":
        _add_if(element, "NoteMessage", f"Grading basis: {bases.label(course.grading_basis)}", 80)


def _designator(term: TermRecord, fallback: date | None) -> str:
    """The session's designator, `YYYY-MM` of the day it began."""
    began = term.start_date
    if began is None:
        year = term.code[:4] if term.code[:4].isdigit() else str((fallback or date.today()).year)
        return f"{year}-01"
    return f"{began.year:04d}-{began.month:02d}"


def _session(
    parent: ET.Element,
    term: TermRecord,
    transcript: Transcript,
    scale_codes: dict[str, str],
    issued_on: date | None,
) -> None:
    session = _add(parent, "AcademicSession")
    detail = _add(session, "AcademicSessionDetail")
    _add(detail, "SessionDesignator", _designator(term, issued_on))
    _add_if(detail, "SessionName", term.name or term.code, 30)
    if term.start_date is not None:
        _add(detail, "SessionBeginDate", term.start_date.isoformat())
    for course in term.courses:
        _course(session, course, scale_codes, transcript.policy.repeat_policy)
    summary = _gpa_block(session, "SenderOnly", term.totals, term.gpa)
    if term.standing == DEANS_LIST:
        honours = _add(summary, "AcademicHonors")
        _add(honours, "HonorsTitle", DEANS_LIST)
    elif term.standing:
        _add_if(summary, "NoteMessage", term.standing, 80)
    _standing(summary, term.standing)
    _gpa_block(session, "Cumulative", term.cumulative, term.cumulative_gpa)


def _standing(summary: ET.Element, printed: str) -> None:
    """The standing as its PESC code (pesc_codes), last in the summary as the schema orders."""
    code = standing_code(printed)
    if code:
        _add(summary, "Delinquencies", code)


def _scale_codes(t: Transcript) -> dict[str, str]:
    """Each scale the document uses -> its local code, in order of first use."""
    codes: dict[str, str] = {}
    for term in t.terms:
        for course in term.courses:
            if course.scale and course.scale not in codes:
                codes[course.scale] = str(len(codes) + 1)
    return codes


def _organization(parent: ET.Element, tag: str, name: str) -> None:
    organization = _add(_add(parent, tag), "Organization")
    _add_if(organization, "OrganizationName", name, 60)


def _person(student: ET.Element, t: Transcript) -> None:
    s = t.student
    person = _add(student, "Person")
    _add_if(person, "SchoolAssignedPersonID", s.student_number, 20)
    if s.birth_date is not None:
        _add(_add(person, "Birth"), "BirthDate", s.birth_date.isoformat())
    name = _add(person, "Name")
    if s.first_name or s.last_name:
        _add_if(name, "FirstName", s.first_name, 35)
        _add_if(name, "MiddleName", s.middle_name, 35)
        _add_if(name, "LastName", s.last_name, 35)
    else:
        _add_if(name, "CompositeName", s.name, 35)


def _award(record: ET.Element, t: Transcript) -> None:
    s = t.student
    if not s.degree_conferred:
        return
    award = _add(record, "AcademicAward")
    if s.conferral_date is not None:
        _add(award, "AcademicAwardDate", s.conferral_date.isoformat())
    _add_if(award, "AcademicAwardTitle", s.degree_conferred, 400)
    if s.honours:
        honours = _add(award, "AcademicHonors")
        _add(honours, "HonorsTitle", s.honours, 30)
        level = honours_level(s.honours)
        if level:
            _add(honours, "HonorsLevel", level)
    _add(award, "AcademicCompletionIndicator", "true")
    if s.conferral_date is not None:
        _add(award, "AcademicCompletionDate", s.conferral_date.isoformat())


def _transfer(record: ET.Element, t: Transcript) -> None:
    for line in t.transfer:
        element = _add(record, "Course")
        _add(element, "CourseCreditBasis", "Regular")
        _add(element, "CourseCreditUnits", CREDIT_UNIT)
        _add(element, "CourseCreditValue", _number(line.credits))
        _add(element, "CourseCreditEarned", _number(line.credits))
        _add_if(element, "CourseAcademicGrade", line.mark, 10)
        _add(element, "CourseAcademicGradeStatusCode", "TransferNoGrade")
        subject, number = _split_code(line.source_course_code)
        _add_if(element, "CourseSubjectAbbreviation", subject, 10)
        _add_if(element, "CourseNumber", number, 15)
        _add_if(element, "OriginalCourseID", line.source_course_code, 30)
        _add_if(element, "CourseTitle", line.source_course_title, 60)
        if _text(line.source_institution, 60):
            school = _add(element, "CourseOverrideSchool")
            _add(school, "OrganizationName", line.source_institution, 60)
        if line.awarded_as:
            _add_if(element, "NoteMessage", f"Transfer credit as {line.awarded_as}", 80)


def pesc_tree(
    t: Transcript,
    options: RenderOptions,
    recipient: str = "",
    received: Sequence[ReceivedRecord] = (),
) -> ET.Element:
    """The College Transcript as an element tree (the content and the copy's release facts);
    each institution's `received` coursework follows as an AcademicRecord of its own."""
    root = ET.Element(f"{{{NAMESPACE}}}CollegeTranscript")
    transmission = _add(root, "TransmissionData")
    issued = options.issued_on or date.today()
    document_id = options.verification_code or f"{t.student.student_number}-{issued.isoformat()}"
    _add(transmission, "DocumentID", document_id, 35)
    _add(transmission, "CreatedDateTime", f"{issued.isoformat()}T00:00:00")
    _add(transmission, "DocumentTypeCode", "RequestedRecord")
    _add(transmission, "TransmissionType", "Original")
    _organization(transmission, "Source", t.institution.name)
    _organization(transmission, "Destination", recipient)
    _add(transmission, "DocumentOfficialCode", "Official" if options.official else "Unofficial")
    _add(transmission, "DocumentCompleteCode", "Complete")
    if t.institution.practice:  # first of the notes, so no reader of the file can miss it
        _add(transmission, "NoteMessage", PRACTICE_MARK, 80)
    if options.verification_code:
        _add(transmission, "NoteMessage", f"Verification code {options.verification_code}", 80)

    student = _add(root, "Student")
    _person(student, t)
    record = _add(student, "AcademicRecord")
    school = _add(record, "School")
    _add(school, "OrganizationName", t.institution.name or t.institution.short_name, 60)
    _award(record, t)
    if not t.progress_only:
        overall = _gpa_block(record, "All", t.cumulative, t.cumulative_gpa)
        if t.terms:  # the standing today: the latest term's
            _standing(overall, t.terms[-1].standing)
        if options.weighted and t.cumulative_weighted_gpa is not None:
            weighted = _add(record, "AcademicSummary")
            _add(weighted, "AcademicSummaryType", "Weighted")
            _add(_add(weighted, "GPA"), "GradePointAverage", f"{t.cumulative_weighted_gpa:f}")
        if t.transfer:
            transfer = _add(record, "AcademicSummary")
            _add(transfer, "AcademicSummaryType", "TransferOnly")
            block = _add(transfer, "GPA")
            _add(block, "CreditHoursEarned", _number(t.transfer_credits))
            _add(block, "CreditUnit", CREDIT_UNIT)
    scale_codes = _scale_codes(t)
    for term in t.terms:
        _session(record, term, t, scale_codes, options.issued_on)
    _transfer(record, t)
    for scale, code in scale_codes.items():
        _add(record, "NoteMessage", f"Grade scale {code}: {scale}", 80)
    if t.graduation_status:
        _add(record, "NoteMessage", t.graduation_status, 80)
    for other in received:
        _received_record(student, other)
    return root


def render_pesc(
    t: Transcript,
    options: RenderOptions,
    recipient: str = "",
    received: Sequence[ReceivedRecord] = (),
) -> str:
    """The College Transcript 1.6.0 document as UTF-8 XML text, indented."""
    root = pesc_tree(t, options, recipient, received)
    ET.register_namespace("ColTrn", NAMESPACE)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


# --- coursework received from other institutions, written back as it was sent ----------------
# Only values the 1.6.0 schema takes are written: a code outside its lists (an older version's,
# a provincial one) is left out rather than making the document invalid.
_UNITS = {
    "NoCredit", "Quarter", "Semester", "Units", "ClockHours", "CarnegieUnits",
    "ContinuingEducationUnits", "Unreported", "Other",
}  # fmt: skip
_SUMMARY_TYPES = {
    "All", "SenderOnly", "TransferOnly", "AllNotRepeated", "SenderNotRepeated",
    "TransferNotRepeated", "AcademicRenewal", "CarryoverCredit", "DegreeApplicable",
    "NonDegreeApplicable", "ConvertedFrom", "ConvertedTo", "Weighted", "NonWeighted",
    "UserDefined", "Cumulative",
}  # fmt: skip
_STATUSES = {
    "AuditedCourse", "Completed", "HonorsGrade", "Incomplete", "IncompleteNotResolvedFail",
    "InProgress", "NotYetReported", "OtherFail", "OtherPass", "PassFailFail", "PassFailPass",
    "PlanningToTake", "TransferNoGrade", "Withdrew", "WithdrewFailing", "WithdrewNoPenalty",
    "WithdrewPassing",
}  # fmt: skip
_REPEATS = {
    "RepeatCounted", "RepeatNotCounted", "ReplacementCounted", "ReplacedNotCounted",
    "RepeatOtherInstitution", "NotCountedOther",
}  # fmt: skip
_LEVELS = {
    "SeventhGrade", "EighthGrade", "NinthGrade", "TenthGrade", "EleventhGrade", "TwelfthGrade",
    "Grade13", "Dual", "DualGraduateUndergraduate", "DualHighSchoolCollege", "Graduate",
    "GraduateProfessional", "LowerDivision", "Professional", "Secondary",
    "TechnicalPreparatory", "Undergraduate", "Ungraded", "UpperDivision", "Vocational",
}  # fmt: skip
_YEAR_MONTH = re.compile(r"^-?\d{4,}-(0[1-9]|1[0-2])(Z|[+-]\d{2}:\d{2})?$")  # xs:gYearMonth
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _add_known(parent: ET.Element, tag: str, value: str, known: set[str]) -> None:
    if value in known:
        _add(parent, tag, value)


def _add_number(parent: ET.Element, tag: str, value: Decimal | None) -> None:
    if value is not None:
        _add(parent, tag, _number(value))


def _received_summary(parent: ET.Element, s: ReceivedSummary) -> None:
    summary = _add(parent, "AcademicSummary")
    _add_known(summary, "AcademicSummaryType", s.summary_type, _SUMMARY_TYPES)
    _add_known(summary, "AcademicSummaryLevel", s.summary_level, _LEVELS)
    block = _add(summary, "GPA")
    _add_number(block, "CreditHoursAttempted", s.credits_attempted)
    _add_number(block, "CreditHoursEarned", s.credits_earned)
    _add_known(block, "CreditUnit", s.credit_unit, _UNITS)
    if _DECIMAL.match(s.gpa):
        _add(block, "GradePointAverage", s.gpa)  # as sent, digits and all
    _add_number(block, "TotalQualityPoints", s.quality_points)
    _add_number(block, "CreditHoursforGPA", s.credits_for_gpa)


def _received_course(parent: ET.Element, c: ReceivedCourse) -> None:
    element = _add(parent, "Course")
    _add(element, "CourseCreditBasis", "Regular")
    _add_known(element, "CourseCreditUnits", c.credit_unit, _UNITS)
    _add_number(element, "CourseCreditValue", c.credits_attempted)
    _add_number(element, "CourseCreditEarned", c.credits_earned)
    _add_if(element, "CourseAcademicGradeScaleCode", c.scale_code, 3)
    _add_if(element, "CourseAcademicGrade", c.mark, 10)
    _add_known(element, "CourseAcademicGradeStatusCode", c.grade_status, _STATUSES)
    _add_known(element, "CourseRepeatCode", c.repeat_code, _REPEATS)
    _add_number(element, "CourseQualityPointsEarned", c.quality_points)
    subject, number = _split_code(c.course_code)
    _add_if(element, "CourseSubjectAbbreviation", subject, 10)
    _add_if(element, "CourseNumber", number, 15)
    _add_if(element, "OriginalCourseID", c.course_code, 30)
    _add_if(element, "CourseTitle", c.title, 60)


def _received_record(student: ET.Element, r: ReceivedRecord) -> None:
    """Another institution's coursework as one more AcademicRecord, that institution its
    School: summaries of the record, then each session's courses and summaries, then the
    courses sent outside any session."""
    record = _add(student, "AcademicRecord")
    school = _add(record, "School")
    _add(school, "OrganizationName", r.institution, 60)
    _add_if(school, "NoteMessage", r.institution_ids, 80)
    sessions: dict[tuple[str, str], tuple[list[ReceivedCourse], list[ReceivedSummary]]] = {}
    loose: list[ReceivedCourse] = []
    for c in r.courses:
        if _YEAR_MONTH.match(c.session_designator):
            key = (c.session_designator, c.session_name)
            sessions.setdefault(key, ([], []))[0].append(c)
        else:
            loose.append(c)
    for s in r.summaries:
        if _YEAR_MONTH.match(s.session_designator):
            key = (s.session_designator, s.session_name)
            sessions.setdefault(key, ([], []))[1].append(s)
        else:
            _received_summary(record, s)
    for (designator, name), (courses, summaries) in sessions.items():
        session = _add(record, "AcademicSession")
        detail = _add(session, "AcademicSessionDetail")
        _add(detail, "SessionDesignator", designator)
        _add_if(detail, "SessionName", name, 30)
        for c in courses:
            _received_course(session, c)
        for s in summaries:
            _received_summary(session, s)
    for c in loose:
        _received_course(record, c)
    _add(record, "NoteMessage", "Received coursework: not evaluated unless listed as transfer", 80)

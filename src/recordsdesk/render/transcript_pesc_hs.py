"""The transcript of a secondary record as a PESC High School Transcript 1.5.0 document.

The High School Transcript holds the same academic record as the College Transcript (both
schemas take AcademicRecord 1.9.0's types for the sender, the student and the record), so the
document is the College writer's tree under the High School root, with what a secondary
transcript prints besides: credits in Carnegie units, the cumulative weighted GPA beside the
unweighted one (`All` is unweighted, `Weighted` weighted, each with its credits and points), a
term's weighted GPA in its session, each course's place in the GPA (`Weighted` for a course
whose weight adds to its points) and, when the institution prints class rank, the class year
and the rank and class size (unweighted rank on `All`, weighted on `Weighted`).

Coursework received from other institutions follows as further AcademicRecords, written by the
College writer as it was sent: everything added here goes into the student's own record (the
first), so a received record keeps its own credit units and is never read as one of our terms.

Elements are added where the schema's sequences put them (the `*_ORDER` tuples below are those
sequences), so the document validates whatever the College writer wrote before them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree as ET

from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_pesc import pesc_tree
from recordsdesk.services.transcripts.builder import CourseLine, TermRecord, Transcript
from recordsdesk.services.transcripts.gpa import Totals
from recordsdesk.services.transcripts.received import ReceivedRecord

NAMESPACE = "urn:org:pesc:message:HighSchoolTranscript:v1.5.0"
VERSION = "1.5.0"
#: A secondary course's credit (0.5 a semester, 1 a year) is a Carnegie unit.
CREDIT_UNIT = "CarnegieUnits"
#: ClassRank and ClassSize are at most four digits; a larger class is named in a note only.
MAX_CLASS_SIZE = 9999

# The schema's sequences (AcademicRecord 1.9.0), for putting an element where it belongs.
RECORD_ORDER = (
    "School", "StudentLevel", "CohortGraduationYear", "AcademicAward", "AcademicSummary",
    "AcademicSession", "Course", "AdditionalStudentAchievements", "NoteMessage",
    "UserDefinedExtensions",
)  # fmt: skip
SESSION_ORDER = (
    "AcademicSessionDetail", "School", "StudentLevel", "AcademicProgram", "AcademicAward",
    "Course", "AcademicSummary", "AttendanceCount", "UserDefinedExtensions", "NoteMessage",
)  # fmt: skip
SUMMARY_ORDER = (
    "AcademicSummaryType", "AcademicSummaryLevel", "GPA", "AcademicHonors", "ClassRank",
    "ClassSize", "UserDefinedExtensions", "NoteMessage", "HighSchoolCreditSummary",
    "AcademicProgram", "Delinquencies", "EntryDate", "ExitDate", "ExitReasonCode",
    "ClassRankSessionCount", "ClassRankDate",
)  # fmt: skip
COURSE_ORDER = (
    "CourseCreditBasis", "CourseCreditUnits", "CourseCreditLevel", "CourseCreditValue",
    "CourseCreditEarned", "CourseAcademicGradeScaleCode", "CourseAcademicGrade",
    "CourseSupplementalAcademicGrade", "CourseAcademicGradeStatusCode",
    "CourseNarrativeExplanationGrade", "CourseRepeatCode", "CourseCIPCode", "CourseCSISCode",
    "CourseUSISCode", "CourseNCESCode", "CourseSCEDCode", "CourseFiveDigitSCEDCode",
    "CourseSubjectAreaCode", "CourseQualityPointsEarned", "CourseLevel",
    "CourseGPAApplicabilityCode", "CourseSubjectAbbreviation", "CourseNumber",
    "CourseSectionNumber", "OriginalCourseID", "AgencyCourseID", "CourseTitle", "CourseAddDate",
    "CourseDropDate", "CourseOverrideSchool", "OverrideSchoolCourseNumber",
    "CourseApplicability", "CourseBeginDate", "CourseEndDate", "CourseInstructionSite",
    "CourseInstructionSiteName", "Requirement", "Attribute", "Proficiency", "Licensure",
    "LanguageOfInstruction", "NoteMessage", "UserDefinedExtensions",
)  # fmt: skip


def _put(
    parent: ET.Element, tag: str, order: tuple[str, ...], value: str | None = None
) -> ET.Element:
    """A new child `tag` after every child the schema's `order` puts before or with it."""
    child = ET.Element(tag)
    if value is not None:
        child.text = value
    place = order.index(tag)
    at = len(parent)
    for index, sibling in enumerate(parent):
        rank = order.index(sibling.tag) if sibling.tag in order else len(order)
        if rank > place:
            at = index
            break
    parent.insert(at, child)
    return child


def _digits(value: Decimal) -> str:
    """A decimal as plain digits ("3", "3.5"), never an exponent (xs:decimal refuses one)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _weighted_block(
    parent: ET.Element, order: tuple[str, ...], totals: Totals, average: Decimal | None
) -> ET.Element:
    """A `Weighted` summary: the weighted GPA as printed, over the same credits as the
    unweighted one, with the weighted quality points."""
    summary = _put(parent, "AcademicSummary", order)
    ET.SubElement(summary, "AcademicSummaryType").text = "Weighted"
    block = ET.SubElement(summary, "GPA")
    ET.SubElement(block, "CreditHoursAttempted").text = _digits(totals.credits_attempted)
    ET.SubElement(block, "CreditHoursEarned").text = _digits(totals.credits_earned)
    ET.SubElement(block, "CreditUnit").text = CREDIT_UNIT
    if average is not None:
        ET.SubElement(block, "GradePointAverage").text = f"{average:f}"  # exactly as printed
    ET.SubElement(block, "TotalQualityPoints").text = _digits(totals.weighted_points)
    ET.SubElement(block, "CreditHoursforGPA").text = _digits(totals.gpa_credits)
    return summary


def gpa_applicability(course: CourseLine) -> str:
    """CourseGPAApplicabilityCode: in the GPA with a weight (honors, AP), in it, or not."""
    if course.quality_points is None:
        return "NotApplicable"
    return "Weighted" if course.weight > 0 else "Applicable"


def _courses(session: ET.Element, term: TermRecord) -> None:
    """Each course's place in the GPA and, for a weighted one, its weighted points (the College
    writer writes one Course per line of the term, in order, before anything else it adds)."""
    for element, course in zip(session.findall("Course"), term.courses, strict=False):
        _put(element, "CourseGPAApplicabilityCode", COURSE_ORDER, gpa_applicability(course))
        if course.weight > 0 and course.weighted_points is not None:
            note = f"Weighted quality points {_digits(course.weighted_points)}"
            _put(element, "NoteMessage", COURSE_ORDER, note)


def _session(session: ET.Element, t: Transcript, term: TermRecord) -> None:
    _courses(session, term)
    if t.weighted_available and not t.progress_only:
        summary = _weighted_block(session, SESSION_ORDER, term.totals, term.weighted_gpa)
        if term.cumulative_weighted_gpa is not None:
            note = f"Cumulative weighted GPA {term.cumulative_weighted_gpa:f}"
            _put(summary, "NoteMessage", SUMMARY_ORDER, note)


def summaries(parent: ET.Element) -> dict[str, ET.Element]:
    """The element's AcademicSummary blocks by their type (All, Weighted, SenderOnly...)."""
    return {s.findtext("AcademicSummaryType") or "": s for s in parent.findall("AcademicSummary")}


def _rank(summary: ET.Element, rank: int, size: int, on: date) -> None:
    if size <= MAX_CLASS_SIZE:
        _put(summary, "ClassRank", SUMMARY_ORDER, str(rank))
        _put(summary, "ClassSize", SUMMARY_ORDER, str(size))
    _put(summary, "ClassRankDate", SUMMARY_ORDER, on.isoformat())


def _summaries(record: ET.Element, t: Transcript, on: date) -> None:
    """The cumulative weighted GPA beside the unweighted one, and the class rank on both."""
    overall = summaries(record).get("All")
    if overall is None:  # a progress record: no GPA, no rank
        return
    weighted = None
    if t.weighted_available:
        weighted = _weighted_block(record, RECORD_ORDER, t.cumulative, t.cumulative_weighted_gpa)
        # After All, before TransferOnly: the record's own figures first.
        record.remove(weighted)
        record.insert(list(record).index(overall) + 1, weighted)
    rank = t.class_rank
    if rank is None:
        return
    _put(record, "CohortGraduationYear", RECORD_ORDER, str(rank.class_year))
    _rank(overall, rank.unweighted_rank, rank.size, on)
    if weighted is not None:
        _rank(weighted, rank.rank, rank.size, on)
    note = (
        f"Class of {rank.class_year}: {rank.size} students; percentile {rank.percentile}, "
        f"decile {rank.decile} (weighted)"
    )
    _put(overall, "NoteMessage", SUMMARY_ORDER, note[:80])


def pesc_hs_tree(
    t: Transcript,
    options: RenderOptions,
    recipient: str = "",
    received: Sequence[ReceivedRecord] = (),
) -> ET.Element:
    """The High School Transcript as an element tree (the content and the copy's release
    facts); each institution's `received` coursework follows as an AcademicRecord of its own."""
    # The College writer's bare weighted block (its --weighted) is replaced by the full ones.
    root = pesc_tree(t, replace(options, weighted=False), recipient, received)
    root.tag = f"{{{NAMESPACE}}}HighSchoolTranscript"
    # Our own record is the first; the received ones after it keep their units as sent.
    record = root.find("Student/AcademicRecord")
    assert record is not None  # the College writer always writes one
    for tag in ("CourseCreditUnits", "CreditUnit"):
        for element in record.iter(tag):
            element.text = CREDIT_UNIT
    # One session per term, in order, first (sessions of other kinds may follow).
    for session, term in zip(record.findall("AcademicSession"), t.terms, strict=False):
        _session(session, t, term)
    _summaries(record, t, options.issued_on or date.today())
    return root


def render_pesc_hs(
    t: Transcript,
    options: RenderOptions,
    recipient: str = "",
    received: Sequence[ReceivedRecord] = (),
) -> str:
    """The High School Transcript 1.5.0 document as UTF-8 XML text, indented."""
    root = pesc_hs_tree(t, options, recipient, received)
    ET.register_namespace("HSTrn", NAMESPACE)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'

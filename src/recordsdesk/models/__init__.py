"""The records schema. Importing this package registers every table on SQLModel.metadata."""

from recordsdesk.models.admission import AdmissionApplication, ScreeningItem, ScreeningRequirement
from recordsdesk.models.audit import AuditEvent
from recordsdesk.models.base import (
    ApplicationDecision,
    ConsentScope,
    DisclosedDocument,
    EnrollmentStatus,
    GradeStatus,
    GradingBasis,
    HoldType,
    InstitutionLevel,
    LegalBasis,
    ProgramLevel,
    RepeatPolicy,
    RoundingPolicy,
    ScaleKind,
    StaffRole,
    StandingLevel,
    StudentStatus,
    TermStatus,
    TranscriptFormat,
    TranscriptRequestStatus,
    utcnow,
)
from recordsdesk.models.catalog import Course, Prerequisite, Program, ProgramRequirement
from recordsdesk.models.contact import ContactNote, TranscriptRequest
from recordsdesk.models.disclosure import Disclosure, ReleaseConsent, VerificationLetter
from recordsdesk.models.enrollment import AcademicStanding, Enrollment, TransferCredit
from recordsdesk.models.external import ExternalKey
from recordsdesk.models.grading import GradeMark, GradingScale
from recordsdesk.models.hold import Hold
from recordsdesk.models.institution import Institution
from recordsdesk.models.practice import PracticeResult
from recordsdesk.models.staff import ApiToken, StaffUser
from recordsdesk.models.student import Student
from recordsdesk.models.term import Section, Term
from recordsdesk.models.totals import TermTotals, TermTotalsBasis, TermTotalsStale
from recordsdesk.models.transfer import (
    Articulation,
    ExternalCourse,
    ExternalSummary,
    ExternalTranscript,
)

__all__ = [
    "AcademicStanding",
    "AdmissionApplication",
    "ApiToken",
    "ApplicationDecision",
    "Articulation",
    "AuditEvent",
    "ConsentScope",
    "ContactNote",
    "Course",
    "DisclosedDocument",
    "Disclosure",
    "Enrollment",
    "ExternalCourse",
    "ExternalKey",
    "ExternalSummary",
    "ExternalTranscript",
    "EnrollmentStatus",
    "GradeMark",
    "GradeStatus",
    "GradingBasis",
    "GradingScale",
    "Hold",
    "HoldType",
    "Institution",
    "InstitutionLevel",
    "PracticeResult",
    "LegalBasis",
    "Prerequisite",
    "Program",
    "ProgramLevel",
    "ProgramRequirement",
    "ReleaseConsent",
    "RepeatPolicy",
    "RoundingPolicy",
    "ScaleKind",
    "ScreeningItem",
    "ScreeningRequirement",
    "Section",
    "StaffRole",
    "StandingLevel",
    "StaffUser",
    "Student",
    "StudentStatus",
    "Term",
    "TermStatus",
    "TermTotals",
    "TermTotalsBasis",
    "TermTotalsStale",
    "TranscriptFormat",
    "TranscriptRequest",
    "TranscriptRequestStatus",
    "TransferCredit",
    "VerificationLetter",
    "utcnow",
]

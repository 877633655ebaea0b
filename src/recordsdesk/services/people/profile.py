"""The student profile as every screen and service reads it: one frozen value per record.

Kept apart from services.people.student (which changes records) so the record screen's read path and
the edit path share one definition without one module holding both.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlmodel import Session

from recordsdesk.models import Program, Student, StudentStatus, Term

DEPARTED_STATUSES = frozenset(
    {StudentStatus.WITHDRAWN, StudentStatus.GRADUATED, StudentStatus.TRANSFERRED_OUT}
)


@dataclass(frozen=True)
class StudentProfile:
    """A student record as the desk shows it: every stored field plus the program and entry term
    resolved to their codes. A plain value, safe to hand to another thread; the one read object
    for a student's profile (the record screen, the edit form and the services all use it)."""

    id: int
    student_number: str
    legal_first_name: str
    legal_middle_name: str
    legal_last_name: str
    preferred_name: str
    former_names: str
    birth_date: date | None
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    guardian_name: str
    guardian_relationship: str
    guardian_phone: str
    guardian_email: str
    program_id: int | None
    grade_level: str
    class_year: int | None
    status: str
    entry_term_id: int | None
    admission_date: date | None
    departure_date: date | None
    departure_reason: str
    degree_conferred: str
    conferral_date: date | None
    honours: str
    leave_start: date | None
    leave_expected_return: date | None
    leave_reason: str
    confidential: bool
    created_at: datetime
    updated_at: datetime
    version: int
    program_code: str = ""
    program_name: str = ""
    program_level: str = ""
    entry_term_code: str = ""

    @property
    def display_name(self) -> str:
        """'Last, First' with the preferred name in parentheses when it differs."""
        first = self.legal_first_name
        if self.preferred_name and self.preferred_name != first:
            first = f"{first} ({self.preferred_name})" if first else self.preferred_name
        return f"{self.legal_last_name}, {first}" if first else self.legal_last_name

    @property
    def legal_name(self) -> str:
        parts = (self.legal_first_name, self.legal_middle_name, self.legal_last_name)
        return " ".join(p for p in parts if p)

    @property
    def level(self) -> str:
        if self.grade_level:
            return self.grade_level
        return str(self.class_year) if self.class_year is not None else ""

    @property
    def departed(self) -> bool:
        return self.status in DEPARTED_STATUSES

    @classmethod
    def from_row(
        cls, row: Student, *, program: Program | None = None, entry_term: Term | None = None
    ) -> StudentProfile:
        """The profile of `row`; pass its program and entry term to have their codes filled."""
        assert row.id is not None
        stored = {f.name: getattr(row, f.name) for f in fields(cls) if f.name in _ROW_FIELDS}
        return cls(
            **stored,
            program_code=program.code if program else "",
            program_name=program.name if program else "",
            program_level=program.level if program else "",
            entry_term_code=entry_term.code if entry_term else "",
        )


_ROW_FIELDS = frozenset(Student.model_fields)


def profile_of(session: Session, row: Student) -> StudentProfile:
    """The profile of a stored row with its program and entry term resolved."""
    program = session.get(Program, row.program_id) if row.program_id else None
    term = session.get(Term, row.entry_term_id) if row.entry_term_id else None
    return StudentProfile.from_row(row, program=program, entry_term=term)

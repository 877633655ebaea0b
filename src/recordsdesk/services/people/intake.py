"""Intake: the New student form's rules, the duplicate guard, and enrolling an applicant.

The form is checked as a whole and every field's problem is reported at once (`IntakeInvalid`
maps field -> message), so the desk can show each message beside its field; nothing is written
until the whole form is valid. Before creating a record the duplicate guard looks for the same
person already on file (same name, ignoring accents and case, with the same birth date; or the
same email) and refuses with the candidates (`DuplicateSuspected`) until the clerk confirms
they are someone else; that confirmation is audited.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from recordsdesk.models import Institution, Program, Student, Term, TermStatus
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.admissions.applications import ApplicationView, open_application
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.people.student import (
    StudentCreate,
    StudentProfile,
    create_student,
)
from recordsdesk.services.people.validation import clean_text
from recordsdesk.services.shared.errors import RecordsError, ValidationFailed

MAX_TEXT = 120
MAX_CANDIDATES = 20


@dataclass(frozen=True, kw_only=True)
class IntakeForm:
    """What the New student form holds, as typed (text); the services clean and check it."""

    legal_first_name: str = ""
    legal_middle_name: str = ""
    legal_last_name: str = ""
    preferred_name: str = ""
    birth_date: str = ""
    email: str = ""
    phone: str = ""
    address_line1: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    guardian_name: str = ""
    guardian_relationship: str = ""
    guardian_phone: str = ""
    guardian_email: str = ""
    program: str = ""  # a program code
    entry_term: str = ""  # a term code
    level: str = ""  # grade level ("9", "K") or college year ("FR")


FORM_FIELDS = tuple(f.name for f in fields(IntakeForm))
#: Form field -> the record's text field it fills (the others are a date and two choices).
TEXT_ON_RECORD = {
    name: "grade_level" if name == "level" else name
    for name in FORM_FIELDS
    if name not in ("birth_date", "program", "entry_term")
}


class IntakeInvalid(ValidationFailed):
    """Every problem on the form at once: `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(first, errors[first])
        self.errors = errors


@dataclass(frozen=True)
class DuplicateCandidate:
    student_id: int
    student_number: str
    name: str
    birth_date: date | None
    email: str
    status: str
    why: str  # "same name and birth date" / "same email"


class DuplicateSuspected(RecordsError):
    """The person may already have a record; create anyway only when the clerk says so."""

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        numbers = ", ".join(c.student_number for c in candidates)
        super().__init__(f"This may be a student already on file ({numbers}).")
        self.candidates = candidates


@dataclass(frozen=True)
class Choice:
    """A program or term the form offers: the code typed and the words shown beside it."""

    code: str
    label: str


@dataclass(frozen=True)
class IntakeChoices:
    programs: tuple[Choice, ...]
    terms: tuple[Choice, ...]
    minor_age_years: int


@dataclass(frozen=True)
class IntakeResult:
    profile: StudentProfile
    application: ApplicationView


def intake_choices(session: Session, *, actor: Actor) -> IntakeChoices:
    """The active programs and the terms not yet closed, for the form's type-to-filter lists."""
    authorize(actor, Action.STUDENT_CREATE)
    programs = session.exec(
        select(Program).where(col(Program.active).is_(True)).order_by(col(Program.code))
    ).all()
    terms = session.exec(
        select(Term)
        .where(col(Term.status) != TermStatus.CLOSED.value)
        .order_by(col(Term.start_date), col(Term.code))
    ).all()
    return IntakeChoices(
        programs=tuple(Choice(p.code, f"{p.name} ({p.level})") for p in programs),
        terms=tuple(Choice(t.code, f"{t.name}, starts {t.start_date.isoformat()}") for t in terms),
        minor_age_years=_minor_age(session),
    )


def _minor_age(session: Session) -> int:
    institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
    return institution.minor_age_years if institution else 18


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name ("Núñez" -> "nunez"), as the lookup folds."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def age_on(birth: date, day: date) -> int:
    """Whole years from `birth` to `day` (a 29 February birthday turns over on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class _Clean:
    data: StudentCreate
    program: Program
    term: Term


def _check(session: Session, form: IntakeForm, today: date) -> _Clean:
    """The form cleaned into a StudentCreate, or IntakeInvalid with every field's problem."""
    errors: dict[str, str] = {}
    text = {name: str(getattr(form, name) or "").strip() for name in FORM_FIELDS}
    for name, value in text.items():
        if len(value) > MAX_TEXT:
            errors[name] = f"must be at most {MAX_TEXT} characters."
    stored: dict[str, str] = {}
    for (
        name
    ) in TEXT_ON_RECORD:  # the record's own rules (services.people.validation), on every path
        if name not in errors:
            try:
                stored[name] = clean_text(TEXT_ON_RECORD[name], text[name])
            except ValidationFailed as refused:
                errors[name] = refused.message
    birth: date | None = None
    if not text["birth_date"]:
        errors["birth_date"] = "the birth date is required (YYYY-MM-DD)."
    else:
        try:
            birth = date.fromisoformat(text["birth_date"])
        except ValueError:
            errors["birth_date"] = f"{text['birth_date']!r} is not a date (YYYY-MM-DD)."
        else:
            if birth > today:
                errors["birth_date"] = f"{birth.isoformat()} is in the future."
            elif birth.year < 1900:
                errors["birth_date"] = f"{birth.isoformat()} is not a plausible birth date."
    if not (text["email"] or text["phone"]):
        errors["email"] = "give an email or a phone number to reach the student."
    years = _minor_age(session)
    if birth is not None and "birth_date" not in errors and age_on(birth, today) < years:
        if not text["guardian_name"]:
            errors["guardian_name"] = f"the student is under {years}: a guardian is required."
        if not (text["guardian_phone"] or text["guardian_email"]):
            errors["guardian_phone"] = "give the guardian's phone or email."
    program = None
    if not text["program"]:
        errors["program"] = "choose a program."
    else:
        program = session.exec(
            select(Program).where(func.upper(Program.code) == text["program"].upper())
        ).first()
        if program is None:
            errors["program"] = f"there is no program {text['program']!r}."
        elif not program.active:
            errors["program"] = f"{program.code} no longer admits students."
    term = None
    if not text["entry_term"]:
        errors["entry_term"] = "choose the entry term."
    else:
        term = session.exec(
            select(Term).where(func.upper(Term.code) == text["entry_term"].upper())
        ).first()
        if term is None:
            errors["entry_term"] = f"there is no term {text['entry_term']!r}."
        elif term.status == TermStatus.CLOSED:
            errors["entry_term"] = f"{term.code} is closed."
    data = StudentCreate(
        legal_first_name=stored.get("legal_first_name", ""),
        legal_middle_name=text["legal_middle_name"],
        legal_last_name=text["legal_last_name"],
        preferred_name=text["preferred_name"],
        birth_date=birth,
        email=text["email"],
        phone=text["phone"],
        address_line1=text["address_line1"],
        city=text["city"],
        region=text["region"],
        postal_code=text["postal_code"],
        country=text["country"],
        guardian_name=text["guardian_name"],
        guardian_relationship=text["guardian_relationship"],
        guardian_phone=text["guardian_phone"],
        guardian_email=text["guardian_email"],
        program_id=program.id if program else None,
        entry_term_id=term.id if term else None,
        grade_level=text["level"],
    )
    if errors:
        raise IntakeInvalid(errors)
    assert program is not None and term is not None
    return _Clean(data, program, term)


def validate_intake(session: Session, *, actor: Actor, form: IntakeForm) -> None:
    """Check the form without writing: IntakeInvalid lists every field's problem."""
    authorize(actor, Action.STUDENT_CREATE)
    _check(session, form, date.today())


def find_duplicates(
    session: Session,
    *,
    actor: Actor,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    email: str,
) -> list[DuplicateCandidate]:
    """Records that may be the same person: same folded first and last name with the same
    birth date, or the same email (case-insensitive). Departed students count too: a
    returning student must not get a second record."""
    authorize(actor, Action.STUDENT_READ)
    conditions = []
    if birth_date is not None:
        conditions.append(col(Student.birth_date) == birth_date)
    folded_email = email.strip().lower()
    if folded_email:
        conditions.append(func.lower(Student.email) == folded_email)
    if not conditions:
        return []
    rows = session.exec(
        select(Student).where(or_(*conditions)).order_by(col(Student.id)).limit(500)
    ).all()
    first, last = fold(first_name.strip()), fold(last_name.strip())
    found: list[DuplicateCandidate] = []
    for row in rows:
        same_name = (
            birth_date is not None
            and row.birth_date == birth_date
            and fold(row.legal_last_name) == last
            and first in (fold(row.legal_first_name), fold(row.preferred_name))
        )
        same_email = bool(folded_email) and row.email.lower() == folded_email
        if not (same_name or same_email):
            continue
        why = " and ".join(
            w
            for w, hit in (("same name and birth date", same_name), ("same email", same_email))
            if hit
        )
        found.append(
            DuplicateCandidate(
                student_id=row.id or 0,
                student_number=row.student_number,
                name=" ".join(p for p in (row.legal_first_name, row.legal_last_name) if p),
                birth_date=row.birth_date,
                email=row.email,
                status=row.status,
                why=why,
            )
        )
    return found[:MAX_CANDIDATES]


def enroll_applicant(
    session: Session,
    *,
    actor: Actor,
    form: IntakeForm,
    confirmed_not_duplicates: frozenset[int] = frozenset(),
) -> IntakeResult:
    """Create the applicant's record (number from the institution's pattern) and open their
    admission application with the checklist.

    Raises IntakeInvalid (every field) or DuplicateSuspected (candidates not in
    `confirmed_not_duplicates`) with nothing written. When the clerk confirmed candidates, the
    new record's audit trail says so (`duplicate_confirmed`, naming the numbers).
    """
    authorize(actor, Action.STUDENT_CREATE)
    authorize(actor, Action.ADMISSION_MANAGE)
    clean = _check(session, form, date.today())
    data = clean.data
    birth = data.birth_date if isinstance(data.birth_date, date) else None
    candidates = find_duplicates(
        session,
        actor=actor,
        first_name=data.legal_first_name,
        last_name=data.legal_last_name,
        birth_date=birth,
        email=data.email,
    )
    unconfirmed = [c for c in candidates if c.student_id not in confirmed_not_duplicates]
    if unconfirmed:
        raise DuplicateSuspected(unconfirmed)
    profile = create_student(session, actor=actor, data=data)
    if candidates:
        numbers = ", ".join(c.student_number for c in candidates)
        audit.record(
            session,
            actor,
            action="duplicate_confirmed",
            entity="student",
            entity_id=profile.id,
            student_id=profile.id,
            after={"possible_duplicates": [c.student_number for c in candidates]},
            reason=f"Created although {numbers} looked like the same person; "
            f"{actor.username} confirmed a different person.",
        )
    assert clean.program.id is not None
    application = open_application(
        session,
        actor=actor,
        student_id=profile.id,
        program_id=clean.program.id,
        entry_term_id=clean.term.id,
    )
    return IntakeResult(profile=profile, application=application)

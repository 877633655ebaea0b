"""The rules every student record obeys, whatever the way in: the intake form, the profile
edit, the students import and the services behind them all call this module, so a value is
refused on every path with the same message naming the field.

`clean_field` turns one typed value into its stored form (text rules, dates, numbers, the
status); `check_record` checks the record as it would be saved (rules across fields and against
other records). A new rule on text goes into TEXT_RULES: each is a function of (field, text)
that returns the message when the text is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from recordsdesk.models import Program, StudentStatus, Term
from recordsdesk.services.people.profile import DEPARTED_STATUSES
from recordsdesk.services.shared.errors import ValidationFailed

TEXT_FIELDS = frozenset(
    {
        "legal_first_name",
        "legal_middle_name",
        "legal_last_name",
        "preferred_name",
        "former_names",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "country",
        "guardian_name",
        "guardian_relationship",
        "guardian_phone",
        "guardian_email",
        "grade_level",
        "departure_reason",
        "degree_conferred",
        "honours",
        "leave_reason",
    }
)
DATE_FIELDS = frozenset(
    {
        "birth_date",
        "admission_date",
        "departure_date",
        "conferral_date",
        "leave_start",
        "leave_expected_return",
    }
)
REFERENCE_FIELDS: dict[str, type[Program] | type[Term]] = {
    "program_id": Program,
    "entry_term_id": Term,
}
EDITABLE_FIELDS = (
    TEXT_FIELDS
    | DATE_FIELDS
    | frozenset(REFERENCE_FIELDS)
    | {"class_year", "status", "confidential"}
)
MAX_LENGTHS = {"grade_level": 20, "student_number": 20}
EARLIEST_PLAUSIBLE = date(1900, 1, 1)
# Shared with the imports, so a file and the form accept the same addresses.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

#: Typed as the legal first name of a person with a single name; stored as an empty first name.
SINGLE_NAME = "-"
#: The message for each field a record cannot be without (the same on every way in).
REQUIRED: dict[str, str] = {
    "legal_last_name": "the legal last name is required.",
    "legal_first_name": (
        f"the legal first name is required (for a single name, type '{SINGLE_NAME}' here)."
    ),
}

#: (field, text) -> the message when the text is refused, else None.
TextRule = Callable[[str, str], str | None]


def _within_length(field: str, text: str) -> str | None:
    limit = MAX_LENGTHS.get(field)
    return f"must be at most {limit} characters." if limit and len(text) > limit else None


def _email_address(field: str, text: str) -> str | None:
    if field in ("email", "guardian_email") and text and not EMAIL.fullmatch(text):
        return f"{text!r} is not an email address (name@example.org)."
    return None


#: Every rule on a text field, applied in order (the first refusal is the field's message).
TEXT_RULES: list[TextRule] = [_within_length, _email_address]


def clean_text(field: str, text: str) -> str:
    """One text field as stored: stripped, checked by TEXT_RULES, a required field not empty
    (the single-name mark stored as an empty first name); ValidationFailed names the field."""
    text = text.strip()
    for rule in TEXT_RULES:
        message = rule(field, text)
        if message is not None:
            raise ValidationFailed(field, message)
    if field in REQUIRED and not text:
        raise ValidationFailed(field, REQUIRED[field])
    if field == "legal_first_name" and text == SINGLE_NAME:
        return ""
    return text


def clean_date(field: str, value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise ValidationFailed(field, "must be a date without a time of day.")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationFailed(field, f"{value!r} is not a date (YYYY-MM-DD).") from None
    raise ValidationFailed(field, "must be a date.")


def _clean_int(field: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed(field, "must be a whole number.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValidationFailed(field, f"{value!r} is not a whole number.")


def clean_field(field: str, value: object) -> Any:
    """One field's value in its stored form, or ValidationFailed naming the field."""
    if field in TEXT_FIELDS:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed(field, "must be text.")
        return clean_text(field, value)
    if field in DATE_FIELDS:
        return clean_date(field, value)
    if field in REFERENCE_FIELDS:
        return _clean_int(field, value)
    if field == "class_year":
        year = _clean_int(field, value)
        if year is not None and not 1900 <= year <= 2200:
            raise ValidationFailed(field, f"{year} is not a plausible class year.")
        return year
    if field == "status":
        try:
            return StudentStatus(value if isinstance(value, str) else "").value
        except ValueError:
            allowed = ", ".join(s.value for s in StudentStatus)
            raise ValidationFailed(field, f"{value!r} is not a status ({allowed}).") from None
    if field == "confidential":
        if not isinstance(value, bool):
            raise ValidationFailed(field, "must be yes or no.")
        return value
    raise ValidationFailed(field, "is not a field of the student record.")


def check_record(
    session: Session, values: dict[str, Any], today: date, touched: frozenset[str] | set[str]
) -> None:
    """Rules across fields and against other records, on the record as it would be saved.

    Single-field plausibility rules run only on `touched` fields, so a record imported with an
    odd value (a birth date the desk would not accept today) can still have its phone changed.
    """
    if not values["legal_last_name"]:
        raise ValidationFailed("legal_last_name", REQUIRED["legal_last_name"])
    birth = values["birth_date"] if "birth_date" in touched else None
    if birth is not None and birth > today:
        raise ValidationFailed("birth_date", f"{birth.isoformat()} is in the future.")
    if birth is not None and birth < EARLIEST_PLAUSIBLE:
        raise ValidationFailed("birth_date", f"{birth.isoformat()} is not a plausible birth date.")
    status = values["status"]
    if status in DEPARTED_STATUSES:
        word = status.replace("_", " ")
        if values["departure_date"] is None:
            raise ValidationFailed("departure_date", f"a {word} student needs a departure date.")
        if not values["departure_reason"]:
            raise ValidationFailed("departure_reason", f"a {word} student needs a reason.")
    if status == StudentStatus.ON_LEAVE:
        if values["leave_start"] is None:
            raise ValidationFailed("leave_start", "a student on leave needs the date it started.")
        if not values["leave_reason"]:
            raise ValidationFailed("leave_reason", "a student on leave needs a reason.")
    start, back = values["leave_start"], values["leave_expected_return"]
    if start is not None and back is not None and back <= start:
        raise ValidationFailed("leave_expected_return", "must be after the start of the leave.")
    admitted, departed = values["admission_date"], values["departure_date"]
    if admitted is not None and departed is not None and departed < admitted:
        raise ValidationFailed("departure_date", "is before the admission date.")
    for field, model in REFERENCE_FIELDS.items():
        ref = values[field]
        if field in touched and ref is not None and session.get(model, ref) is None:
            what = "program" if model is Program else "term"
            raise ValidationFailed(field, f"there is no {what} with id {ref}.")

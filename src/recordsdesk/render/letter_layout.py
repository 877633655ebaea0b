"""The enrollment verification letter on the transcript's page grid: a letter in, pages out.

It uses the transcript layout's spans, lines and pages, so the text copy, the PDF (with the
shipped fonts), the HTML copy and the desk's preview all draw the same page, as a transcript's
do. `letter_dict` is the letter's facts (no release facts) for its JSON copy and its record
digest.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from recordsdesk.render.transcript_layout import (
    BLANK,
    BODY_LINES,
    DASH,
    PAGE_LINES,
    PRACTICE_MARK,
    WIDTH,
    Line,
    Page,
    Span,
    amount,
    fit,
    line,
)

NOT_ENROLLED = "not enrolled"


@dataclass(frozen=True)
class LetterTerm:
    """One requested term: its dates, the credits registered and the status they give."""

    code: str
    name: str
    start_date: date
    end_date: date
    credits: Decimal
    status: str  # full-time, half-time, less than half-time, not enrolled


@dataclass(frozen=True)
class Letter:
    """Everything the letter prints. `recipient` empty: "To whom it may concern"."""

    institution_name: str
    institution_address: str
    institution_contact: str
    registrar_name: str
    student_name: str
    student_number: str
    student_status: str
    program_name: str
    program_code: str
    level: str
    expected_graduation: str
    degree_conferred: str
    conferral_date: date | None
    terms: tuple[LetterTerm, ...]
    recipient: str = ""
    issued_on: date | None = None
    verification_code: str = ""
    #: Made on a practice desk: every page and the JSON say so.
    practice: bool = False


def letter_dict(letter: Letter) -> dict[str, Any]:
    """The letter's facts as plain JSON-ready values (decimals as strings, never floats)."""
    return {
        "institution": {
            "name": letter.institution_name,
            "address": letter.institution_address,
            "registrar": letter.registrar_name,
        },
        "student": {
            "student_number": letter.student_number,
            "name": letter.student_name,
            "status": letter.student_status,
            "program": letter.program_code,
            "program_name": letter.program_name,
            "level": letter.level,
            "expected_graduation": letter.expected_graduation or None,
            "degree_conferred": letter.degree_conferred or None,
            "conferral_date": letter.conferral_date.isoformat() if letter.conferral_date else None,
        },
        "terms": [
            {
                "code": t.code,
                "name": t.name,
                "start_date": t.start_date.isoformat(),
                "end_date": t.end_date.isoformat(),
                "credits": amount(t.credits),
                "enrollment_status": t.status,
            }
            for t in letter.terms
        ],
    }


def letter_digest(letter: Letter) -> str:
    """SHA-256 (hex) of the letter's facts: the same record gives the same digest."""
    canonical = json.dumps(
        letter_dict(letter), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def letter_json(letter: Letter) -> str:
    """The letter as indented JSON, with its release facts."""
    document = letter_dict(letter)
    document["copy"] = {
        "recipient": letter.recipient or None,
        "issued_on": letter.issued_on.isoformat() if letter.issued_on else None,
        "verification_code": letter.verification_code or None,
    }
    if letter.practice:  # first, so no reader of the file can miss it
        document = {"practice": PRACTICE_MARK, **document}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _paragraph(text: str) -> list[Line]:
    return [line(Span(0, fit(part, WIDTH))) for part in textwrap.wrap(text, WIDTH - 8)]


def _certifies(letter: Letter) -> str:
    enrolled = [t for t in letter.terms if t.status != NOT_ENROLLED]
    who = f"{letter.student_name} (student number {letter.student_number})"
    if not enrolled:
        return (
            f"This letter certifies that {who} is not enrolled at {letter.institution_name} "
            "in the term(s) below."
        )
    return (
        f"This letter certifies that {who} is enrolled at {letter.institution_name} as shown "
        "below, as the registrar's records stand on the date of issue."
    )


def _terms(letter: Letter) -> list[Line]:
    lines = [
        line(
            Span(0, "Term", "bold"),
            Span(28, "Dates", "bold"),
            Span(54, "Credits", "bold"),
            Span(64, "Enrollment status", "bold"),
        )
    ]
    for t in letter.terms:
        dates = f"{t.start_date.isoformat()} to {t.end_date.isoformat()}"
        lines.append(
            line(
                Span(0, fit(f"{t.name} ({t.code})", 27)),
                Span(28, dates),
                Span(54, amount(t.credits)),
                Span(64, t.status, "bold" if t.status != NOT_ENROLLED else "warn"),
            )
        )
    return lines


def _facts(letter: Letter) -> list[Line]:
    program = f"{letter.program_name} ({letter.program_code})" if letter.program_code else DASH
    degree = letter.degree_conferred or ""
    if degree and letter.conferral_date:
        degree += f", conferred {letter.conferral_date.isoformat()}"
    rows = [
        ("Program", program),
        ("Level", letter.level or DASH),
        ("Record status", letter.student_status.replace("_", " ")),
        ("Expected graduation", letter.expected_graduation or DASH),
        ("Degree conferred", degree or "none"),
    ]
    return [line(Span(0, label, "dim"), Span(22, fit(value, WIDTH - 22))) for label, value in rows]


def letter_pages(letter: Letter) -> tuple[Page, ...]:
    """The letter as one page of WIDTH x PAGE_LINES cells (the terms a letter certifies fit
    one page; more than a page's worth is cut with a note, never spread silently)."""
    issued = letter.issued_on.isoformat() if letter.issued_on else DASH
    head = [line(Span(0, fit(letter.institution_name, WIDTH), "title"))]
    if letter.practice:
        head.insert(0, line(Span(0, fit(PRACTICE_MARK, WIDTH), "warn")))
    if letter.institution_address:
        head.append(line(Span(0, fit(letter.institution_address, WIDTH))))
    if letter.institution_contact:
        head.append(line(Span(0, fit(letter.institution_contact, WIDTH), "dim")))
    head += [
        line(Span(0, "Office of the Registrar", "dim")),
        BLANK,
        line(Span(0, "ENROLLMENT VERIFICATION", "bold"), Span(WIDTH - 10, issued)),
        BLANK,
        line(Span(0, fit(f"To: {letter.recipient or 'To whom it may concern'}", WIDTH))),
        BLANK,
    ]
    body = _paragraph(_certifies(letter)) + [BLANK] + _terms(letter) + [BLANK] + _facts(letter)
    close = [
        BLANK,
        *_paragraph(
            "Enrollment status follows the institution's credit thresholds for the student's "
            "level. This letter is valid only with its verification code, which the office "
            "confirms on request."
        ),
        BLANK,
        line(Span(0, "_" * 40)),
        line(Span(0, fit(letter.registrar_name or DASH, 60))),
        line(Span(0, "Registrar", "dim")),
        BLANK,
        line(Span(0, "Verification", "dim"), Span(16, letter.verification_code or DASH, "bold")),
    ]
    lines = head + body + close
    room = BODY_LINES + 3
    if len(lines) > room:
        lines = lines[: room - 1] + [line(Span(0, "(more terms than one page holds)", "warn"))]
    footer = [
        BLANK,
        line(
            Span(
                0,
                fit(f"Enrollment verification · verification {letter.verification_code}", WIDTH),
                "dim",
            )
        ),
    ]
    filler = [BLANK] * (PAGE_LINES - len(lines) - len(footer))
    return (Page(1, 1, tuple(lines + filler + footer)),)

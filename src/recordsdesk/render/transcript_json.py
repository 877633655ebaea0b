"""The transcript as JSON: every figure, as the printed copy shows it, and the verification
code that ties a released copy to its content.

GPAs are decimal strings exactly as printed ("3.25"); credits and quality points are decimal
strings too, never floats, so a reader's arithmetic matches the office's to the last digit.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from recordsdesk.render.transcript_layout import PRACTICE_MARK, RenderOptions, amount
from recordsdesk.services.transcripts.builder import Transcript
from recordsdesk.services.transcripts.gpa import Totals

_RAW_CONTROLS = re.compile(r"[\x7f-\x9f]")


def _gpa(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _num(value: Decimal | None) -> str | None:
    return None if value is None else amount(value)


def _totals(totals: Totals, gpa: Decimal | None, weighted: Decimal | None) -> dict[str, Any]:
    return {
        "gpa": _gpa(gpa),
        "weighted_gpa": _gpa(weighted),
        "gpa_credits": _num(totals.gpa_credits),
        "quality_points": _num(totals.quality_points),
        "weighted_quality_points": _num(totals.weighted_points),
        "credits_attempted": _num(totals.credits_attempted),
        "credits_earned": _num(totals.credits_earned),
    }


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def transcript_dict(t: Transcript) -> dict[str, Any]:
    """Every figure of the transcript as plain JSON-ready values (the content, no release facts)."""
    s = t.student
    inst = t.institution
    return {
        "institution": {
            "name": inst.name,
            "address": inst.address,
            "registrar": inst.registrar_name,
        },
        "policy": {
            "repeat_policy": t.policy.repeat_policy,
            "rounding": t.policy.rounding,
            "decimals": t.policy.decimals,
            "deans_list_min_gpa": f"{t.policy.deans_list_min_gpa:f}",
            "probation_below_gpa": f"{t.policy.probation_below_gpa:f}",
            "np_counts_as_f": t.policy.np_counts_as_f,
        },
        "student": {
            "student_number": s.student_number,
            "name": s.name,
            "birth_date": _date(s.birth_date),
            "program": s.program_code,
            "program_name": s.program_name,
            "status": s.status,
            "admission_date": _date(s.admission_date),
            "degree_conferred": s.degree_conferred,
            "conferral_date": _date(s.conferral_date),
            "honours": s.honours,
        },
        "progress_only": t.progress_only,
        "class_rank": None
        if t.class_rank is None
        else {
            "class_year": t.class_rank.class_year,
            "rank": t.class_rank.rank,
            "unweighted_rank": t.class_rank.unweighted_rank,
            "class_size": t.class_rank.size,
            "percentile": t.class_rank.percentile,
            "decile": t.class_rank.decile,
        },
        "transfer": [
            {
                "institution": tr.source_institution,
                "course_code": tr.source_course_code,
                "title": tr.source_course_title,
                "equivalent": tr.equivalent_course_code,
                # Only when there is one: the copies issued before it was kept keep their
                # digest (genuine.py compares it) unless what they print changed.
                **({"elective_level": tr.elective_level} if tr.elective_level else {}),
                "credits": _num(tr.credits),
                "mark": tr.mark,
            }
            for tr in t.transfer
        ],
        "transfer_credits": _num(t.transfer_credits),
        "terms": [
            {
                "code": term.code,
                "name": term.name,
                "courses": [
                    {
                        "course_code": c.course_code,
                        "title": c.title,
                        "credits": _num(c.credits),
                        "credits_attempted": _num(c.credits_attempted),
                        "credits_earned": _num(c.credits_earned),
                        "mark": c.mark,
                        "quality_points": _num(c.quality_points),
                        "weighted_quality_points": _num(c.weighted_points),
                        "repeat": c.repeat,
                        "repeated": c.repeated,
                        "grading_basis": c.grading_basis,
                    }
                    for c in term.courses
                ],
                "gpa": _gpa(term.gpa),
                "weighted_gpa": _gpa(term.weighted_gpa),
                "gpa_credits": _num(term.totals.gpa_credits),
                "quality_points": _num(term.totals.quality_points),
                "credits_attempted": _num(term.totals.credits_attempted),
                "credits_earned": _num(term.totals.credits_earned),
                "standing": term.standing,
                "cumulative": _totals(
                    term.cumulative, term.cumulative_gpa, term.cumulative_weighted_gpa
                ),
            }
            for term in t.terms
        ],
        "in_progress": [
            {
                "term": c.term_code,
                "course_code": c.course_code,
                "title": c.title,
                "credits": _num(c.credits),
            }
            for c in t.in_progress
        ],
        "cumulative": _totals(t.cumulative, t.cumulative_gpa, t.cumulative_weighted_gpa),
        "graduation_status": t.graduation_status,
    }


def verification_code(
    t: Transcript,
    issued_on: date,
    *,
    official: bool = False,
    weighted: bool = False,
    fmt: str = "",
    serial: int | None = None,
    nonce: str = "",
) -> str:
    """A short code derived from the content, the issue date and what this copy prints
    (official or not, weighted GPA or not, its format), its serial (the log entry's number)
    and `nonce`, a random secret a released copy is given (SHA-256 of the canonical JSON):
    each copy has its own code, and with the nonce no one can work a code out from what the
    copy prints; codes are looked up, never recomputed."""
    canonical = json.dumps(
        {
            "transcript": transcript_dict(t),
            "issued_on": issued_on.isoformat(),
            "copy": {"official": official, "weighted": weighted, "format": fmt, "serial": serial},
            "nonce": nonce,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest().upper()[:16]
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def record_digest(t: Transcript) -> str:
    """SHA-256 (hex) of every figure the transcript prints (its canonical JSON, no release
    facts): the same record gives the same digest, and any later change to a printed figure
    (a grade change, a new term) gives another."""
    canonical = json.dumps(
        transcript_dict(t), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def render_json(t: Transcript, options: RenderOptions) -> str:
    """The transcript as indented JSON, with the copy's release facts."""
    document = transcript_dict(t)
    if t.institution.practice:  # first, so no reader of the file can miss it
        document = {"practice": PRACTICE_MARK, **document}
    document["copy"] = {
        "official": options.official,
        "weighted": options.weighted,
        "issued_on": _date(options.issued_on),
        "verification_code": options.verification_code or None,
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    # json escapes C0 itself; DEL and C1 (which some terminals obey) become \u escapes too,
    # so the copy read on a terminal is harmless and still decodes to the stored value.
    return _RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

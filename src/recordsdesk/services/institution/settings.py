"""The office's GPA policies and default grading scale: shown to anyone, changed by an admin.

Settings live on the Institution row so every desk on a shared database applies the same rules.
A change is validated whole before anything is written and audited with before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from recordsdesk.models import GradingScale, Institution, RepeatPolicy, RoundingPolicy
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import ValidationFailed

ENTITY = "institution"


def _choice(values: type[RepeatPolicy] | type[RoundingPolicy]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        allowed = [v.value for v in values]
        value = raw.strip().lower().replace("-", "_")
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def _decimals(raw: str) -> int:
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 4:
        raise ValueError("must be a whole number from 0 to 4")
    return int(raw)


def _gpa_threshold(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError("must be a number such as 3.50") from None
    if (
        not value.is_finite()
        or not Decimal("0") <= value <= Decimal("5")
        or value != value.quantize(Decimal("0.01"))
    ):
        raise ValueError("must be between 0.00 and 5.00 with at most two decimals")
    return value.quantize(Decimal("0.01"))


def _yes_no(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise ValueError("must be yes or no")


def _count(raw: str) -> int:
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 9:
        raise ValueError("must be a whole number from 0 to 9")
    return int(raw)


def _credits(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError("must be a number of credits such as 12") from None
    if not value.is_finite() or not Decimal("0") <= value <= Decimal("99"):
        raise ValueError("must be between 0 and 99 credits")
    return value.quantize(Decimal("0.01"))


def _credits_earned(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError("must be a number of credits such as 60") from None
    if not value.is_finite() or not Decimal("0") <= value <= Decimal("999"):
        raise ValueError("must be between 0 and 999 credits")
    return value.quantize(Decimal("0.01"))


def _minutes(raw: str) -> int:
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 480:
        raise ValueError("must be a whole number of minutes from 0 (never) to 480")
    return int(raw)


def _load_credits(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError("must be a number of credits such as 12 or 4.5") from None
    if (
        not value.is_finite()
        or not Decimal("0") < value <= Decimal("99")
        or value != value.quantize(Decimal("0.01"))
    ):
        raise ValueError("must be more than 0 and at most 99 credits, at most two decimals")
    return value.quantize(Decimal("0.01"))


#: Enrollment-status thresholds: (full-time key, half-time key) per program level.
LOAD_KEYS = (
    ("full_time_undergrad", "half_time_undergrad"),
    ("full_time_graduate", "half_time_graduate"),
)

# key -> (Institution column, parser, help)
SETTINGS: dict[str, tuple[str, Callable[[str], Any], str]] = {
    "repeat_policy": (
        "repeat_policy",
        _choice(RepeatPolicy),
        "which attempts of a repeated course count: latest, highest or all",
    ),
    "gpa_rounding": ("gpa_rounding", _choice(RoundingPolicy), "half_up or truncate"),
    "gpa_decimals": ("gpa_decimals", _decimals, "decimal places a GPA is printed with (0-4)"),
    "deans_list_min_gpa": (
        "deans_list_min_gpa",
        _gpa_threshold,
        "term GPA at or above which a term is on the dean's list",
    ),
    "probation_below_gpa": (
        "probation_below_gpa",
        _gpa_threshold,
        "cumulative GPA below which a student is on academic probation",
    ),
    "np_counts_as_f": (
        "np_counts_as_f",
        _yes_no,
        "yes: NP (no pass) enters the GPA as an F, 0 points over its credits; no: it is left out",
    ),
    "deans_list_min_credits": (
        "deans_list_min_credits",
        _credits,
        "GPA credits a term needs for the dean's list (0: no minimum)",
    ),
    "warning_below_term_gpa": (
        "warning_below_term_gpa",
        _gpa_threshold,
        "term GPA below which a student in good standing gets an academic warning",
    ),
    "suspension_after_probation_terms": (
        "suspension_after_probation_terms",
        _count,
        "consecutive probation terms after which another one below the line is a suspension",
    ),
    "dismissal_after_suspensions": (
        "dismissal_after_suspensions",
        _count,
        "suspensions after which another one is a dismissal (0: never)",
    ),
    "cum_laude_min_gpa": (
        "cum_laude_min_gpa",
        _gpa_threshold,
        "cumulative GPA for cum laude, proposed at conferral",
    ),
    "magna_cum_laude_min_gpa": (
        "magna_cum_laude_min_gpa",
        _gpa_threshold,
        "cumulative GPA for magna cum laude",
    ),
    "summa_cum_laude_min_gpa": (
        "summa_cum_laude_min_gpa",
        _gpa_threshold,
        "cumulative GPA for summa cum laude",
    ),
    "honours_min_credits": (
        "honours_min_credits",
        _credits_earned,
        "credits a graduate must have earned here (not transferred) for Latin honours",
    ),
    "print_class_rank": (
        "print_class_rank",
        _yes_no,
        "yes: a secondary transcript prints the student's class rank in the class year",
    ),
    "idle_lock_minutes": (
        "idle_lock_minutes",
        _minutes,
        "minutes without input before the desk locks itself (0: never)",
    ),
    "full_time_undergrad": (
        "full_time_credits_undergraduate",
        _load_credits,
        "credits in a term from which an undergraduate is full-time (verification letters)",
    ),
    "half_time_undergrad": (
        "half_time_credits_undergraduate",
        _load_credits,
        "credits in a term from which an undergraduate is half-time (below: less than half)",
    ),
    "full_time_graduate": (
        "full_time_credits_graduate",
        _load_credits,
        "credits in a term from which a graduate student is full-time",
    ),
    "half_time_graduate": (
        "half_time_credits_graduate",
        _load_credits,
        "credits in a term from which a graduate student is half-time",
    ),
    "default_grading_scale": (
        "default_grading_scale_id",
        str,
        "code of the grading scale new courses use (e.g. US-PM)",
    ),
}


def _institution(session: Session) -> Institution:
    return session.exec(select(Institution)).one()


def show_settings(session: Session, *, actor: Actor) -> dict[str, str]:
    """Every setting as text, keyed as `settings set` takes them."""
    authorize(actor, Action.CATALOG_READ)
    inst = _institution(session)
    shown: dict[str, str] = {}
    for key, (column, _parse, _help) in SETTINGS.items():
        value = getattr(inst, column)
        if key == "default_grading_scale":
            scale = session.get(GradingScale, value) if value is not None else None
            shown[key] = scale.code if scale else ""
        elif isinstance(value, bool):
            shown[key] = "yes" if value else "no"
        else:
            shown[key] = f"{value:f}" if isinstance(value, Decimal) else str(value)
    return shown


def set_setting(session: Session, *, actor: Actor, key: str, value: str) -> dict[str, str]:
    """Change one setting; ValidationFailed names the key and nothing is written."""
    authorize(actor, Action.SETTINGS_CHANGE)
    if key not in SETTINGS:
        raise ValidationFailed(key, f"is not a setting ({', '.join(SETTINGS)}).")
    column, parse, _help = SETTINGS[key]
    if key == "default_grading_scale":
        scale = session.exec(select(GradingScale).where(GradingScale.code == value.strip())).first()
        if scale is None:
            codes = ", ".join(session.exec(select(GradingScale.code)).all())
            raise ValidationFailed(key, f"{value!r} is not a grading scale ({codes}).")
        parsed: Any = scale.id
    else:
        try:
            parsed = parse(value)
        except ValueError as exc:
            raise ValidationFailed(key, str(exc)) from None
    before = show_settings(session, actor=actor)
    inst = _institution(session)
    if key in ("deans_list_min_gpa", "probation_below_gpa"):
        deans = parsed if key == "deans_list_min_gpa" else Decimal(inst.deans_list_min_gpa)
        probation = parsed if key == "probation_below_gpa" else Decimal(inst.probation_below_gpa)
        if probation > deans:
            raise ValidationFailed(
                key, "the probation threshold cannot be above the dean's list threshold."
            )
    for full_key, half_key in LOAD_KEYS:
        if key in (full_key, half_key):
            full = parsed if key == full_key else Decimal(getattr(inst, SETTINGS[full_key][0]))
            half = parsed if key == half_key else Decimal(getattr(inst, SETTINGS[half_key][0]))
            if half > full:
                raise ValidationFailed(key, "half-time cannot need more credits than full-time.")
    honours = ("cum_laude_min_gpa", "magna_cum_laude_min_gpa", "summa_cum_laude_min_gpa")
    if key in honours:
        levels = [parsed if k == key else Decimal(getattr(inst, k)) for k in honours]
        if levels != sorted(levels):
            raise ValidationFailed(
                key, "cum laude <= magna cum laude <= summa cum laude: the thresholds must rise."
            )
    setattr(inst, column, parsed)
    inst.version += 1
    session.add(inst)
    session.flush()
    after = show_settings(session, actor=actor)
    changed_before, changed_after = audit.diff(before, after)
    if changed_after:
        audit.record(
            session,
            actor,
            action="settings.set",
            entity=ENTITY,
            entity_id=inst.id,
            before=changed_before,
            after=changed_after,
        )
    return after

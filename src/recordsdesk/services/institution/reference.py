"""Reference data every database starts with: the shipped grading scales, the institution row,
the default admission checklist and the built-in `system` staff account. Idempotent: run at
every open, it adds what is missing and never changes what an office has edited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from recordsdesk.models import GradeMark, GradingScale, Institution, StaffRole, StaffUser
from recordsdesk.resources import load_json
from recordsdesk.services.access.actor import SYSTEM_USERNAME
from recordsdesk.services.admissions.checklist import seed_default_checklist

GRADING_SCALES_FILE = "grading_scales.json"


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_grading_scales(session: Session) -> dict[str, int]:
    """Insert the shipped scales that are not in the database yet; return code -> id for all."""
    spec = load_json(GRADING_SCALES_FILE)
    existing = {s.code: s for s in session.exec(select(GradingScale)).all()}
    for scale_spec in spec["scales"]:
        if scale_spec["code"] in existing:
            continue
        scale = GradingScale(
            code=scale_spec["code"],
            name=scale_spec["name"],
            kind=scale_spec["kind"],
            description=scale_spec.get("description", ""),
        )
        session.add(scale)
        session.flush()
        assert scale.id is not None
        for order, mark in enumerate(scale_spec["marks"]):
            session.add(
                GradeMark(
                    scale_id=scale.id,
                    mark=mark["mark"],
                    description=mark.get("description", ""),
                    points=_decimal(mark.get("points")),
                    counts_in_gpa=mark["counts_in_gpa"],
                    earns_credit=mark["earns_credit"],
                    counts_attempted=mark["counts_attempted"],
                    is_passing=mark["is_passing"],
                    min_percent=_decimal(mark.get("min_percent")),
                    max_percent=_decimal(mark.get("max_percent")),
                    sort_order=order,
                )
            )
        existing[scale.code] = scale
    session.flush()
    return {code: s.id for code, s in existing.items() if s.id is not None}


def ensure_reference_data(session: Session) -> None:
    scale_ids = load_grading_scales(session)
    if session.exec(select(Institution)).first() is None:
        # A new database: the default admission checklist comes with it, once. Later opens
        # leave the checklist alone, so an office that empties it keeps it empty.
        seed_default_checklist(session)
        default_code = load_json(GRADING_SCALES_FILE)["default_scale"]
        session.add(
            Institution(
                name="Unnamed Institution",
                short_name="Institution",
                default_grading_scale_id=scale_ids.get(default_code),
            )
        )
        session.flush()
        # Stored term totals under the scales just seeded (no student yet: nothing to sum).
        from recordsdesk.services.transcripts import totals

        totals.rebuild(session)
    if session.exec(select(StaffUser).where(StaffUser.username == SYSTEM_USERNAME)).first() is None:
        session.add(
            StaffUser(
                username=SYSTEM_USERNAME,
                full_name="recordsdesk (maintenance)",
                role=StaffRole.ADMIN.value,
                password_hash="",
            )
        )
    session.flush()

"""Marks: what a section's scale accepts, saving one mark, posting a section, changing a grade.

Each mark is its own short transaction: validated against the section's scale (plus the
institution-wide non-grade marks), written only if the enrollment's `version` is still the one
the desk loaded (another desk's mark is reported as a conflict, never overwritten), and audited
in the same transaction. A posted mark is final: it changes only through `change_grade`, which
needs the registrar's GRADE_CHANGE right and a reason.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.models import (
    Enrollment,
    EnrollmentStatus,
    GradeStatus,
    Section,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.shared.errors import NotFound, RecordsError, StaleRecord, ValidationFailed
from recordsdesk.services.shared.rawsql import Statement

ENTITY = "enrollment"
NON_GRADE_SCALE = "NON-GRADE"
INCOMPLETE = "I"
#: Non-grade marks a registrar may key on a roster (TR belongs to transfer credit, not a section).
ROSTER_NON_GRADE = ("I", "AU", "IP", "W")
#: Enrollment statuses that are on the roster; only these take a mark.
GRADABLE = (EnrollmentStatus.REGISTERED.value, EnrollmentStatus.COMPLETED.value)
ON_ROSTER = (*GRADABLE, EnrollmentStatus.WITHDRAWN.value)


@dataclass(frozen=True)
class Band:
    mark: str
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class MarkRules:
    """The marks a section accepts, in the scale's order, and its percentage bands if any."""

    scale_code: str
    marks: tuple[str, ...]
    extra_marks: tuple[str, ...]
    bands: tuple[Band, ...] = ()

    @property
    def valid(self) -> tuple[str, ...]:
        return self.marks + tuple(m for m in self.extra_marks if m not in self.marks)

    @cached_property
    def by_upper(self) -> dict[str, str]:
        """Each valid mark under its upper-case spelling; built once per rules object (rules are
        cached per scale, and every keyed mark is looked up here)."""
        return {m.upper(): m for m in self.valid}

    def describe(self) -> str:
        text = ", ".join(self.valid)
        if self.bands:
            text += ", or a percentage 0-100"
        return text


class MarkConflict(StaleRecord):
    """Another desk saved this enrollment's mark since it was loaded; carries what is there now."""

    def __init__(self, label: str, current_mark: str | None, current_version: int) -> None:
        super().__init__(label, ["mark"])
        self.current_mark = current_mark
        self.current_version = current_version


@dataclass(frozen=True)
class MarkSaved:
    enrollment_id: int
    mark: str | None
    grade_status: str
    incomplete_expires: date | None
    version: int


@dataclass(frozen=True)
class PostResult:
    section_id: int
    posted: int
    without_mark: tuple[str, ...]
    posted_at: datetime


@lru_cache(maxsize=65_536)  # the same names come back with every roster reload
def folded(name: str) -> str:
    """A name as a class list sorts it: Álvarez before Chen, case and accents ignored."""
    if name.isascii():  # most names: skip the Unicode decomposition
        return name.casefold()
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --- rules -------------------------------------------------------------------------------------


def normalize_mark(rules: MarkRules, typed: str) -> str:
    """The stored form of a typed mark: case-folded to the scale's spelling, a percentage turned
    into its band's mark. Raises ValidationFailed("mark", ...) listing the valid marks."""
    text = typed.strip()
    if not text:
        raise ValidationFailed("mark", f"type a mark: {rules.describe()}.")
    found = rules.by_upper.get(text.upper())
    if found is not None:
        return found
    if rules.bands:
        number = text[:-1].strip() if text.endswith("%") else text
        try:
            percent = Decimal(number)
        except InvalidOperation:
            percent = None
        if percent is not None and percent.is_finite():
            if not Decimal(0) <= percent <= Decimal(100):
                raise ValidationFailed("mark", f"{text} is not a percentage between 0 and 100.")
            # Bands are stored to two decimals (89.99 / 90.00): compare the rounded value.
            rounded = percent.quantize(Decimal("0.01"))
            for band in rules.bands:
                if band.low <= rounded <= band.high:
                    return band.mark
            best = max((b for b in rules.bands if b.low <= rounded), key=lambda b: b.low)
            return best.mark
    raise ValidationFailed(
        "mark", f"{text!r} is not a mark on {rules.scale_code}: {rules.describe()}."
    )


_SCALE_MARKS = Statement(
    "SELECT s.id, s.code, m.mark, m.min_percent, m.max_percent "
    "FROM grade_mark m JOIN grading_scale s ON s.id = m.scale_id "
    "WHERE s.id = :scale OR s.code = :non_grade ORDER BY m.sort_order, m.id"
)
_INCOMPLETE_DAYS = Statement("SELECT incomplete_days FROM institution ORDER BY id LIMIT 1")
# Rules per (database, scale), kept with the rows they were built from: every call re-reads the
# scale's rows (one small indexed query) and rebuilds only when they differ, so an edited scale
# is seen at once while the common case skips building Decimal bands and tuples again.
_RULES_CACHE: WeakKeyDictionary[Engine, dict[int, tuple[list[Any], MarkRules]]] = (
    WeakKeyDictionary()
)


def rules_for_scale(session: Session, scale_id: int) -> MarkRules:
    """The rules of one scale plus the roster's non-grade marks."""
    rows = _SCALE_MARKS.rows(session, {"scale": scale_id, "non_grade": NON_GRADE_SCALE})
    per_scale = _RULES_CACHE.setdefault(session.connection().engine, {})
    cached = per_scale.get(scale_id)
    if cached is not None and cached[0] == rows:
        return cached[1]
    own = [r for r in rows if r[0] == scale_id]
    if not own:
        raise NotFound(f"There is no grading scale with id {scale_id}.")
    extra = tuple(r[2] for r in rows if r[1] == NON_GRADE_SCALE and r[2] in ROSTER_NON_GRADE)
    bands = tuple(
        Band(mark, _decimal(low), _decimal(high))
        for _, _, mark, low, high in own
        if low is not None and high is not None
    )
    rules = MarkRules(own[0][1], tuple(r[2] for r in own), extra, bands)
    per_scale[scale_id] = (rows, rules)
    return rules


#: Non-grade marks every basis other than audit takes as well (an audit can only be withdrawn).
BASIS_NON_GRADE = ("I", "IP", "W")


@lru_cache(maxsize=8)
def rules_for_basis(basis: str) -> MarkRules:
    """The marks an enrollment on a basis other than `graded` takes: the same on every scale."""
    found = bases.BASES[basis]
    extra = ("W",) if basis == bases.AUDIT else BASIS_NON_GRADE
    return MarkRules(found.short, tuple(m.mark for m in found.marks), extra)


def rules_for_enrollment(
    session: Session, scale_id: int, basis: str, given: MarkRules | None = None
) -> MarkRules:
    """The rules one enrollment's mark is checked against: its basis's marks, or its course's
    scale when graded (`given`, the roster's graded rules, saves reloading them)."""
    if basis != bases.GRADED:
        return rules_for_basis(basis)
    if given is not None and given.scale_code not in _BASIS_CODES:
        return given
    return rules_for_scale(session, scale_id)


_BASIS_CODES = frozenset(b.short for b in bases.BASES.values() if b.short)


def _decimal(value: Any) -> Decimal:
    """A NUMERIC column as Decimal (SQLite hands back the float whose repr is the stored value)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def incomplete_days(session: Session) -> int:
    found = _INCOMPLETE_DAYS.first(session)
    return 120 if found is None or found[0] is None else int(found[0])


def incomplete_expiry(days: int | None, today: date | None = None) -> date:
    """Today plus the policy's `incomplete_days` (120 when unset), for a caller that read the
    policy along with other data (the roster load)."""
    return (today or date.today()) + timedelta(days=120 if days is None else int(days))


def default_incomplete_expiry(session: Session, today: date | None = None) -> date:
    """Today plus the institution's `incomplete_days`: when an Incomplete lapses to its grade."""
    return incomplete_expiry(incomplete_days(session), today)


# --- saving ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EnrollmentState:
    id: int
    student_id: int
    status: str
    mark: str | None
    grade_status: str
    incomplete_expires: date | None
    version: int


@dataclass(frozen=True)
class _Target:
    enrollment: _EnrollmentState
    scale_id: int
    student_number: str
    grading_basis: str = bases.GRADED


_ENROLLMENT = Enrollment.__table__  # type: ignore[attr-defined]
_TARGET = Statement(
    "SELECT e.id, e.student_id, e.status, e.mark, e.grade_status, e.incomplete_expires, "
    "e.version, c.grading_scale_id, st.student_number, e.grading_basis "
    "FROM enrollment e JOIN section s ON s.id = e.section_id "
    "JOIN course c ON c.id = s.course_id JOIN student st ON st.id = e.student_id "
    "WHERE e.id = :id",
    results=(None, None, None, None, None, _ENROLLMENT.c.incomplete_expires),
)
_SET_MARK = (
    "UPDATE enrollment SET mark = :mark, grade_status = :grade_status, "
    "incomplete_expires = :expires, version = :new_version, mark_entered_at = :entered_at, "
    "mark_entered_by_id = :entered_by{extra} WHERE id = :id AND version = :version"
)
_MARK_BINDS = {
    "expires": _ENROLLMENT.c.incomplete_expires,
    "entered_at": _ENROLLMENT.c.mark_entered_at,
}
_UPDATE_MARK = Statement(_SET_MARK.format(extra=""), binds=_MARK_BINDS)
_CHANGE_MARK = Statement(_SET_MARK.format(extra=", override_reason = :reason"), binds=_MARK_BINDS)


def _target(session: Session, enrollment_id: int) -> _Target:
    """The enrollment's mark state, its scale and student number, in one indexed read of plain
    columns (no ORM: this is the hot path of keying a roster)."""
    row = _TARGET.first(session, {"id": enrollment_id})
    if row is None:
        raise NotFound(f"There is no enrollment with id {enrollment_id}.")
    return _Target(_EnrollmentState(*row[:7]), row[7], row[8], row[9])


def check_incomplete_expiry(expires: date | None, today: date | None = None) -> date:
    """An Incomplete's expiry as every way in accepts it: given, and after today. Raises
    ValidationFailed("incomplete_expires", ...)."""
    if expires is None:
        raise ValidationFailed("incomplete_expires", "an Incomplete needs an expiry date.")
    if expires <= (today or date.today()):
        raise ValidationFailed(
            "incomplete_expires", f"{expires.isoformat()} is not after today; pick a later date."
        )
    return expires


def _check_expiry(mark: str | None, expires: date | None, today: date) -> date | None:
    return check_incomplete_expiry(expires, today) if mark == INCOMPLETE else None


def check_entry(
    rules: MarkRules, typed: str, incomplete_expires: date | None, today: date | None = None
) -> tuple[str, date | None]:
    """The one set of rules every way a mark comes in goes through (keyed on the roster, a grade
    change, a CSV import): the stored mark and, for an Incomplete, its expiry (required, after
    today; dropped for any other mark). Raises ValidationFailed naming the field."""
    mark = normalize_mark(rules, typed)
    return mark, _check_expiry(mark, incomplete_expires, today or date.today())


def _write_mark(
    session: Session,
    actor: Actor,
    target: _Target,
    *,
    expected_version: int,
    mark: str | None,
    expires: date | None,
    status: GradeStatus,
    action: Action,
    reason: str = "",
) -> MarkSaved:
    """The guarded UPDATE and its audit event; MarkConflict when the version moved."""
    row = target.enrollment
    assert row.id is not None
    label = f"The mark of student {target.student_number}"
    if row.version != expected_version:
        raise MarkConflict(label, row.mark, row.version)
    before = {
        "mark": row.mark,
        "grade_status": row.grade_status,
        "incomplete_expires": row.incomplete_expires,
        "version": row.version,
    }
    now = utcnow()
    values: dict[str, Any] = {
        "id": row.id,
        "version": expected_version,
        "mark": mark,
        "grade_status": status.value,
        "expires": expires,
        "new_version": expected_version + 1,
        "entered_at": now if mark is not None else None,
        "entered_by": actor.id if mark is not None else None,
    }
    statement = _UPDATE_MARK
    if action is Action.GRADE_CHANGE:
        values["reason"] = reason
        statement = _CHANGE_MARK
    if statement.execute(session, values) != 1:  # another desk committed since our read
        current = _target(session, row.id).enrollment
        raise MarkConflict(label, current.mark, current.version)
    after = {
        "mark": mark,
        "grade_status": status.value,
        "incomplete_expires": expires,
        "version": expected_version + 1,
    }
    changed_before, changed_after = audit.diff(
        {k: audit.plain(v) for k, v in before.items()},
        {k: audit.plain(v) for k, v in after.items()},
    )
    audit.append(
        session,
        actor,
        action=action.value,
        entity=ENTITY,
        entity_id=row.id,
        student_id=row.student_id,
        before=changed_before,
        after=changed_after,
        reason=reason,
    )
    return MarkSaved(row.id, mark, status.value, expires, expected_version + 1)


def _gradable(target: _Target) -> None:
    status = target.enrollment.status
    if status not in GRADABLE:
        word = status.replace("_", " ")
        raise ValidationFailed(
            "mark", f"student {target.student_number} is {word} in this section; no mark."
        )


def save_mark(
    session: Session,
    *,
    actor: Actor,
    enrollment_id: int,
    expected_version: int,
    mark: str | None,
    incomplete_expires: date | None = None,
    rules: MarkRules | None = None,
) -> MarkSaved:
    """Enter (or, with `mark=None`, clear) one unposted mark, as the desk saw it at
    `expected_version`. `mark` is normalised here whatever the desk did; `rules` may be passed
    to skip reloading the section's scale (an enrollment on another basis is always checked
    against its basis's marks). Raises ValidationFailed, MarkConflict, NotFound."""
    authorize(actor, Action.GRADE_ENTER)
    target = _target(session, enrollment_id)
    _gradable(target)
    if target.enrollment.grade_status == GradeStatus.POSTED:
        raise ValidationFailed(
            "mark",
            f"the mark of student {target.student_number} is posted; a change needs a reason "
            "(grade change).",
        )
    if mark is None:
        stored, status, expires = None, GradeStatus.NONE, None
    else:
        scale_rules = rules_for_enrollment(session, target.scale_id, target.grading_basis, rules)
        stored, expires = check_entry(scale_rules, mark, incomplete_expires)
        status = GradeStatus.ENTERED
    return _write_mark(
        session,
        actor,
        target,
        expected_version=expected_version,
        mark=stored,
        expires=expires,
        status=status,
        action=Action.GRADE_ENTER,
    )


def change_grade(
    session: Session,
    *,
    actor: Actor,
    enrollment_id: int,
    expected_version: int,
    mark: str,
    reason: str,
    incomplete_expires: date | None = None,
) -> MarkSaved:
    """Change a posted mark: registrar only, with a reason kept in the audit and on the row.
    The mark stays posted, so transcripts and GPA read the new one at once."""
    authorize(actor, Action.GRADE_CHANGE)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason", "a grade change needs a reason.")
    target = _target(session, enrollment_id)
    _gradable(target)
    if target.enrollment.grade_status != GradeStatus.POSTED:
        raise ValidationFailed("mark", "this mark is not posted yet; enter it on the roster.")
    stored, expires = check_entry(
        rules_for_enrollment(session, target.scale_id, target.grading_basis),
        mark,
        incomplete_expires,
    )
    if stored == target.enrollment.mark and expires == target.enrollment.incomplete_expires:
        raise ValidationFailed("mark", f"the posted mark is already {stored}.")
    return _write_mark(
        session,
        actor,
        target,
        expected_version=expected_version,
        mark=stored,
        expires=expires,
        status=GradeStatus.POSTED,
        action=Action.GRADE_CHANGE,
        reason=reason,
    )


# --- posting -----------------------------------------------------------------------------------


def _section(session: Session, section_id: int) -> Section:
    section = session.get(Section, section_id, populate_existing=True)
    if section is None:
        raise NotFound(f"There is no section with id {section_id}.")
    return section


def students_without_mark(session: Session, *, actor: Actor, section_id: int) -> tuple[str, ...]:
    """'number Last, First' of every gradable student with no mark yet (the post confirmation)."""
    authorize(actor, Action.GRADE_POST)
    from recordsdesk.models import Student

    rows = session.exec(
        select(Student.student_number, Student.legal_last_name, Student.legal_first_name)
        .join(Enrollment, col(Enrollment.student_id) == col(Student.id))
        .where(
            Enrollment.section_id == section_id,
            col(Enrollment.status).in_(GRADABLE),
            col(Enrollment.mark).is_(None),
        )
    ).all()
    ordered = sorted(rows, key=lambda r: (folded(r[1]), folded(r[2])))
    return tuple(f"{n} {last}, {first}".rstrip(", ") for n, last, first in ordered)


def post_section(session: Session, *, actor: Actor, section_id: int) -> PostResult:
    """Make every entered mark of the section final (posted_at/by, audited per student) and
    stamp the section. Students without a mark stay unposted and can be posted later."""
    authorize(actor, Action.GRADE_POST)
    section = _section(session, section_id)
    missing = students_without_mark(session, actor=actor, section_id=section_id)
    entered = session.exec(
        select(Enrollment)
        .where(
            Enrollment.section_id == section_id,
            col(Enrollment.status).in_(GRADABLE),
            Enrollment.grade_status == GradeStatus.ENTERED.value,
        )
        .execution_options(populate_existing=True)
    ).all()
    now = utcnow()
    for row in entered:
        before = {"grade_status": row.grade_status, "version": row.version}
        row.grade_status = GradeStatus.POSTED.value
        row.posted_at = now
        row.posted_by_id = actor.id
        row.version += 1
        session.add(row)
        audit.record(
            session,
            actor,
            action=Action.GRADE_POST.value,
            entity=ENTITY,
            entity_id=row.id,
            student_id=row.student_id,
            before=before,
            after={"grade_status": row.grade_status, "mark": row.mark, "version": row.version},
        )
    if not entered and section.grades_posted_at is not None:
        raise RecordsError("Nothing to post: every mark of this section is already posted.")
    section.grades_posted_at = now
    section.grades_posted_by_id = actor.id
    session.add(section)
    audit.record(
        session,
        actor,
        action=Action.GRADE_POST.value,
        entity="section",
        entity_id=section_id,
        after={"posted": len(entered), "without_mark": len(missing)},
    )
    session.flush()
    return PostResult(section_id, len(entered), missing, now)

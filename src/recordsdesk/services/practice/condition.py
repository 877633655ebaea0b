"""The exercises' check language: small declarative conditions over records and audit events.

A condition is a TOML table of one of three kinds, each with `explain` (what the trainee reads
when it is not met, or, among `mistakes`, when it is):

- `record = "<table>"` with `where = { column = value, ... }`: some row of that table matches
  (`expect = "none"`: no row does). Only the tables in RECORD_TABLES, only their real columns.
- `audit = "<action>"` (or `"*"`) with optional `entity`, `student`, `reason` (the reason the
  event records, e.g. `{ not = "" }` for an override), `after = { key = value }`:
  the trainee did it, i.e. such an audit event was written since the exercise was started (by
  staff, not by the set-up). `expect = "none"` again turns it round.
- `answer = N`: the trainee answered the exercise's question with choice N (1-based).

A value is literal (text, number, true/false), `"@ref"` (the id of a student, section or
application the set-up made), `{ not = value }`, `{ null = true|false }`, `{ in = [values] }`
or `{ not_in = [values] }` (a row without a value matches neither). Conditions are turned into bound
SQLAlchemy statements over whitelisted columns: nothing in a file is ever evaluated as code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, func, select
from sqlmodel import Session, SQLModel

from recordsdesk.models import AuditEvent

if TYPE_CHECKING:
    from recordsdesk.services.practice.exercise import Question

#: The tables a check may read (the records a counter exercise changes), and nothing else.
RECORD_TABLES = (
    "student",
    "enrollment",
    "hold",
    "transcript_request",
    "section",
    "contact_note",
    "admission_application",
    "screening_item",
)
#: The audit event's fields a check may name besides the action.
AUDIT_FIELDS = ("entity", "student", "reason", "after")
KINDS = ("record", "audit", "answer")


@dataclass(frozen=True)
class Match:
    """One column compared with one value: equal, not equal (`negate`), null (`null`), or
    one of a list of literals (`among`, `negate` for none of them)."""

    column: str
    value: Any  # literal, or a ref name when `ref` is set
    ref: bool = False
    negate: bool = False
    null: bool | None = None
    #: `{ in = [...] }` / `{ not_in = [...] }`: one of these literals (or none of them).
    among: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Condition:
    kind: str  # record | audit | answer
    explain: str
    table: str = ""
    action: str = ""
    matches: tuple[Match, ...] = ()
    after: tuple[tuple[str, Any], ...] = ()
    answer: int = 0
    expect_none: bool = False


def _fail(where: str, message: str) -> Exception:
    from recordsdesk.services.practice.exercise import ExerciseFileError

    return ExerciseFileError(where, message)


def _scalar(value: Any, where: str, refs: Mapping[str, str]) -> tuple[Any, bool]:
    if isinstance(value, bool | int | float):
        return value, False
    if isinstance(value, str):
        if value.startswith("@"):
            if value[1:] not in refs:
                raise _fail(where, f"{value}: no student or section with that ref in the set-up.")
            return value[1:], True
        return value, False
    raise _fail(where, "a value is text, a number, true/false or @ref.")


def _match(column: str, value: Any, where: str, refs: Mapping[str, str]) -> Match:
    if isinstance(value, dict):
        if set(value) == {"not"}:
            literal, is_ref = _scalar(value["not"], where, refs)
            return Match(column, literal, ref=is_ref, negate=True)
        if set(value) == {"null"} and isinstance(value["null"], bool):
            return Match(column, None, null=value["null"])
        if set(value) in ({"in"}, {"not_in"}):
            listed = next(iter(value.values()))
            if (
                not isinstance(listed, list)
                or not listed
                or not all(isinstance(v, str | int | float) for v in listed)
            ):
                raise _fail(where, "in / not_in take a list of literal values.")
            return Match(column, None, negate="not_in" in value, among=tuple(listed))
        raise _fail(
            where,
            "a table value is { not = value }, { null = true/false }, { in = [...] } or "
            "{ not_in = [...] }.",
        )
    literal, is_ref = _scalar(value, where, refs)
    return Match(column, literal, ref=is_ref)


def _table(name: str) -> Table:
    table = SQLModel.metadata.tables[name]
    assert isinstance(table, Table)
    return table


def parse_condition(
    raw: Any, where: str, refs: Mapping[str, str], question: Question | None
) -> Condition:
    if not isinstance(raw, dict):
        raise _fail(where, "a condition is a table.")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise _fail(where, "a condition has exactly one of record, audit or answer.")
    kind = kinds[0]
    explain = raw.get("explain")
    if not isinstance(explain, str) or not explain.strip():
        raise _fail(f"{where}.explain", "say in words what the trainee did wrong or left undone.")
    expect = raw.get("expect", "some")
    if expect not in ("some", "none"):
        raise _fail(f"{where}.expect", '"some" (the default) or "none".')
    allowed = {kind, "explain", "expect"}
    if kind == "record":
        table = raw["record"]
        if table not in RECORD_TABLES:
            raise _fail(f"{where}.record", f"one of {', '.join(RECORD_TABLES)}.")
        where_raw = raw.get("where", {})
        if not isinstance(where_raw, dict):
            raise _fail(f"{where}.where", "a table of column = value.")
        columns = _table(table).columns
        for column in where_raw:
            if column not in columns:
                raise _fail(f"{where}.where.{column}", f"the {table} table has no such column.")
        matches = tuple(_match(c, v, f"{where}.where.{c}", refs) for c, v in where_raw.items())
        allowed.add("where")
        condition = Condition("record", explain.strip(), table=table, matches=matches)
    elif kind == "audit":
        action = raw["audit"]
        if not isinstance(action, str) or not action:
            raise _fail(f"{where}.audit", 'an audit action ("update", "release", ...) or "*".')
        audit_matches: list[Match] = []
        if "entity" in raw:
            audit_matches.append(_match("entity", raw["entity"], f"{where}.entity", refs))
        if "student" in raw:
            audit_matches.append(_match("student_id", raw["student"], f"{where}.student", refs))
        if "reason" in raw:
            audit_matches.append(_match("reason", raw["reason"], f"{where}.reason", refs))
        after = raw.get("after", {})
        if not isinstance(after, dict) or not all(
            isinstance(v, str | int | float | bool) for v in after.values()
        ):
            raise _fail(f"{where}.after", "a table of field = literal value.")
        allowed |= set(AUDIT_FIELDS)
        condition = Condition(
            "audit",
            explain.strip(),
            action=action,
            matches=tuple(audit_matches),
            after=tuple(sorted(after.items())),
        )
    else:
        answer = raw["answer"]
        if question is None:
            raise _fail(f"{where}.answer", "the exercise has no [question] to answer.")
        if not isinstance(answer, int) or not 1 <= answer <= len(question.choices):
            raise _fail(f"{where}.answer", f"a choice from 1 to {len(question.choices)}.")
        condition = Condition("answer", explain.strip(), answer=answer)
    unknown = set(raw) - allowed
    if unknown:
        raise _fail(where, f"unknown field(s): {', '.join(sorted(unknown))}.")
    return Condition(**{**condition.__dict__, "expect_none": expect == "none"})


def parse_conditions(
    raw: Any, where: str, refs: Mapping[str, str], question: Question | None
) -> list[Condition]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(where, "a list of conditions ([[...]]).")
    return [parse_condition(r, f"{where}[{i}]", refs, question) for i, r in enumerate(raw)]


@dataclass(frozen=True)
class Facts:
    """What a check reads besides the database: the set-up's ids, when the exercise started,
    and the trainee's answer (0: none given)."""

    ids: Mapping[str, int]
    started_at: datetime
    answer: int


def _clause(table: Table, match: Match, ids: Mapping[str, int]) -> Any:
    column = table.c[match.column]
    if match.null is not None:
        return column.is_(None) if match.null else column.is_not(None)
    if match.among is not None:
        listed = column.in_(match.among)
        # A row without a value matches neither (ask { null = true } for those).
        return column.not_in(match.among) if match.negate else listed
    value = ids[match.value] if match.ref else match.value
    if match.column == "entity_id":
        value = str(value)
    return column != value if match.negate else column == value


def holds(session: Session, condition: Condition, facts: Facts) -> bool:
    """Whether the condition is met now (for `expect = "none"`: whether nothing matches)."""
    if condition.kind == "answer":
        return bool(facts.answer == condition.answer)
    if condition.kind == "record":
        table = _table(condition.table)
        clauses = [_clause(table, m, facts.ids) for m in condition.matches]
        found = int(
            session.execute(
                select(func.count()).select_from(table).where(and_(True, *clauses))
            ).scalar_one()
        )
        return (found == 0) if condition.expect_none else found > 0
    table = _table(AuditEvent.__tablename__)
    clauses = [_clause(table, m, facts.ids) for m in condition.matches]
    clauses += [table.c.occurred_at >= facts.started_at, table.c.actor_username != "system"]
    if condition.action != "*":
        clauses.append(table.c.action == condition.action)
    rows = session.execute(select(table.c.after).where(and_(*clauses))).scalars().all()
    found = sum(1 for after in rows if _after_matches(after, condition.after))
    return (found == 0) if condition.expect_none else found > 0


def _after_matches(after: str | None, wanted: tuple[tuple[str, Any], ...]) -> bool:
    if not wanted:
        return True
    try:
        values = json.loads(after or "{}")
    except ValueError:
        return False
    return isinstance(values, dict) and all(values.get(k) == v for k, v in wanted)

"""Matching rows of another system to ours: `external_key` first, then the record's own code.

A OneRoster `sourcedId` is remembered in `external_key` (system, entity = local table name,
source_id -> local_id), so a second import updates the same rows. A row not seen before is
matched by its natural key (term code, course code, student number...) before one is created:
re-importing our own export into the same database therefore finds every record it came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlmodel import Session, SQLModel, select

from recordsdesk.models import ExternalKey, Student, utcnow
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.detail import IMPORT_ACTION, StudentDetail
from recordsdesk.services.audit.trail import plain, snapshot
from recordsdesk.services.interchange.imports.audit_batch import AuditBatch
from recordsdesk.services.interchange.imports.bulk import insert_rows, new_ids
from recordsdesk.services.interchange.imports.common import ImportReport

RowT = TypeVar("RowT", bound=SQLModel)
#: New rows held back by `upsert(defer=True)` before one flush writes them all.
DEFERRED_ROWS = 2_000
_KEYS = ExternalKey.__table__  # type: ignore[attr-defined]
_KEY_COLUMNS = ("system", "entity", "source_id", "local_id", "updated_at")


def fit(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its head and a hash of the whole (stable,
    so the same long identifier always becomes the same short code)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"{text[: limit - 9]}~{digest}"


#: Fields a student's event need not repeat for each row (the row's own id is named with its
#: table, the student is the event's).
_IMPLIED = ("id", "student_id")


def _where(source_id: str, where: dict[str, Any] | None) -> dict[str, Any]:
    """Where an audited change came from: the file and line when known, and the sourcedId."""
    return (where or {}) | {"sourcedId": source_id}


def _text(text: str) -> Callable[[], str]:
    return lambda: text


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """Each field's default (its factory's value), as a new row of `model` holds it; fields
    without one are left out (every row gives them)."""
    defaults: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            defaults[name] = info.default_factory()  # type: ignore[call-arg]
        elif not info.is_required():
            defaults[name] = info.default
    return defaults


class KeyedWriter:
    """Creates, updates and links records for one import, counting and auditing each."""

    def __init__(
        self, session: Session, batch: AuditBatch, report: ImportReport, system: str
    ) -> None:
        self.session, self.batch, self.report, self.system = session, batch, report, system
        self.keys: dict[tuple[str, str], int] = {
            (k.entity, k.source_id): k.local_id
            for k in session.exec(select(ExternalKey).where(ExternalKey.system == system))
        }
        self.linked = 0
        self.pending: list[tuple[str, str, SQLModel, str, dict[str, Any]]] = []
        #: keys first seen in this import, inserted together by `flush_audit`
        self.new_keys: list[tuple[Any, ...]] = []
        self.fresh: dict[tuple[str, str], int] = {}  # (entity, source id) -> its place there
        #: student id -> what this import wrote for them: one audit event each (`flush_audit`)
        self.detail: dict[int, StudentDetail] = {}

    def _audit(
        self,
        *,
        action: str,
        entity: str,
        entity_id: int,
        student_id: int | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any],
        where: dict[str, Any],
    ) -> None:
        """A change audited: a record of no student's (term, course, section) by its own
        event; a student's record and rows gathered into that student's one event."""
        if student_id is None:
            self.batch.add(
                action=action,
                entity=entity,
                entity_id=entity_id,
                student_id=None,
                before=before,
                after=after,
            )
            return
        found = self.detail.get(student_id)
        if found is None:
            found = self.detail[student_id] = StudentDetail()
        named = where | {entity: entity_id}
        given = {k: v for k, v in after.items() if v is not None and k not in _IMPLIED}
        if action == "create" and entity == "student":
            found.created = where | given
        elif action == "create":
            found.records.append(named | given)
        else:
            found.corrected_before.append(named | (before or {}))
            found.corrected_after.append(named | after)

    def flush_audit(self) -> None:
        """The new keys, then one event per student this import created or changed anything
        of."""
        for start in range(0, len(self.new_keys), DEFERRED_ROWS):
            insert_rows(
                self.session, _KEYS, _KEY_COLUMNS, self.new_keys[start : start + DEFERRED_ROWS]
            )
        self.new_keys, self.fresh = [], {}
        for student_id, what in self.detail.items():
            before, after = what.event()
            self.batch.add(
                action=IMPORT_ACTION,
                entity="student",
                entity_id=student_id,
                student_id=student_id,
                before=before,
                after=after,
            )
        self.detail = {}

    def local_id(self, entity: str, source_id: str) -> int | None:
        return self.keys.get((entity, source_id))

    def remember(self, entity: str, source_id: str, local_id: int) -> None:
        known = self.keys.get((entity, source_id))
        if known == local_id:
            return
        if known is None:  # every key of the system was read at the start: no row to update
            self.fresh[(entity, source_id)] = len(self.new_keys)
            self.new_keys.append((self.system, entity, source_id, local_id, utcnow()))
            self.keys[(entity, source_id)] = local_id
            self.linked += 1
            return
        at = self.fresh.get((entity, source_id))
        if at is not None:  # first seen in this import, not inserted yet: it points elsewhere
            self.new_keys[at] = (self.system, entity, source_id, local_id, utcnow())
            self.keys[(entity, source_id)] = local_id
            return
        existing = self.session.exec(
            select(ExternalKey).where(
                ExternalKey.system == self.system,
                ExternalKey.entity == entity,
                ExternalKey.source_id == source_id,
            )
        ).first()
        if existing is None:
            self.session.add(
                ExternalKey(
                    system=self.system, entity=entity, source_id=source_id, local_id=local_id
                )
            )
        else:
            existing.local_id, existing.updated_at = local_id, utcnow()
        self.keys[(entity, source_id)] = local_id
        self.linked += 1

    def upsert(
        self,
        model: type[RowT],
        source_id: str,
        values: dict[str, Any],
        *,
        natural: Any,
        create_only: dict[str, Any] | None = None,
        label: str = "",
        defer: bool = False,
        where: dict[str, Any] | None = None,
    ) -> RowT:
        """The row for `source_id`, created from `values` (+ `create_only`) or brought to
        `values`; every change counted under the table's name and audited (`where`: the file and
        line it came from). With `defer`, a new row is only added to the session: `flush_new`
        writes such rows together (no id before)."""
        entity = str(model.__tablename__)
        local = self.local_id(entity, source_id)
        row = self.session.get(model, local) if local is not None else None
        if row is None:
            # `natural`: a SELECT finding the row by its own code, or the row itself (or None).
            row = self.session.scalars(natural).first() if isinstance(natural, Select) else natural
        if row is None:
            row = model(**values, **(create_only or {}))
            self.session.add(row)
            self.pending.append((entity, source_id, row, label, _where(source_id, where)))
            if not defer or len(self.pending) >= DEFERRED_ROWS:
                self.flush_new()
            return row
        else:
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if changed:
                before = {k: plain(getattr(row, k)) for k in changed}
                for key, value in changed.items():
                    setattr(row, key, value)
                after = {k: plain(v) for k, v in changed.items()}
                if isinstance(row, Student):
                    before["version"] = row.version
                    row.version += 1
                    row.updated_at = utcnow()
                    after["version"] = row.version
                self.session.flush()
                self._audit(
                    action="update",
                    entity=entity,
                    entity_id=getattr(row, "id"),  # noqa: B009
                    student_id=self._student_id(row),
                    before=before,
                    after=after,
                    where=_where(source_id, where),
                )
                fields = ", ".join(sorted(changed))
                self.report.note(
                    entity, "updated", lambda: f"changed {entity} {label or source_id} ({fields})"
                )
            else:
                self.report.note(entity, "unchanged")
        self.remember(entity, source_id, getattr(row, "id"))  # noqa: B009
        return row

    def flush_new(self) -> None:
        """Insert the rows `upsert` created, then audit them and remember their keys."""
        if not self.pending:
            return
        self.session.flush()
        for entity, source_id, row, label, where in self.pending:
            row_id = getattr(row, "id")  # noqa: B009 - every table here has an id
            self._audit(
                action="create",
                entity=entity,
                entity_id=row_id,
                student_id=self._student_id(row),
                after=snapshot(row),
                where=where,
            )
            self.report.note(entity, "new", _text(f"new {entity} {label or source_id}"))
            self.remember(entity, source_id, row_id)
        self.pending = []

    def create_many(
        self,
        model: type[SQLModel],
        items: Sequence[tuple[str, dict[str, Any], str, dict[str, Any] | None]],
        *,
        as_upsert: bool = False,
    ) -> list[int]:
        """Create one row of `model` per (source_id, values, label, where: the file and line it
        came from), none of them known to the
        system before, as multi-row INSERTs with their ids drawn first (no ORM object per row):
        each audited, counted and remembered as `upsert` does. Returns the new ids in order.
        For rows whose text was checked when the file was read (the flush check is not run).
        `as_upsert`: each row's event holds every field (defaults too) and its key joins those
        `flush_audit` inserts, as when `upsert` creates it: the same rows stored either way."""
        if not items:
            return []
        session, table = self.session, model.__table__  # type: ignore[attr-defined]
        entity = str(table.name)
        audit.hold_chain_lock(session)  # SQLite: the ids below stay ours until the commit
        ids = new_ids(session, entity, len(items))
        template = _defaults(model)
        columns = [c.name for c in table.columns]
        rows: list[tuple[Any, ...]] = []
        keys: list[tuple[Any, ...]] = []
        now = utcnow()
        for (source_id, values, label, where), row_id in zip(items, ids, strict=True):
            data = template | values
            data["id"] = row_id
            rows.append(tuple(data[c] for c in columns))
            student_id = row_id if entity == "student" else data.get("student_id")
            self._audit(
                action="create",
                entity=entity,
                entity_id=row_id,
                student_id=student_id if isinstance(student_id, int) else None,
                # every field, or those given (the rest: the defaults)
                after={k: plain(v) for k, v in (data if as_upsert else values).items()},
                where=_where(source_id, where),
            )
            self.report.note(entity, "new", _text(f"new {entity} {label or source_id}"))
            if as_upsert:
                self.remember(entity, source_id, row_id)
            else:
                keys.append((self.system, entity, source_id, row_id, now))
                self.keys[(entity, source_id)] = row_id
        for start in range(0, len(rows), DEFERRED_ROWS):
            insert_rows(session, table, columns, rows[start : start + DEFERRED_ROWS])
            insert_rows(session, _KEYS, _KEY_COLUMNS, keys[start : start + DEFERRED_ROWS])
        self.linked += len(keys)
        return ids

    @staticmethod
    def _student_id(row: SQLModel) -> int | None:
        if isinstance(row, Student):
            return row.id
        value = getattr(row, "student_id", None)
        return value if isinstance(value, int) else None

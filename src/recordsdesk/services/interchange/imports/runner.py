"""One entry point for every import kind, owning the transaction: the whole file or nothing.

A dry run does all the work of a real import inside the transaction and then rolls it back, so
its counts and first changes are exactly what applying would do (the same code decides both).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.detail import IMPORT_ACTION
from recordsdesk.services.interchange.imports.common import ImportReport, Progress, no_progress
from recordsdesk.services.interchange.imports.history import import_history
from recordsdesk.services.interchange.imports.oneroster import import_oneroster
from recordsdesk.services.interchange.imports.pesc import import_pesc
from recordsdesk.services.interchange.imports.students import import_students
from recordsdesk.services.transcripts import totals

Importer = Callable[..., ImportReport]
#: kind -> (importer, what the path names)
KINDS: dict[str, tuple[Importer, str]] = {
    "students": (import_students, "CSV file"),
    "history": (import_history, "CSV file"),
    "oneroster": (import_oneroster, "folder"),
    "pesc": (import_pesc, "PESC XML file"),
}


def run_import(
    engine: Engine,
    *,
    actor: Actor,
    kind: str,
    path: Path,
    dry_run: bool = False,
    progress: Progress = no_progress,
) -> ImportReport:
    """Import `path` as `kind` in one transaction: committed unless `dry_run` or any error.

    Raises ImportFailed (every problem, with file and line) or another RecordsError; in every
    case nothing is written. What follows from the committed rows (`ImportReport.follow_up`)
    runs after, in short transactions of its own.
    """
    authorize(actor, Action.IMPORT_RUN)
    with _collector_paused():
        return _run(engine, actor, kind, path, dry_run, progress)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the import. A large file keeps millions of small
    objects alive (rows, cells, prepared tuples), and each full collection walks them all:
    at a million rows that was more time than the parse. They are freed by reference
    counting as usual; the collector runs once the import is over."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _run(
    engine: Engine, actor: Actor, kind: str, path: Path, dry_run: bool, progress: Progress
) -> ImportReport:
    importer, _what = KINDS[kind]
    report = ImportReport(kind, path.name, dry_run=dry_run)
    session = Session(engine, expire_on_commit=False)
    try:
        importer(session, actor=actor, path=path, report=report, progress=progress)
        if report.total_changes:
            _record_summary(session, actor, report)
        if dry_run:
            session.rollback()
        else:
            progress("committing", 0, 1)
            session.commit()
            progress("committing", 1, 1)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if not dry_run:
        # The term totals first: the standings read their figures from them.
        for step in [_refresh_term_totals, *report.follow_up]:
            with Session(engine, expire_on_commit=False) as follow:
                step(follow, progress)
                follow.commit()
    return report


def _record_summary(session: Session, actor: Actor, report: ImportReport) -> None:
    """The import's own event: which file, how many rows, and what it changed per kind of
    record (each student's rows are in that student's event)."""
    counts = {
        entity: {"new": c.new, "updated": c.updated, "unchanged": c.unchanged}
        for entity, c in report.counts.items()
    }
    audit.record(
        session,
        actor,
        action=IMPORT_ACTION,
        entity="file",
        entity_id=report.source,
        after={"kind": report.kind, "file": report.source, "rows": report.rows, "counts": counts},
        reason=f"import {report.source}",
    )


_TOTALS_STEP = 2000  # students per transaction


def _refresh_term_totals(session: Session, progress: Progress) -> None:
    """The stored term totals of every student the import noted (transcripts.totals), a few
    thousand per transaction so other desks wait for one step at a time, not the whole."""
    total = totals.stale_students(session)
    done = 0
    while True:
        progress("updating term totals", done, total)
        count = totals.refresh(session, limit=_TOTALS_STEP)
        session.commit()
        if count <= 0:
            break
        done += count

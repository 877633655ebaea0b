"""Where generated chunks go: written inline, on a thread, or in a writer process.

Generating rows and loading them each take about half the build, so on two cores they overlap:
PostgreSQL on a thread (psycopg releases the GIL while it sends COPY data in large blocks), big
SQLite builds in a separate process (sqlite3 releases and retakes the GIL around every row, so
a thread would wait a switch interval per row behind the busy generator). Queues hold at most
two chunks, which keeps memory bounded. A chunk crosses to the writer process as one `marshal`
blob (the rows are plain tuples of str, int and None): marshal encodes them several times
faster than pickle, and the encoding runs on the generating process, the build's critical path.

Work that draws no random numbers is done off the generator: the standing decisions and term
totals (`StandingStage`, from the chunk's enrollments and their posted marks). For a big SQLite
build they run in a third process, the deriver, which gets the same blob as the writer and hands
the writer just the rows it made. With that work in the writer process, the writer alone was
the longest process and the generator waited on a full queue, one core idle; split three ways,
no one process is longer than the others' share of two cores.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

from recordsdesk.db import make_engine
from recordsdesk.services.demo.history import TABLES
from recordsdesk.services.demo.standing import StandingStage
from recordsdesk.services.demo.writer import BulkWriter, KeyLedger

Rows = dict[str, list[tuple[Any, ...]]]
Report = Callable[[int, int], None]
FIXED_TABLES = ("staff_user", "program", "course", "prerequisite", "program_requirement", "term")
LOADED_TABLES = (*FIXED_TABLES, *TABLES)
# Below this many students a writer process costs more to start than it saves.
PROCESS_MIN_STUDENTS = 20_000


class DemoLoadFailed(RuntimeError):
    """The writer could not load a chunk; the message carries its error."""


#: The tables `StandingStage.derive` fills in; the generator leaves them empty.
DERIVED_TABLES = ("academic_standing", "term_totals")
_FIRST_DERIVED = min(TABLES.index(t) for t in DERIVED_TABLES)
Derive = Callable[[Rows], Rows]


def deriving(standing: StandingStage | None) -> Derive | None:
    """The chunk's derived rows made on the spot (None: there are none to make)."""
    return None if standing is None else standing.derive


def write_chunk(writer: BulkWriter, rows: Rows, derive: Derive | None, keys: bool = True) -> None:
    """Load one chunk and check its rows' constraints (the generated tables refer only to
    earlier tables in TABLES and to the fixed ones, so a chunk can be checked as it lands).
    `derive` gives the rows a chunk leaves to the writing side (what follows from its other
    rows without a random draw); it is asked for them only once the tables before them are
    written, so a deriver process has the time the writer spends on those. Without `keys`
    the foreign keys are left to the deriver process's KeyLedger."""
    for position, table in enumerate(TABLES):
        if position == _FIRST_DERIVED and derive is not None:
            rows.update(derive(rows))
        written = rows[table]
        writer.write(table, written)
        if written:
            writer.validate_rows(table, written[0][0], keys)
    writer.commit()


class Sink:
    """Takes chunks in order; `close` returns when everything is loaded and checked."""

    def put(self, rows: Rows) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Stop after a failure on the generating side; nothing more is written."""


class InlineSink(Sink):
    def __init__(
        self,
        writer: BulkWriter,
        report: Report,
        progress: Callable[[str], None],
        standing: StandingStage | None,
    ):
        self._writer = writer
        self._derive = deriving(standing)
        self._report = report
        self._progress = progress
        self._students = 0
        writer.defer_indexes(TABLES)

    def put(self, rows: Rows) -> None:
        write_chunk(self._writer, rows, self._derive)
        self._students += len(rows["student"])
        self._report(self._students, self._writer.rows_written)

    def close(self) -> None:
        self._progress("  indexing and checking constraints")
        self._writer.restore_indexes()
        self._writer.validate(FIXED_TABLES)
        self._progress("  finishing")
        self._writer.finish(LOADED_TABLES)


class ThreadSink(Sink):
    def __init__(
        self,
        writer: BulkWriter,
        report: Report,
        progress: Callable[[str], None],
        standing: StandingStage | None,
    ):
        self._writer = writer
        self._derive = deriving(standing)
        self._report = report
        self._progress = progress
        self._students = 0
        self._queue: queue.Queue[Rows | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        writer.defer_indexes(TABLES)
        self._thread = threading.Thread(target=self._run, name="demo-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            rows = self._queue.get()
            if rows is None:
                return
            if self._error is not None:
                continue  # drain without writing after a failure
            try:
                write_chunk(self._writer, rows, self._derive)
                self._students += len(rows["student"])
                self._report(self._students, self._writer.rows_written)
            except BaseException as exc:  # noqa: BLE001 - re-raised on the building thread
                self._error = exc

    def put(self, rows: Rows) -> None:
        self._raise()
        self._queue.put(rows)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise()
        self._progress("  indexing")
        self._writer.restore_indexes()
        self._progress("  finishing")
        self._writer.finish(LOADED_TABLES)

    def abort(self) -> None:
        self._error = self._error or DemoLoadFailed("aborted")
        self._queue.put(None)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def _get(source: Any, parent: int) -> Any:
    """The next message from the building process (or from the deriver); None once the
    building process has died, since nothing will finish this load then."""
    while True:
        try:
            return source.get(timeout=2.0)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def _derived_from(source: Any, parent: int) -> Derive:
    """The writer's side of the deriver: each chunk's derived rows, in chunk order."""

    def derive(_rows: Rows) -> Rows:
        blob = _get(source, parent)
        if not blob:  # the deriver failed (it reported why) or the building process died
            raise DemoLoadFailed("the deriver made no rows for this chunk")
        rows: Rows = marshal.loads(blob)
        return rows

    return derive


def _process_main(
    url: str, inbox: Any, outbox: Any, parent: int, derived: Any, scratch: bool
) -> None:
    """The writer process: load chunks until None, then check constraints and finish. With
    `derived`, each chunk's derived rows come from the deriver process through it; `scratch`
    as for BulkWriter."""
    engine = make_engine(url)
    try:
        writer = BulkWriter(engine, scratch=scratch)
        derive = None if derived is None else _derived_from(derived, parent)
        try:
            writer.defer_indexes(TABLES)
            students = 0
            while True:
                rows = _get(inbox, parent)
                if rows is None:
                    if os.getppid() != parent:
                        return
                    break
                chunk = marshal.loads(rows)
                write_chunk(writer, chunk, derive, keys=derive is None)
                students += len(chunk["student"])
                outbox.put(("written", students, writer.rows_written))
            outbox.put(("stage", "  indexing and checking constraints", 0))
            writer.restore_indexes()
            writer.validate(FIXED_TABLES)
            outbox.put(("stage", "  finishing", 0))
            writer.finish(LOADED_TABLES)
        finally:
            writer.close()
        outbox.put(("done", students, 0))
    except BaseException:  # noqa: BLE001 - reported to the building process
        outbox.put(("error", traceback.format_exc(), 0))
    finally:
        engine.dispose()


def _deriver_main(
    inbox: Any,
    derived: Any,
    outbox: Any,
    parent: int,
    standing: StandingStage,
    fixed_ids: dict[str, list[int]],
) -> None:
    """The deriver process: each chunk's derived rows (standing, term totals), in chunk order,
    to the writer process, once the chunk's foreign keys, its derived rows' included, are
    checked (`fixed_ids`: the ids of the tables loaded before the chunks). On a failure it
    hands the writer an empty blob, which stops it."""
    try:
        ledger = KeyLedger(TABLES, fixed_ids)
        while True:
            blob = _get(inbox, parent)
            if blob is None:
                return
            chunk = marshal.loads(blob)
            made = standing.derive(chunk)
            ledger.check({**chunk, **made})
            derived.put(marshal.dumps(made))
    except BaseException:  # noqa: BLE001 - reported to the building process
        outbox.put(("error", traceback.format_exc(), 0))
        derived.put(b"")


class ProcessSink(Sink):
    def __init__(
        self,
        url: str,
        report: Report,
        progress: Callable[[str], None],
        standing: StandingStage | None,
        scratch: bool = False,
        fixed_ids: dict[str, list[int]] | None = None,
    ):
        self._report = report
        self._progress = progress
        context = multiprocessing.get_context("spawn")  # no inherited connections or threads
        self._inbox: Any = context.Queue(maxsize=2)
        self._outbox: Any = context.Queue()
        self._processes: list[Any] = []
        self._deriver_inbox: Any = None
        # Kept here too: a queue the building process lets go of before a child has started
        # takes its semaphores with it.
        self._derived: Any = None
        derived: Any = None
        if standing is not None:
            self._deriver_inbox = context.Queue(maxsize=2)
            derived = self._derived = context.Queue(maxsize=2)
            self._processes.append(
                context.Process(
                    target=_deriver_main,
                    args=(
                        self._deriver_inbox,
                        derived,
                        self._outbox,
                        os.getpid(),
                        standing,
                        fixed_ids or {},
                    ),
                    name="demo-deriver",
                )
            )
        self._processes.append(
            context.Process(
                target=_process_main,
                args=(url, self._inbox, self._outbox, os.getpid(), derived, scratch),
                name="demo-writer",
            )
        )
        for process in self._processes:
            process.start()

    def _handle(self, message: tuple[str, Any, int]) -> bool:
        kind, value, rows = message
        if kind == "written":
            self._report(value, rows)
        elif kind == "stage":
            self._progress(value)
        elif kind == "error":
            raise DemoLoadFailed(f"the demo writer failed:\n{value}")
        return kind == "done"

    def _drain(self) -> None:
        while True:
            try:
                message = self._outbox.get_nowait()
            except queue.Empty:
                return
            self._handle(message)

    def _send(self, target: Any, blob: bytes | None) -> None:
        """Put `blob` on the queue of the process that reads it (the deriver's or the writer's,
        the last process), reporting what arrives meanwhile."""
        reader = self._processes[0 if target is self._deriver_inbox else -1]
        while True:
            try:
                target.put(blob, timeout=1.0)
                return
            except queue.Full:
                self._drain()
                if not reader.is_alive():
                    raise DemoLoadFailed("the demo writer process stopped unexpectedly") from None

    def put(self, rows: Rows) -> None:
        self._drain()
        blob = marshal.dumps(rows)
        if self._deriver_inbox is not None:
            self._send(self._deriver_inbox, blob)
        self._send(self._inbox, blob)

    def close(self) -> None:
        if self._deriver_inbox is not None:
            self._send(self._deriver_inbox, None)
        self._send(self._inbox, None)
        while True:
            try:
                message = self._outbox.get(timeout=1.0)
            except queue.Empty:
                if not self._processes[-1].is_alive():
                    raise DemoLoadFailed("the demo writer process stopped unexpectedly") from None
                continue
            if self._handle(message):
                break
        for process in self._processes:
            process.join()

    def abort(self) -> None:
        # Chunks still queued for a writer that will never read them must not keep this
        # process from exiting (the queue's feeder thread would wait on the pipe forever).
        for inbox in (self._inbox, self._deriver_inbox):
            if inbox is not None:
                inbox.cancel_join_thread()
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()


def open_sink(
    url: str,
    writer: BulkWriter,
    students: int,
    report: Report,
    progress: Callable[[str], None],
    standing: StandingStage | None = None,
    scratch: bool = False,
) -> Sink:
    """The fastest sink for this engine and size; `writer` has loaded the fixed part and is
    closed here when a writer process takes over. `standing` makes each chunk's standing
    and term totals rows where it is written, or in a deriver process beside the writer
    process when there is one. `scratch`: the SQLite file is a staging file that no desk
    opens (BulkWriter), so a writer process loads it without a journal."""
    if not writer.sqlite:
        return ThreadSink(writer, report, progress, standing)
    if students < PROCESS_MIN_STUDENTS:
        return InlineSink(writer, report, progress, standing)
    fixed_ids = {
        table: [row[0] for row in writer.execute(f'SELECT id FROM "{table}"')]
        for table in KeyLedger.fixed_tables(TABLES)
    }
    writer.close()
    if scratch:
        # Leaving WAL needs every other connection to the file closed, idle ones included.
        writer.engine.dispose()
    return ProcessSink(url, report, progress, standing, scratch, fixed_ids)

"""Find a student at the counter from part of a name, a number, an email or a birth date.

What a query matches (one field, typed freely):

- name words, in any order and case, each the start of a legal, preferred or former name part,
  accents ignored both ways ("gar jos" finds "José García", "Garci" finds "García");
- a student number (digits): exact first, then every number starting with it;
- an email (the query holds "@", or is one word with a dot): exact, then prefix;
- a birth date: ``2004-03-17``, a month ``2004-03``, or the usual written forms ``17/03/2004`` and
  ``03/17/2004`` (the institution sets no locale, so both readings are accepted: an impossible
  reading is dropped, an ambiguous one such as 04/05/2006 matches both dates, and the results
  show the birth date to tell them apart);
- filters in the same field: ``status:active``, ``program:BIO``, ``term:2026FA``, ``hold:yes``.

Ranking: exact matches, then prefix matches, then misspellings ("Jon Smyth", "Katherine" for
"Catherine"): a query word of three letters or more also matches name words within one edit
(two from six letters) of it or of their beginning. Within a rank the newest records come first
(highest id: the students at a counter are mostly current ones); the rows shown are then sorted
by name within each rank. Misspellings are searched only when exact and prefix matches do not fill
the page. `total` counts the exact and prefix matches (and the misspelt ones when they are listed)
up to a cap, by one more statement when the page is full; the desk leaves that count to
`count_matches` after drawing the rows (lookup_reader.py).

The index lives in the database (migration 0002) and the SQL differs per engine: lookup_sqlite
(FTS5) and lookup_postgres (pg_trgm + unaccent) build it; everything else is shared here, so
both engines return the same rows.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from recordsdesk.models import StudentStatus
from recordsdesk.services.actor import Actor
from recordsdesk.services.lookup_vocabulary import (
    edit_distance,
    forget_vocabularies,
    vocabulary_for,
)
from recordsdesk.services.permissions import Action, authorize

DEFAULT_LIMIT = 50
COUNT_CAP = 10_000
# Filters are checked row by row, so their counts stop sooner.
FILTERED_COUNT_CAP = 1_000
EXACT, PREFIX, SIMILAR = 0, 1, 2
_WORD = re.compile(r"[^\W_]+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_WRITTEN_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_FILTER = re.compile(r"(status|program|term|hold):(\S*)", re.IGNORECASE)


@dataclass(frozen=True)
class StudentRow:
    """One line of the lookup list: enough to tell two students apart at the counter."""

    id: int
    student_number: str
    legal_first_name: str
    legal_last_name: str
    preferred_name: str
    birth_date: date | None
    email: str
    program_code: str
    program_name: str
    grade_level: str
    class_year: int | None
    status: str
    has_hold: bool
    confidential: bool
    rank: int = PREFIX

    @property
    def legal_name(self) -> str:
        return " ".join(p for p in (self.legal_first_name, self.legal_last_name) if p)

    @property
    def display_name(self) -> str:
        """'Last, First' with the preferred name beside it when it differs."""
        name = ", ".join(p for p in (self.legal_last_name, self.legal_first_name) if p)
        if self.preferred_name and self.preferred_name != self.legal_first_name:
            name += f" ({self.preferred_name})"
        return name

    @property
    def level(self) -> str:
        """Grade level for schools, class year for colleges, whichever the record has."""
        if self.grade_level:
            return self.grade_level
        return str(self.class_year) if self.class_year is not None else ""


@dataclass(frozen=True)
class LookupResult:
    rows: tuple[StudentRow, ...]
    total: int
    #: Why nothing could be searched (an unknown filter value), in words for the desk.
    notice: str = ""

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    #: True when counting stopped at a cap: there are at least `total` matches.
    capped: bool = False
    #: The rank whose matches `total` counts (PREFIX: exact and prefix ones; SIMILAR when
    #: misspellings are listed too), for `count_matches` to finish a capped count.
    count_rank: int = 0


# --- what was typed -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NameMatch:
    """Every group must match; a group is one typed word with its alternatives:
    (folded word, is_prefix)."""

    groups: tuple[tuple[tuple[str, bool], ...], ...]


@dataclass(frozen=True)
class NumberMatch:
    number: str
    prefix: bool


@dataclass(frozen=True)
class EmailMatch:
    email: str
    prefix: bool


@dataclass(frozen=True)
class BirthMatch:
    dates: tuple[date, ...] = ()
    month: tuple[int, int] | None = None  # (year, month)


@dataclass(frozen=True)
class AnyStudent:
    """Only filters were typed."""


TextMatch = NameMatch | NumberMatch | EmailMatch | BirthMatch | AnyStudent


@dataclass(frozen=True)
class Filters:
    """SQL conditions on `s` (the student table), standard enough for both engines."""

    conditions: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def sql(self) -> str:
        return " AND ".join(self.conditions)


class Db:
    """The DBAPI connection one search runs on, with what the lookup needs to know about it.

    The lookup's statements are fixed text run on the driver's own cursor: per keystroke the
    SQLAlchemy layer would only add overhead (about 0.1 ms a statement). A `Db` wraps either a
    session's connection (`search`) or a reader's long-lived one (services/lookup_reader.py).
    """

    __slots__ = ("driver", "dialect", "key", "errors")

    def __init__(self, driver: Any, dialect: str, key: str, errors: type[Exception]) -> None:
        self.driver = driver
        self.dialect = dialect
        #: Which database this is (the engine's URL without password): the vocabulary's key.
        self.key = key
        #: The driver's base exception class, wrapped into SQLAlchemy's on the way out so the
        #: desk describes a lost database the same way whichever path failed.
        self.errors = errors

    @classmethod
    def of(cls, connection: Connection) -> Db:
        driver = connection.connection.driver_connection
        assert driver is not None
        dialect = connection.dialect
        return cls(
            driver,
            dialect.name,
            connection.engine.url.render_as_string(hide_password=True),
            dialect.loaded_dbapi.Error,
        )

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"


class Backend(Protocol):
    """The SQL one engine needs; lookup_sqlite and lookup_postgres implement it."""

    def fold_words(self, db: Db, text: str) -> list[str]:
        """The words of `text` as the engine's name index folds and splits them."""

    def terms_after(self, db: Db, last_id: int) -> list[tuple[int, str]]:
        """New name values since `last_id`, folded like the index: (id, folded text)."""

    def ids(self, db: Db, match: TextMatch, filters: Filters, limit: int) -> list[int]:
        """Ids of matching students in the match's order (newest first for names)."""

    def count(self, db: Db, match: TextMatch, filters: Filters, cap: int) -> int:
        """How many students match, counting no further than `cap`."""


__all__ = ["Db", "edit_distance", "forget_vocabularies", "search"]


def backend_for(db: Db) -> Backend:
    if db.sqlite:
        from recordsdesk.services import lookup_sqlite

        return lookup_sqlite.BACKEND
    from recordsdesk.services import lookup_postgres

    return lookup_postgres.BACKEND


def fold(text: str) -> str:
    """Lower-case `text` and strip accents ("García" -> "garcia"); other scripts pass through."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words_of(text: str) -> list[str]:
    """Accent-folded, lower-case words, split where unicode61 splits (non letters/digits)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(unicodedata.normalize("NFC", plain))


# --- parsing ------------------------------------------------------------------------------------


class FilterProblem(Exception):
    """A filter names something that does not exist; the message says what exists."""


def _birth_match(text: str) -> BirthMatch | None:
    if m := _ISO_DATE.fullmatch(text):
        day = _date(int(m[1]), int(m[2]), int(m[3]))
        return BirthMatch(dates=(day,) if day else ())
    if m := _ISO_MONTH.fullmatch(text):
        month = int(m[2])
        return BirthMatch(month=(int(m[1]), month)) if 1 <= month <= 12 else BirthMatch()
    if m := _WRITTEN_DATE.fullmatch(text):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        readings = {_date(year, second, first), _date(year, first, second)}  # D/M/Y, M/D/Y
        return BirthMatch(dates=tuple(sorted(d for d in readings if d is not None)))
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _filters(db: Db, typed: list[tuple[str, str]]) -> Filters:
    conditions: list[str] = []
    params: dict[str, Any] = {}
    for n, (name, raw) in enumerate(typed):
        value = raw.strip().lower()
        if not value:
            continue  # still being typed
        if name == "status":
            statuses = [
                s.value for s in StudentStatus if s.value.startswith(value.replace(" ", "_"))
            ]
            if not statuses:
                known = ", ".join(s.value for s in StudentStatus)
                raise FilterProblem(f"No status starts with {raw!r}. Statuses: {known}.")
            marks = ", ".join(f":st{n}_{i}" for i in range(len(statuses)))
            conditions.append(f"s.status IN ({marks})")
            params |= {f"st{n}_{i}": s for i, s in enumerate(statuses)}
        elif name == "program":
            ids = _program_ids(db, value)
            if not ids:
                raise FilterProblem(f"No program code or name starts with {raw!r}.")
            conditions.append(f"s.program_id IN ({', '.join(str(i) for i in ids)})")
        elif name == "term":
            found = run(db, "SELECT id FROM term WHERE lower(code) = :code", {"code": value})
            term_id = found[0][0] if found else None
            if term_id is None:
                raise FilterProblem(f"There is no term {raw!r} (terms look like 2026FA).")
            # Per student (a handful of enrollments each): a term holds far too many
            # enrollments to collect them all for every keystroke.
            conditions.append(
                "EXISTS (SELECT 1 FROM enrollment e JOIN section x ON x.id = e.section_id "
                f"WHERE e.student_id = s.id AND x.term_id = :term{n} AND e.status <> 'dropped')"
            )
            params[f"term{n}"] = int(term_id)
        elif name == "hold":
            if value not in ("yes", "no", "y", "n"):
                raise FilterProblem("hold: takes yes or no.")
            held = "s.id IN (SELECT h.student_id FROM hold h WHERE h.released_at IS NULL)"
            conditions.append(held if value.startswith("y") else f"NOT {held}")
    return Filters(tuple(conditions), params)


def _program_ids(db: Db, value: str) -> list[int]:
    """Programs whose code, a dash-separated part of it, or whose name starts with `value`."""
    programs = run(db, "SELECT id, code, name FROM program", {})
    folded = fold(value)
    found = []
    for program_id, code, name in programs:
        parts = [code.lower(), *code.lower().split("-"), *words_of(name)]
        if any(p.startswith(folded) for p in parts) or fold(name).startswith(folded):
            found.append(int(program_id))
    return found


def parse(db: Db, backend: Backend, query: str) -> tuple[TextMatch | None, Filters]:
    """What to look for; None when nothing searchable was typed."""
    filters = _filters(db, [(m[1].lower(), m[2]) for m in _FILTER.finditer(query)])
    rest = " ".join(_FILTER.sub(" ", query).split())
    if not rest:
        return (AnyStudent() if filters.conditions else None), filters
    if (birth := _birth_match(rest)) is not None:
        return birth, filters
    if rest.isdigit():
        return NumberMatch(rest, prefix=True), filters
    if "@" in rest or (" " not in rest and "." in rest.strip(".")):
        return EmailMatch(rest.lower(), prefix=True), filters
    words = backend.fold_words(db, rest)
    if not words:
        return None, filters
    return NameMatch(tuple(((w, True),) for w in words)), filters


# --- the search ---------------------------------------------------------------------------------


def _tiers(match: TextMatch) -> list[TextMatch]:
    """The same match at each rank it has before misspellings, loosest last (the loosest
    contains the others)."""
    if isinstance(match, NumberMatch):
        return [NumberMatch(match.number, prefix=False), match]
    if isinstance(match, EmailMatch):
        return [EmailMatch(match.email, prefix=False), match]
    if isinstance(match, NameMatch):
        words = [group[0][0] for group in match.groups]
        return [NameMatch(tuple(((w, False),) for w in words)), match]
    return [match]


def _similar_tier(db: Db, backend: Backend, match: TextMatch) -> NameMatch | None:
    """The name match widened by misspellings of its words (it contains the prefix match), or
    None when no word has a near neighbour in the vocabulary."""
    if not isinstance(match, NameMatch):
        return None
    words = [group[0][0] for group in match.groups]
    vocabulary = vocabulary_for(db, backend)
    with vocabulary.lock:
        alternates = [tuple(vocabulary.similar(w)) for w in words]
    if not any(alternates):
        return None
    return NameMatch(
        tuple(
            ((w, True), *((a, False) for a in alts))
            for w, alts in zip(words, alternates, strict=True)
        )
    )


def _tier(db: Db, backend: Backend, match: TextMatch, rank: int) -> TextMatch | None:
    """The match at `rank` (EXACT, PREFIX or SIMILAR); None when it has no such tier."""
    if rank == SIMILAR:
        return _similar_tier(db, backend, match)
    tiers = _tiers(match)
    return tiers[min(rank, len(tiers) - 1)]


class LookupCancelled(Exception):
    """`should_stop` said a newer query superseded this one while it ran."""


@contextmanager
def stoppable(db: Db, should_stop: Callable[[], bool] | None) -> Iterator[None]:
    """Abort the running SQLite statement as soon as `should_stop()` turns true (checked every
    few thousand VM steps), so a slow query never holds up the next keystroke's. PostgreSQL
    statements run to the end; their answer is dropped instead."""
    if should_stop is None or not db.sqlite:
        yield
        return
    db.driver.set_progress_handler(lambda: 1 if should_stop() else 0, 5_000)
    try:
        yield
    except (OperationalError, sqlite3.OperationalError) as error:
        if should_stop() and "interrupt" in str(error):
            raise LookupCancelled from error
        raise
    finally:
        db.driver.set_progress_handler(None, 0)


def search(
    session: Session,
    *,
    actor: Actor,
    query: str,
    limit: int = DEFAULT_LIMIT,
    should_stop: Callable[[], bool] | None = None,
    count_cap: int = COUNT_CAP,
) -> LookupResult:
    """Students matching `query`, best rank first, at most `limit` rows.

    `total` counts the matches (up to `count_cap`) so the screen can say how many it is not
    showing: exact and prefix matches, and misspellings too when they are listed (they are
    searched only when exact and prefix matches do not fill the page). Any staff role may look
    students up; reads are not audited. Confidential students are listed with their flag set:
    the screens show the banner, nothing here hides them. An unknown filter value gives an
    empty result whose `notice` says what exists. With `should_stop`, raises LookupCancelled
    once it returns true.
    """
    authorize(actor, Action.STUDENT_READ)
    db = Db.of(session.connection())
    with stoppable(db, should_stop):
        return find(db, query, limit, count_cap)


def find(db: Db, query: str, limit: int, count_cap: int) -> LookupResult:
    """The search itself (the caller has authorized): one statement per rank tried, newest
    `limit` ids each, one for the rows shown, and the count when the page is full and
    `count_cap` asks for it. With `count_cap=0` a full page comes back `capped` at its own size:
    `count_matches` finishes the count (the desk draws the rows first)."""
    backend = backend_for(db)
    try:
        match, filters = parse(db, backend, query)
    except FilterProblem as problem:
        return LookupResult(rows=(), total=0, notice=str(problem))
    if match is None or limit <= 0:
        return LookupResult(rows=(), total=0)
    ranked: dict[int, int] = {}
    counted_rank = EXACT
    tiers = _tiers(match)
    for rank, tier in enumerate(tiers):
        counted_rank = rank
        if len(ranked) >= limit:
            break  # the page is full before this rank: its matches are counted, not listed
        _add(ranked, backend.ids(db, tier, filters, limit + len(ranked)), rank, limit)
    else:
        # Few exact and prefix matches: misspellings fill the page (and are counted).
        if len(ranked) < limit and (similar := _similar_tier(db, backend, match)) is not None:
            counted_rank = SIMILAR
            _add(ranked, backend.ids(db, similar, filters, limit + len(ranked)), SIMILAR, limit)
    if not ranked:
        return LookupResult(rows=(), total=0)
    rows = load_rows(db, ranked, limit)
    if len(ranked) < limit:
        total, capped = len(rows), False  # every match is already in hand
    elif count_cap > 0:
        cap = min(count_cap, FILTERED_COUNT_CAP) if filters.conditions else count_cap
        counted = _tier(db, backend, match, counted_rank) or match
        total = max(backend.count(db, counted, filters, cap), len(rows))
        capped = total >= cap
    else:
        total, capped = len(rows), True  # at least a page: count_matches finishes the count
    return LookupResult(rows=rows, total=total, capped=capped, count_rank=counted_rank)


def _add(ranked: dict[int, int], ids: list[int], rank: int, limit: int) -> None:
    """Ids not listed yet join the page at `rank`, until it holds `limit`."""
    for student_id in ids:
        if len(ranked) >= limit:
            return
        ranked.setdefault(student_id, rank)


def count_matches(db: Db, query: str, rank: int, cap: int) -> int:
    """How many students `query` matches at `rank` (a result's count_rank), up to `cap`: the
    full count the screen asks for after drawing a first answer counted to a smaller cap."""
    backend = backend_for(db)
    try:
        match, filters = parse(db, backend, query)
    except FilterProblem:
        return 0
    if match is None:
        return 0
    tier = _tier(db, backend, match, rank)
    if tier is None:
        return 0
    if filters.conditions:
        cap = min(cap, FILTERED_COUNT_CAP)
    return backend.count(db, tier, filters, cap)


_ROWS_SQL = """
SELECT s.id, s.student_number, s.legal_first_name, s.legal_last_name, s.preferred_name,
       s.birth_date, s.email, p.code, p.name, s.grade_level, s.class_year, s.status,
       EXISTS (SELECT 1 FROM hold h WHERE h.student_id = s.id AND h.released_at IS NULL),
       s.confidential
FROM student s LEFT JOIN program p ON p.id = s.program_id
WHERE s.id IN ({marks})
"""


@functools.lru_cache(maxsize=64)
def _rows_sql(slots: int) -> str:
    """The rows statement for `slots` ids: one text per page size, so the driver's statement
    cache (sqlite3) or server-side preparation (psycopg) reuses it from keystroke to keystroke."""
    return _ROWS_SQL.format(marks=", ".join(f":i{n}" for n in range(slots)))


def run(db: Db, sql: str, params: dict[str, Any]) -> list[Any]:
    """Execute on the driver's own cursor; driver errors leave as SQLAlchemy's, as they would
    through a session."""
    cursor = db.driver.cursor()
    try:
        cursor.execute(sql if db.sqlite else _pyformat(sql), params)
        return list(cursor.fetchall())
    except db.errors as error:
        raise DBAPIError.instance(sql, params, error, db.errors) from error
    finally:
        cursor.close()


@functools.lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    """`:name` parameters in psycopg's `%(name)s` style, converted once per statement text."""
    return _NAMED.sub(r"%(\1)s", sql)


_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_FIELDS = tuple(f.name for f in fields(StudentRow))


def load_rows(db: Db, ranked: dict[int, int], slots: int) -> tuple[StudentRow, ...]:
    """The listed students with program and active-hold flag, in rank then name order."""
    params = {f"i{n}": 0 for n in range(max(slots, len(ranked)))}  # 0: no student has it
    params.update((f"i{n}", int(i)) for n, i in enumerate(ranked))
    rows = [
        _student_row(
            (
                *r[:5],
                date.fromisoformat(r[5]) if isinstance(r[5], str) else r[5],
                r[6],
                r[7] or "",
                r[8] or "",
                r[9],
                r[10],
                r[11],
                bool(r[12]),
                bool(r[13]),
                ranked[r[0]],
            )
        )
        for r in run(db, _rows_sql(len(params)), params)
    ]
    rows.sort(key=_display_order)
    return tuple(rows)


def _student_row(values: tuple[Any, ...]) -> StudentRow:
    """A StudentRow without the frozen dataclass's per-field object.__setattr__ (a fifth of the
    service's Python time at 50 rows a keystroke); the values are in field order."""
    row = object.__new__(StudentRow)
    row.__dict__.update(zip(_FIELDS, values, strict=True))
    return row


def _display_order(row: StudentRow) -> tuple[int, str, str, str]:
    return (
        row.rank,
        _sort_key(row.legal_last_name),
        _sort_key(row.legal_first_name),
        row.student_number,
    )


@functools.lru_cache(maxsize=20_000)
def _sort_key(name: str) -> str:
    return fold(name)


def find_student_ids(
    session: Session, *, actor: Actor, query: str, limit: int = DEFAULT_LIMIT
) -> Sequence[int]:
    """Just the ids, in display order (for the command palette and scripts)."""
    return [row.id for row in search(session, actor=actor, query=query, limit=limit).rows]

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

Ranking, by how the query matches each person: every word a whole legal or preferred first or
last name word (EXACT), then every word the start of one (PREFIX), then matches that need a
middle or former name (OTHER_NAME), then misspellings ("Jon Smyth", "Katherine" for
"Catherine"; a query word of three letters or more also matches name words within one edit, two
from six letters, of it or of their beginning), in first, last and preferred names (SIMILAR)
before middle and former ones (SIMILAR_OTHER). Within a rank the rows are in last name, first
name, student number order over all the rank's matches, so the first page holds the first
`limit` of them in that order, however old the records; a rank with more than SORT_LIMIT
matches (a letter or two typed) lists its newest instead (highest id: the students at a counter
are mostly current ones), still shown in name order. Apostrophes and hyphens inside words are
ignored ("o'c", "oc" and "o c" find O'Connor). Misspellings are searched only when the other
ranks do not fill the page. `total` counts the matches up to a cap, by one more statement when
the page is full; the desk leaves that count to `count_matches` after drawing the rows
(reader.py).

The index lives in the database (migrations 0002 and 0004) and the SQL differs per engine:
sqlite.py (FTS5) and postgres.py (pg_trgm + unaccent) build it; everything else is
shared here, so both engines return the same rows.
"""

from __future__ import annotations

import functools
import heapq
import json
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import chain, repeat
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.lookup.query import (
    Backend,
    Db,
    EmailMatch,
    FilterProblem,
    Filters,
    NameMatch,
    NumberMatch,
    TextMatch,
    fold,
    parse,
    run,
    words_of,
)
from recordsdesk.services.lookup.vocabulary import (
    edit_distance,
    forget_vocabularies,
    unknown_prefixes,
    vocabulary_for,
)

# Re-exported: callers and tests import the lookup's names from here.
__all__ = [
    "Db",
    "LookupResult",
    "StudentRow",
    "edit_distance",
    "fold",
    "forget_vocabularies",
    "run",
    "search",
    "words_of",
]

DEFAULT_LIMIT = 50
COUNT_CAP = 10_000
# Filters are checked row by row, so their counts stop sooner.
FILTERED_COUNT_CAP = 1_000
EXACT, PREFIX, OTHER_NAME, SIMILAR, SIMILAR_OTHER = 0, 1, 2, 3, 4
# A rank with at most this many matches is put in name order whole; a bigger one lists its newest.
SORT_LIMIT = 500


class StudentRow(NamedTuple):
    """One line of the lookup list: enough to tell two students apart at the counter.

    A named tuple rather than a frozen dataclass: the desk builds fifty of these on every
    keystroke, and a tuple is made in one C call from the values the driver returned, where
    a dataclass instance needs its own dict (a third of a 50-row search's Python time)."""

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
    #: The rank whose matches `total` counts (with every better rank's: a rank's match
    #: contains theirs), for `count_matches` to finish a capped count.
    count_rank: int = 0
    #: The most `count_matches` counts for this query (fewer with filters): a count that
    #: reaches it is capped.
    full_count_cap: int = COUNT_CAP


_BACKENDS: dict[str, Backend] = {}


def backend_for(db: Db) -> Backend:
    """The engine's SQL (imported on first use: an engine's module loads only when used)."""
    found = _BACKENDS.get(db.dialect)
    if found is None:
        if db.sqlite:
            from recordsdesk.services.lookup import sqlite as engine_sql
        else:
            from recordsdesk.services.lookup import postgres as engine_sql  # type: ignore[no-redef]
        found = _BACKENDS[db.dialect] = engine_sql.BACKEND
    return found


# --- the search ---------------------------------------------------------------------------------


def _tiers(match: TextMatch) -> list[tuple[int, TextMatch]]:
    """The match at each rank it has before misspellings, loosest last (each contains the ones
    before it)."""
    if isinstance(match, NumberMatch):
        return [(EXACT, NumberMatch(match.number, prefix=False)), (PREFIX, match)]
    if isinstance(match, EmailMatch):
        return [(EXACT, EmailMatch(match.email, prefix=False)), (PREFIX, match)]
    if isinstance(match, NameMatch):
        words = [group[0][0] for group in match.groups]
        return [
            (EXACT, NameMatch(tuple(((w, False),) for w in words), main_only=True)),
            (PREFIX, NameMatch(match.groups, main_only=True)),
            (OTHER_NAME, match),
        ]
    return [(EXACT, match)]


def _similar_tiers(
    db: Db, backend: Backend, match: TextMatch, dead: Collection[str] = ()
) -> list[tuple[int, NameMatch]]:
    """The name match widened by misspellings of its words, in first, last and preferred names
    then in any (the loosest contains every other tier), or none when no word has a near
    neighbour in the vocabulary. A word in `dead` (the engine found it starts no name) is
    searched by its neighbours alone: its own prefix term would match nothing and still
    cost the statement a lookup; with no neighbour either, nothing can match."""
    if not isinstance(match, NameMatch):
        return []
    words = [group[0][0] for group in match.groups]
    vocabulary = vocabulary_for(db, backend)
    with vocabulary.lock:
        alternates = [tuple(vocabulary.similar(w)) for w in words]
    if not any(alternates):
        return []
    groups = tuple(
        ((w, True), *((a, False) for a in alts))[1 if w in dead else 0 :]
        for w, alts in zip(words, alternates, strict=True)
    )
    if not all(groups):
        return []
    return [(SIMILAR, NameMatch(groups, main_only=True)), (SIMILAR_OTHER, NameMatch(groups))]


def _tier(db: Db, backend: Backend, match: TextMatch, rank: int) -> TextMatch | None:
    """The match at `rank`; None when it has no such tier."""
    if rank >= SIMILAR:
        similar = _similar_tiers(db, backend, match)
        return similar[-1][1] if similar else None
    for tier_rank, tier in _tiers(match):
        if tier_rank == rank:
            return tier
    return None


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
    `limit` ids each (exact and prefix skipped when a misspelt word surely matches no name),
    one for the rows shown, and the count when the page is full and `count_cap` asks for it.
    With `count_cap=0` a full page comes back `capped` at its own size: `count_matches`
    finishes the count (the desk draws the rows first)."""
    backend = backend_for(db)
    try:
        match, filters = parse(db, backend, query)
    except FilterProblem as problem:
        return LookupResult(rows=(), total=0, notice=str(problem))
    if match is None or limit <= 0:
        return LookupResult(rows=(), total=0)
    full_cap = min(COUNT_CAP, FILTERED_COUNT_CAP) if filters.conditions else COUNT_CAP
    ranked: dict[int, int] = {}
    counted_rank = EXACT
    # A misspelt word in a name: no exact or prefix match, only misspellings can be listed.
    dead = _words_starting_no_name(db, backend, match)
    misspelt = bool(dead)
    for rank, tier in _tiers(match):
        counted_rank = rank
        if len(ranked) >= limit:
            break  # the page is full before this rank: its matches are counted, not listed
        if not misspelt:
            _fill(db, backend, ranked, tier, filters, rank, limit)
    else:
        # Too few matches to fill the page: misspellings fill it (and are counted).
        if len(ranked) < limit and (similar := _similar_tiers(db, backend, match, dead)):
            for rank, tier in similar:
                if len(ranked) < limit:
                    _fill(db, backend, ranked, tier, filters, rank, limit)
            counted_rank = SIMILAR_OTHER
    if not ranked:
        return LookupResult(rows=(), total=0, full_count_cap=full_cap)
    rows = load_rows(db, ranked, limit)
    if len(ranked) < limit:
        total, capped = len(rows), False  # every match is already in hand
    elif count_cap > 0:
        cap = min(count_cap, full_cap)
        counted = _tier(db, backend, match, counted_rank) or match
        total = max(backend.count(db, counted, filters, cap), len(rows))
        capped = total >= cap
    else:
        total, capped = len(rows), True  # at least a page: count_matches finishes the count
    return LookupResult(
        rows=rows, total=total, capped=capped, count_rank=counted_rank, full_count_cap=full_cap
    )


def _fill(
    db: Db,
    backend: Backend,
    ranked: dict[int, int],
    tier: TextMatch,
    filters: Filters,
    rank: int,
    limit: int,
) -> None:
    """Add `tier`'s matches not listed yet to the page at `rank`, until it holds `limit`: the
    first in name order when the tier has at most SORT_LIMIT of them, else its newest (numbers
    and emails: the first in their own order, as a partly typed one is read)."""
    room = limit - len(ranked)
    by_name = not isinstance(tier, NumberMatch | EmailMatch)
    wanted = (SORT_LIMIT + 1 if by_name else room) + len(ranked)
    found = backend.ids(db, tier, filters, wanted)
    new = [i for i in found if i not in ranked] if ranked else found
    if by_name and len(new) > room and len(found) < wanted:  # all in hand: the first by name
        new = _first_by_name(db, new, room)
    for student_id in new[:room]:
        ranked[student_id] = rank


_KEYS_SQL = {
    True: "SELECT id, legal_last_name, legal_first_name, student_number FROM student "
    "WHERE id IN (SELECT value FROM json_each(:ids))",
    False: "SELECT id, legal_last_name, legal_first_name, student_number FROM student "
    "WHERE id = ANY(:ids)",
}


def _first_by_name(db: Db, ids: list[int], count: int) -> list[int]:
    """The `count` of `ids` that come first in last name, first name, number order."""
    param: object = json.dumps(ids) if db.sqlite else ids
    name_key = _name_key
    keyed = [
        (f"{name_key(last, first)}{number}", id_)
        for id_, last, first, number in run(db, _KEYS_SQL[db.sqlite], {"ids": param})
    ]
    return [id_ for _key, id_ in heapq.nsmallest(count, keyed)]


def _words_starting_no_name(db: Db, backend: Backend, match: TextMatch) -> frozenset[str]:
    """The words of a name match that surely start no name: with any, neither its exact nor
    its prefix tier can match, and their statements are saved (SQLite: see starts_a_name).

    Only words the misspelling dictionary does not know are checked (usually none; the
    dictionary may be stale, so the engine has the last word)."""
    if not isinstance(match, NameMatch) or len(match.groups) < 2:
        return frozenset()  # one word: its own statements are as cheap as the check
    words = [group[0][0] for group in match.groups]
    return frozenset(w for w in unknown_prefixes(db, words) if not backend.starts_a_name(db, w))


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
def _rows_sql(slots: int) -> tuple[str, tuple[str, ...]]:
    """The rows statement for `slots` ids and its parameter names: one text per page size, so
    the driver's statement cache (sqlite3) or server-side preparation (psycopg) reuses it from
    keystroke to keystroke."""
    names = tuple(f"i{n}" for n in range(slots))
    return _ROWS_SQL.format(marks=", ".join(f":{name}" for name in names)), names


def load_rows(db: Db, ranked: dict[int, int], slots: int) -> tuple[StudentRow, ...]:
    """The listed students with program and active-hold flag, in rank then name order.

    This is most of a search's Python time at 50 rows, so it is written for speed: each row
    is one tuple made from the driver's values (the SQL gives every field in StudentRow's
    order; tests/test_lookup_reader.py checks the rows are whole), sorted by one string per
    row (rank, folded names cached per name pair, number).
    """
    sql, names = _rows_sql(max(slots, len(ranked)))
    # The ids, then 0 (no student has it) for the unused slots.
    params = dict(zip(names, chain(ranked, repeat(0)), strict=False))
    make, iso, name_key = tuple.__new__, date.fromisoformat, _name_key
    keyed: list[tuple[str, StudentRow]] = []
    for (
        id_,
        number,
        first,
        last,
        preferred,
        birth,
        email,
        program_code,
        program_name,
        grade_level,
        class_year,
        status,
        has_hold,
        confidential,
    ) in run(db, sql, params):
        rank = ranked[id_]
        row = make(
            StudentRow,
            (
                id_,
                number,
                first,
                last,
                preferred,
                iso(birth) if birth.__class__ is str else birth,
                email,
                program_code or "",
                program_name or "",
                grade_level,
                class_year,
                status,
                bool(has_hold),
                bool(confidential),
                rank,
            ),
        )
        keyed.append((f"{rank}{name_key(last, first)}{number}", row))
    keyed.sort(key=_KEY)
    return tuple(map(_ROW, keyed))


_KEY, _ROW = itemgetter(0), itemgetter(1)


@functools.lru_cache(maxsize=20_000)
def _name_key(last: str, first: str) -> str:
    """Display order within a rank: last name, then first name, accents and case folded, as
    one string (compared in C, twice as fast to sort by as a tuple of them). Each name ends in
    NUL, which sorts before any letter, so "Lee" still comes before "Leeds"."""
    return f"{fold(last)}\0{fold(first)}\0"


def find_student_ids(
    session: Session, *, actor: Actor, query: str, limit: int = DEFAULT_LIMIT
) -> Sequence[int]:
    """Just the ids, in display order (for the command palette and scripts)."""
    return [row.id for row in search(session, actor=actor, query=query, limit=limit).rows]

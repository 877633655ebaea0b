"""What the clerk typed, as the lookup understands it, and the connection it runs on.

Parsing is engine-neutral: names become folded words (each a prefix), digits or a word of digits
and letters (``S2024-0``, an older system's ``B0041``) a student number, an "@" or a dotted word
an email, dates a birth date, and ``status:``/``program:``/``term:``/
``hold:`` filters SQL conditions standard enough for both engines. `Db` and `run` carry the
lookup's fixed statements to the driver. The search itself is in lookup.py.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from recordsdesk.models import StudentStatus

_WORD = re.compile(r"[^\W_]+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_WRITTEN_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_FILTER = re.compile(r"(status|program|term|hold):(\S*)", re.IGNORECASE)
# An apostrophe or hyphen inside a word: "O'Connor" is found as "oconnor" too (migration 0004).
_JOINING_MARK = re.compile(r"(?<=[^\W_])['\u2019-]+(?=[^\W_])")


# --- what was typed -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NameMatch:
    """Every group must match; a group is one typed word with its alternatives:
    (folded word, is_prefix). With `main_only`, only in a legal or preferred first or last
    name (not a middle or former one)."""

    groups: tuple[tuple[tuple[str, bool], ...], ...]
    main_only: bool = False


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


_NO_FILTERS = Filters()


class Db:
    """The DBAPI connection one search runs on, with what the lookup needs to know about it.

    The lookup's statements are fixed text run on the driver's own cursor: per keystroke the
    SQLAlchemy layer would only add overhead (about 0.1 ms a statement). A `Db` wraps either a
    session's connection (`search`) or a reader's long-lived one (services/lookup/reader.py).
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
    """The SQL one engine needs; sqlite.py and postgres.py implement it."""

    def fold_words(self, db: Db, text: str) -> list[str]:
        """The words of `text` as the engine's name index folds and splits them."""

    def terms_after(self, db: Db, last_id: int) -> list[tuple[int, str]]:
        """New name values since `last_id`, folded like the index: (id, folded text)."""

    def starts_a_name(self, db: Db, word: str) -> bool:
        """Whether some student's name has a word starting with `word` (True when the engine
        cannot tell cheaply: only a cheap False saves anything)."""

    def ids(self, db: Db, match: TextMatch, filters: Filters, limit: int) -> list[int]:
        """Ids of matching students in the match's order (newest first for names)."""

    def count(self, db: Db, match: TextMatch, filters: Filters, cap: int) -> int:
        """How many students match, counting no further than `cap`."""


def fold(text: str) -> str:
    """Lower-case `text` and strip accents ("García" -> "garcia"); other scripts pass through."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words_of(text: str) -> list[str]:
    """Accent-folded, lower-case words, split where unicode61 splits (non letters/digits)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(unicodedata.normalize("NFC", plain))


def join_marks(text: str) -> str:
    """`text` with apostrophes and hyphens inside words removed: "o'c" is typed for O'Connor,
    whose index also holds "oconnor"."""
    return _JOINING_MARK.sub("", text)


def name_words(value: str) -> list[str]:
    """The words the index holds for a stored name: its own, and those of its joined form."""
    words = words_of(value)
    joined = join_marks(value)
    if joined != value:
        words += [w for w in words_of(joined) if w not in words]
    return words


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


def _number_shape(pattern: str) -> tuple[re.Pattern[str], str] | None:
    """For a student number pattern such as ``S{year}-{seq:03d}``: a regex that fully matches
    what starts such a number ("s2024-0" too: letters in any case), and the pattern's own
    letters in order. None for a pattern that does not describe numbers this way."""
    parts: list[tuple[str, str]] = []  # (what it matches in full, what a started one matches)
    letters = ""
    for literal, name, spec, _conversion in string.Formatter().parse(pattern):
        if literal:
            begun = (re.escape(literal[:n]) for n in range(1, len(literal)))
            parts.append((re.escape(literal), "|".join(("", *begun))))
            letters += "".join(c for c in literal if c.isalpha())
        width = re.fullmatch(r"0?(\d*)d?", spec or "")
        if name == "year" and width is not None:
            parts.append((r"\d{4}", r"\d{0,3}"))
        elif name == "seq" and width is not None:
            digits = max(int(width[1] or 1), 1)  # at least this many: zero-padded to it
            parts.append((rf"\d{{{digits},}}", rf"\d{{0,{digits - 1}}}"))
        elif name is not None:
            return None  # another field or format: not a pattern for numbers
    # A typed text starts a number when it is a started first part, or the first part in full
    # followed by a start of the rest, and so on.
    regex = ""
    for full, started in reversed(parts):
        regex = f"(?:{started}|{full}{regex})" if regex else f"(?:{started}|{full})"
    return re.compile(regex, re.IGNORECASE), letters


_number_shapes = functools.lru_cache(maxsize=8)(_number_shape)


def _patterned_number(db: Db, text: str) -> str | None:
    """`text` as the start of a student number written with letters (``s2024-0``), spelt with
    the pattern's letter case so it compares equal to the stored numbers; None when the
    institution's pattern does not make numbers that start like this."""
    found = run(db, "SELECT student_number_pattern FROM institution ORDER BY id LIMIT 1", {})
    shape = _number_shapes(found[0][0]) if found and found[0][0] else None
    if shape is None or shape[0].fullmatch(text) is None:
        return None
    # Letters in a number come only from the pattern's text, in order: spell them as it does.
    letters = iter(shape[1])
    return "".join(next(letters, c) if c.isalpha() else c for c in text)


def parse(db: Db, backend: Backend, query: str) -> tuple[TextMatch | None, Filters]:
    """What to look for; None when nothing searchable was typed."""
    if ":" in query:
        filters = _filters(db, [(m[1].lower(), m[2]) for m in _FILTER.finditer(query)])
        rest = " ".join(_FILTER.sub(" ", query).split())
    else:  # no filter can be typed without a colon
        filters, rest = _NO_FILTERS, " ".join(query.split())
    if not rest:
        return (AnyStudent() if filters.conditions else None), filters
    birth = _birth_match(rest) if rest[0].isdigit() else None  # every date form starts so
    if birth is not None and (birth.dates or birth.month is not None):
        return birth, filters
    if rest.isdigit():
        return NumberMatch(rest, prefix=True), filters
    # Digits with letters or marks in one word: a number if the institution's pattern makes
    # such numbers (the pattern is read only then: names rarely hold digits, emails have "@").
    if " " not in rest and "@" not in rest and any(c.isdigit() for c in rest):
        if (number := _patterned_number(db, rest)) is not None:
            return NumberMatch(number, prefix=True), filters
        if "." not in rest and any(c.isalpha() for c in rest):
            # A number the pattern does not make, such as one an import kept from an older
            # system (``B00412345``): such numbers are written in capitals.
            return NumberMatch(rest.upper(), prefix=True), filters
    if birth is not None:
        return birth, filters  # a date that does not exist (2004-02-30): nothing
    if "@" in rest or (" " not in rest and "." in rest.strip(".")):
        return EmailMatch(rest.lower(), prefix=True), filters
    words = backend.fold_words(db, join_marks(rest))
    if not words:
        return None, filters
    return NameMatch(tuple(((w, True),) for w in words)), filters


def run(db: Db, sql: str, params: dict[str, Any]) -> list[Any]:
    """Execute on the driver's own cursor; driver errors leave as SQLAlchemy's, as they would
    through a session."""
    try:
        if db.sqlite:  # sqlite3's shortcut: a cursor made, run and fetched in C
            rows: list[Any] = db.driver.execute(sql, params).fetchall()
            return rows
        cursor = db.driver.cursor()
        try:
            cursor.execute(_pyformat(sql), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    except db.errors as error:
        raise DBAPIError.instance(sql, params, error, db.errors) from error


@functools.lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    """`:name` parameters in psycopg's `%(name)s` style, converted once per statement text."""
    return _NAMED.sub(r"%(\1)s", sql)


_NAMED = re.compile(r"(?<![:\w]):(\w+)")

"""The lookup's SQL on SQLite: FTS5 for names (migrations 0002, 0004), B-trees for the rest.

Name words become an FTS5 query such as ``("gar"* OR "garr") AND "jos"*``; FTS5 folds them with
the same unicode61 tokenizer as the index. FTS5 hands rowids back in order, so "newest first"
with a LIMIT stops early instead of sorting every match. With filters the student row is joined
after the FTS5 scan (CROSS JOIN pins that order; the planner otherwise walks the status index
and probes FTS5 per row, a thousand times slower).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from recordsdesk.services.lookup.index import SQLITE_FTS_TABLE
from recordsdesk.services.lookup.query import (
    AnyStudent,
    BirthMatch,
    Db,
    EmailMatch,
    Filters,
    NameMatch,
    NumberMatch,
    TextMatch,
    name_words,
    run,
    words_of,
)


def fts_query(match: NameMatch) -> str:
    """The FTS5 MATCH expression: every group, each an OR of its words (quoted), in the `main`
    column only (first, last and preferred names) for a `main_only` match."""
    groups = []
    column = "main : " if match.main_only else ""
    for group in match.groups:
        alternatives = [f'"{word}"' + ("*" if prefix else "") for word, prefix in group]
        words = alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})"
        groups.append(column + words)
    return " AND ".join(groups)


def _next(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (BINARY order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def student_condition(match: TextMatch) -> tuple[str, dict[str, Any], str]:
    """(WHERE on `s`, parameters, ORDER BY) for the non-name matches."""
    if isinstance(match, NumberMatch):
        if not match.prefix:
            return "s.student_number = :n", {"n": match.number}, "s.student_number"
        return (
            "s.student_number >= :lo AND s.student_number < :hi",
            {"lo": match.number, "hi": _next(match.number)},
            "s.student_number",
        )
    if isinstance(match, EmailMatch):
        if not match.prefix:
            return "lower(s.email) = :e", {"e": match.email}, "lower(s.email)"
        return (
            "lower(s.email) >= :lo AND lower(s.email) < :hi",
            {"lo": match.email, "hi": _next(match.email)},
            "lower(s.email)",
        )
    if isinstance(match, BirthMatch):
        if match.month is not None:
            year, month = match.month
            first = date(year, month, 1)
            after = (first + timedelta(days=32)).replace(day=1)
            return (
                "s.birth_date >= :lo AND s.birth_date < :hi",
                {"lo": first.isoformat(), "hi": after.isoformat()},
                "s.id DESC",
            )
        if not match.dates:
            return "0 = 1", {}, "s.id DESC"
        marks = ", ".join(f":d{i}" for i in range(len(match.dates)))
        params = {f"d{i}": d.isoformat() for i, d in enumerate(match.dates)}
        return f"s.birth_date IN ({marks})", params, "s.id DESC"
    assert isinstance(match, AnyStudent)
    return "1 = 1", {}, "s.id DESC"


class SQLiteLookup:
    def fold_words(self, db: Db, text_: str) -> list[str]:
        return words_of(text_)

    def terms_after(self, db: Db, last_id: int) -> list[tuple[int, str]]:
        rows = run(
            db,
            "SELECT id, value FROM name_term WHERE id > :last ORDER BY id",
            {"last": last_id},
        )
        return [(int(i), " ".join(name_words(v))) for i, v in rows]

    def starts_a_name(self, db: Db, word: str) -> bool:
        """One FTS5 prefix lookup (a few hundredths of a millisecond for a word no name
        starts with), which saves the prefix tier's statement: FTS5 gathers every query term's
        matches before it intersects them, so ``"garsia"* AND "jose"*`` costs as much as
        ``"jose"*`` alone even though nothing can match."""
        sql = f"SELECT 1 FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH :m LIMIT 1"
        return bool(run(db, sql, {"m": fts_query(NameMatch((((word, True),),)))}))

    def _select(self, match: TextMatch, filters: Filters) -> tuple[str, dict[str, Any], str]:
        """(SELECT ... FROM ... WHERE ..., parameters, ORDER BY) for ids of matches."""
        params: dict[str, Any] = dict(filters.params)
        extra = f" AND {filters.sql()}" if filters.conditions else ""
        if isinstance(match, NameMatch):
            params["m"] = fts_query(match)
            if filters.conditions:
                source = (
                    "SELECT f.rowid AS id FROM student_name_fts f CROSS JOIN student s "
                    "ON s.id = f.rowid WHERE student_name_fts MATCH :m" + extra
                )
                return source, params, "f.rowid DESC"
            source = "SELECT rowid AS id FROM student_name_fts WHERE student_name_fts MATCH :m"
            return source, params, "rowid DESC"
        condition, own, order = student_condition(match)
        params |= own
        return f"SELECT s.id AS id FROM student s WHERE {condition}{extra}", params, order

    def ids(self, db: Db, match: TextMatch, filters: Filters, limit: int) -> list[int]:
        source, params, order = self._select(match, filters)
        params["limit"] = limit
        sql = f"{source} ORDER BY {order} LIMIT :limit"
        return [id_ for (id_,) in run(db, sql, params)]  # rowids: already ints

    def count(self, db: Db, match: TextMatch, filters: Filters, cap: int) -> int:
        source, params, _ = self._select(match, filters)
        params["cap"] = cap
        sql = f"SELECT count(*) FROM ({source} LIMIT :cap) AS found"
        return int(run(db, sql, params)[0][0])


BACKEND = SQLiteLookup()

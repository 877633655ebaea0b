"""The lookup's SQL on PostgreSQL: pg_trgm + unaccent (migration 0002), B-trees for the rest.

Names are matched against ``rd_name_search(...)``: every name part folded by ``rd_fold`` (lower
case, unaccent, non-alphanumerics to spaces) and framed by spaces, so ``LIKE '% gar%'`` is "a
word starting with gar" and ``LIKE '% garcia %'`` is the word itself; the GIN trigram index on
that expression serves both. Query words are folded by the same SQL function, so query and index
agree even where Python's Unicode tables and unaccent's rules differ.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from recordsdesk.services.lookup.query import (
    AnyStudent,
    BirthMatch,
    Db,
    EmailMatch,
    Filters,
    NameMatch,
    NumberMatch,
    TextMatch,
    run,
)

_NAME_EXPRESSION = (
    "rd_name_search(s.legal_first_name, s.legal_middle_name, s.legal_last_name, "
    "s.preferred_name, s.former_names)"
)
# First, last and preferred names only: checked on the rows the index finds (not indexed).
_MAIN_EXPRESSION = (
    "rd_name_search(s.legal_first_name, NULL, s.legal_last_name, s.preferred_name, NULL)"
)


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def condition(match: TextMatch) -> tuple[str, dict[str, Any], str]:
    """(WHERE on `s`, parameters, ORDER BY) for any match."""
    if isinstance(match, NameMatch):
        params: dict[str, Any] = {}
        groups = []
        for g, group in enumerate(match.groups):
            alternatives = []
            for a, (word, prefix) in enumerate(group):
                key = f"w{g}_{a}"
                params[key] = f"% {word}%" if prefix else f"% {word} %"
                alternatives.append(f"{_NAME_EXPRESSION} LIKE :{key}")
                if match.main_only:
                    alternatives[-1] += f" AND {_MAIN_EXPRESSION} LIKE :{key}"
            groups.append(f"({' OR '.join(f'({a})' for a in alternatives)})")
        return " AND ".join(groups), params, "s.id DESC"
    if isinstance(match, NumberMatch):
        if not match.prefix:
            return "s.student_number = :n", {"n": match.number}, "s.student_number"
        return "s.student_number LIKE :n", {"n": _like_prefix(match.number)}, "s.student_number"
    if isinstance(match, EmailMatch):
        if not match.prefix:
            return "lower(s.email) = :e", {"e": match.email}, "lower(s.email)"
        return "lower(s.email) LIKE :e", {"e": _like_prefix(match.email)}, "lower(s.email)"
    if isinstance(match, BirthMatch):
        if match.month is not None:
            year, month = match.month
            first = date(year, month, 1)
            after = (first + timedelta(days=32)).replace(day=1)
            return (
                "s.birth_date >= :lo AND s.birth_date < :hi",
                {"lo": first, "hi": after},
                "s.id DESC",
            )
        if not match.dates:
            return "FALSE", {}, "s.id DESC"
        return "s.birth_date = ANY(:dates)", {"dates": list(match.dates)}, "s.id DESC"
    assert isinstance(match, AnyStudent)
    return "TRUE", {}, "s.id DESC"


class PostgresLookup:
    def fold_words(self, db: Db, text_: str) -> list[str]:
        folded = run(db, "SELECT rd_fold(:t)", {"t": text_})[0][0] or ""
        return folded.split()

    def terms_after(self, db: Db, last_id: int) -> list[tuple[int, str]]:
        rows = run(
            db,
            "SELECT id, rd_fold(value) || ' ' || rd_fold(regexp_replace(value, '[''\u2019-]', "
            "'', 'g')) FROM name_term WHERE id > :last ORDER BY id",
            {"last": last_id},
        )
        return [(int(i), str(v)) for i, v in rows]

    def starts_a_name(self, db: Db, word: str) -> bool:
        return True  # the trigram index has no cheaper test than the search itself

    def _select(self, match: TextMatch, filters: Filters) -> tuple[str, dict[str, Any], str]:
        where, params, order = condition(match)
        params |= filters.params
        if filters.conditions:
            where += f" AND {filters.sql()}"
        return f"SELECT s.id FROM student s WHERE {where}", params, order

    def ids(self, db: Db, match: TextMatch, filters: Filters, limit: int) -> list[int]:
        source, params, order = self._select(match, filters)
        params["limit"] = limit
        return [int(r[0]) for r in run(db, f"{source} ORDER BY {order} LIMIT :limit", params)]

    def count(self, db: Db, match: TextMatch, filters: Filters, cap: int) -> int:
        source, params, _ = self._select(match, filters)
        params["cap"] = cap
        return int(run(db, f"SELECT count(*) FROM ({source} LIMIT :cap) AS found", params)[0][0])


BACKEND = PostgresLookup()

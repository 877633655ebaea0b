"""The lookup's misspelling dictionary: every folded name word the database has seen.

Built from `name_term` (append-only, kept by the triggers of migration 0002) and refreshed
incrementally before each search, per database; the matching itself is plain Python, so both
engines find the same alternatives for the same words.
"""

from __future__ import annotations

import bisect
import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recordsdesk.services.lookup.query import Backend, Db

MAX_ALTERNATES = 20
_WORD = re.compile(r"[^\W_]+")


class Vocabulary:
    """Every folded name word the database has seen, indexed by first letter and by letters 2-3
    (so "katherine" meets "catherine" and "jon" meets "john" without scanning everything).

    Loaded incrementally from `name_term` (append-only), per database, shared by threads.
    """

    def __init__(self) -> None:
        self.last_id = 0
        self.words: set[str] = set()
        #: The words in order, for "does a word start so?" by bisection; None after an add
        #: until it is asked again (a refresh adds words in batches).
        self._ordered: list[str] | None = None
        self._by_key: dict[str, set[str]] = {}
        self._similar: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def add(self, word: str) -> None:
        if word in self.words or len(word) < 2:
            return
        self.words.add(word)
        self._ordered = None
        self._similar.clear()
        for key in _keys(word):
            self._by_key.setdefault(key, set()).add(word)

    def refresh(self, db: Db, backend: Backend) -> None:
        rows = backend.terms_after(db, self.last_id)
        for term_id, folded in rows:
            for word in _WORD.findall(folded):
                self.add(word)
            self.last_id = max(self.last_id, term_id)

    def similar(self, word: str) -> list[str]:
        """Words within the allowed edits of `word` or of their first len(word) letters, that do
        not already start with it; closest first, at most MAX_ALTERNATES."""
        if len(word) < 3 or word.isdigit():
            return []
        cached = self._similar.get(word)
        if cached is None:
            cached = self._similar[word] = self._find_similar(word)
        return cached

    def starts_a_word(self, prefix: str) -> bool:
        """Whether some word of the dictionary starts with `prefix` (two letters or more)."""
        if self._ordered is None:
            self._ordered = sorted(self.words)
        at = bisect.bisect_left(self._ordered, prefix)
        return at < len(self._ordered) and self._ordered[at].startswith(prefix)

    def _find_similar(self, word: str) -> list[str]:
        allowed = 1 if len(word) <= 5 else 2
        found: list[tuple[int, str]] = []
        candidates: set[str] = set()
        for key in _keys(word):
            candidates |= self._by_key.get(key, set())
        for candidate in candidates:
            if candidate.startswith(word) or abs(len(candidate) - len(word)) > allowed + 8:
                continue
            distance = edit_distance(word, candidate, allowed)
            if distance > allowed and len(word) >= 4 and len(candidate) > len(word):
                distance = edit_distance(word, candidate[: len(word)], allowed)
            if distance <= allowed:
                found.append((distance, candidate))
        found.sort()
        return [w for _, w in found[:MAX_ALTERNATES]]


def _keys(word: str) -> tuple[str, ...]:
    return (f"1{word[0]}", f"2{word[1:3]}") if len(word) >= 3 else (f"1{word[0]}",)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or limit + 1 once it exceeds
    `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


_vocabularies: dict[str, Vocabulary] = {}
_vocabularies_lock = threading.Lock()


def vocabulary_for(db: Db, backend: Backend) -> Vocabulary:
    with _vocabularies_lock:
        vocabulary = _vocabularies.setdefault(db.key, Vocabulary())
    with vocabulary.lock:
        vocabulary.refresh(db, backend)
    return vocabulary


def unknown_prefixes(db: Db, words: list[str]) -> list[str]:
    """The words that start no word of the database's dictionary as last loaded (it is not
    refreshed here: a hint for the caller to check, never an answer); none before it is loaded.
    """
    with _vocabularies_lock:
        vocabulary = _vocabularies.get(db.key)
    if vocabulary is None or vocabulary.last_id == 0:
        return []
    with vocabulary.lock:
        return [w for w in words if len(w) >= 2 and not vocabulary.starts_a_word(w)]


def forget_vocabularies() -> None:
    """Drop the cached dictionaries (a database was replaced under the same address)."""
    with _vocabularies_lock:
        _vocabularies.clear()

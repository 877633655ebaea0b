"""Names from many cultures for the demo students, read from the shipped `data/names/` lists.

A native-script list entry is written `native|latin`: the legal name keeps the script it is
written in and the Latin form becomes the preferred name and the email address, as a records
office sees it.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from itertools import accumulate

from recordsdesk.resources import load_json

NAMES_FILE = "names/cultures.json"


@dataclass(frozen=True)
class PersonName:
    first: str
    middle: str
    last: str
    preferred: str
    email_first: str
    email_last: str


@dataclass(frozen=True)
class _Culture:
    code: str
    female: tuple[tuple[str, str], ...]
    male: tuple[tuple[str, str], ...]
    family: tuple[tuple[str, str], ...]
    native_share: float
    family_first: bool
    middle_female: str
    middle_male: str


_ascii_cache: dict[str, str] = {}


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of `text` (accents stripped), for email addresses."""
    cached = _ascii_cache.get(text)
    if cached is None:
        decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
        decomposed = decomposed.replace("ß", "ss").replace("ł", "l").replace("Ł", "L")
        decomposed = decomposed.replace("đ", "d").replace("Đ", "D").replace("ı", "i")
        cached = "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())
        _ascii_cache[text] = cached
    return cached


def _pairs(entries: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for entry in entries:
        native, _, latin = entry.partition("|")
        pairs.append((native, latin or native))
    return tuple(pairs)


class NamePicker:
    """Draws names; every draw consumes the caller's random stream only (deterministic)."""

    def __init__(self) -> None:
        spec = load_json(NAMES_FILE)
        self._cultures = [
            _Culture(
                code=c["code"],
                female=_pairs(c["female"]),
                male=_pairs(c["male"]),
                family=_pairs(c["family"]),
                native_share=float(c.get("native_share", 0.0)),
                family_first=bool(c.get("family_first", False)),
                middle_female=c.get("middle_female", ""),
                middle_male=c.get("middle_male", ""),
            )
            for c in spec["cultures"]
        ]
        self._cum_weights = list(accumulate(float(c["weight"]) for c in spec["cultures"]))

    def family_name(self, rng: random.Random) -> str:
        """A Latin-script family name (for a guardian who married into the family)."""
        culture = rng.choices(self._cultures, cum_weights=self._cum_weights)[0]
        return rng.choice(culture.family)[1]

    def pick(self, rng: random.Random, female: bool) -> PersonName:
        culture = rng.choices(self._cultures, cum_weights=self._cum_weights)[0]
        given = rng.choice(culture.female if female else culture.male)
        family = rng.choice(culture.family)
        native = culture.native_share > 0 and rng.random() < culture.native_share
        middle = culture.middle_female if female else culture.middle_male
        if not middle and rng.random() < 0.35:
            same_gender = culture.female if female else culture.male
            middle = rng.choice(same_gender)[0 if native else 1]
            if middle in given:
                middle = ""
        if native:
            first, last, preferred = given[0], family[0], given[1]
        else:
            first, last = given[1], family[1]
            preferred = ""
            if culture.family_first and culture.native_share > 0 and rng.random() < 0.3:
                preferred = rng.choice(_ADOPTED_NAMES)
            elif rng.random() < 0.06:
                preferred = rng.choice(_NICKNAMES.get(first, _ADOPTED_NAMES))
        return PersonName(
            first=first,
            middle=middle,
            last=last,
            preferred=preferred,
            email_first=ascii_slug(given[1]) or "student",
            email_last=ascii_slug(family[1]) or "x",
        )


# Preferred names people choose at the counter: English names adopted by international
# students, and the short forms of common given names.
_ADOPTED_NAMES = ("Jenny", "Kevin", "Grace", "Eric", "Vivian", "Tony", "Lily", "Sam", "Alex", "Max")
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Bill", "Liam"),
    "Elizabeth": ("Liz", "Beth", "Eliza"),
    "Alexander": ("Alex", "Xander"),
    "Benjamin": ("Ben",),
    "Christopher": ("Chris",),
    "Matthew": ("Matt",),
    "Samuel": ("Sam",),
    "Abigail": ("Abby",),
    "Victoria": ("Tori", "Vicky"),
    "Theodore": ("Teddy", "Theo"),
    "Katarzyna": ("Kasia",),
    "Francesca": ("Fran",),
    "Alejandro": ("Alex",),
    "Guadalupe": ("Lupe",),
    "Dolores": ("Lola",),
    "José": ("Pepe",),
    "Oluwaseun": ("Seun",),
    "Olúwaṣeun": ("Seun",),
}

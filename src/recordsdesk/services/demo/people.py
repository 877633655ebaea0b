"""Who the demo students are: names, birth dates, contact details, guardians for minors.

Values come out already in the form both databases accept from a bulk load (ISO date strings,
0/1 flags), so the writer never converts row by row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from recordsdesk.services.demo.names import NamePicker, ascii_slug

_day_cache: dict[int, str] = {}


def iso_day(day: date) -> str:
    """ISO text of a date, cached: the build formats the same few thousand days millions of
    times."""
    ordinal = day.toordinal()
    text = _day_cache.get(ordinal)
    if text is None:
        text = day.isoformat()
        _day_cache[ordinal] = text
    return text


def stamp(day: date, minute_of_day: int) -> str:
    """A UTC timestamp on `day` in the text form SQLAlchemy stores on SQLite (the PostgreSQL
    build connection runs with TimeZone=UTC, so the same text means the same instant)."""
    return f"{iso_day(day)} {minute_of_day // 60:02d}:{minute_of_day % 60:02d}:00.000000"


@dataclass(frozen=True)
class Identity:
    """The personal part of a student row, in column order from `legal_first_name` to
    `guardian_email`."""

    values: tuple[Any, ...]
    email_slug: str


#: People the guide's lookup examples name (docs/guide/counter.md): first, last, birth date,
#: email user; given to the first active adult undergraduates so every example finds someone.
SHOWCASE: tuple[tuple[str, str, str, str], ...] = (
    ("José", "García", "2004-03-17", "jose.garcia"),
    ("John", "Smith", "2003-10-02", "john.smith"),
)


def showcase_identity(
    identity: Identity, person: tuple[str, str, str, str], domain: str
) -> Identity:
    """`identity` renamed as one of the guide's example people (names, birth date, email)."""
    first, last, birth, email = person
    values = list(identity.values)
    values[0:7] = [first, "", last, "", "", birth, f"{email}@{domain}"]
    return Identity(values=tuple(values), email_slug=values[6])


_RELATIONSHIPS = ("Mother", "Father", "Mother", "Father", "Grandmother", "Legal guardian", "Aunt")


class PeopleFactory:
    def __init__(self, spec: dict[str, Any], names: NamePicker, email_domain: str) -> None:
        self._names = names
        self._streets: list[str] = spec["streets"]
        self._cities: list[list[str]] = spec["cities"]
        self._abroad: list[list[str]] = spec["abroad"]
        self._domain = email_domain
        self.showcase = list(SHOWCASE)

    @property
    def domain(self) -> str:
        return self._domain

    def birth_date(self, rng: random.Random, age_on: date, age: float) -> date:
        """A birth date making the person `age` (fractional years) on `age_on`."""
        return age_on - timedelta(days=int(age * 365.25) + rng.randint(0, 364))

    def identity(
        self, rng: random.Random, student_id: int, birth: str, *, minor: bool, international: bool
    ) -> Identity:
        female = rng.random() < 0.52
        name = self._names.pick(rng, female)
        former = ""
        if not minor and rng.random() < 0.03:
            former = self._names.family_name(rng)
            if former == name.last:
                former = ""
        email = f"{name.email_first}.{name.email_last}{student_id}@{self._domain}"
        phone = f"+1 (507) 555-{rng.randint(0, 9999):04d}"
        if international and not minor:
            city, region, postal, country = rng.choice(self._abroad)
            phone = f"+1 (612) 555-{rng.randint(0, 9999):04d}"
        else:
            city, region, postal = rng.choice(self._cities)
            country = "United States"
        street = f"{rng.randint(1, 4999)} {rng.choice(self._streets)}"
        line2 = f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.2 else ""
        if minor:
            guardian_first = self._names.pick(rng, rng.random() < 0.6)
            same_family = rng.random() < 0.8
            guardian_last = name.last if same_family else guardian_first.last
            relationship = rng.choice(_RELATIONSHIPS)
            guardian = (
                f"{guardian_first.preferred or guardian_first.first} {guardian_last}",
                relationship,
                f"+1 (507) 555-{rng.randint(0, 9999):04d}",
                f"{guardian_first.email_first}.{ascii_slug(guardian_last) or 'family'}"
                f"{rng.randint(1, 999)}@mail.example.com",
            )
        else:
            guardian = ("", "", "", "")
        values = (
            name.first,
            name.middle,
            name.last,
            name.preferred,
            former,
            birth,
            email,
            phone,
            street,
            line2,
            city,
            region,
            postal,
            country,
            *guardian,
        )
        return Identity(values=values, email_slug=email)

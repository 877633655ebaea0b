"""The password rule every way of setting a staff password shares (first start, `user add`,
`user passwd`, the staff screen): the service layer applies it, so no path can skip it.

Administrators and registrars can change grades, release official copies and manage staff, so
their passwords must be at least 12 characters; clerks at least 8. Nobody may use a common
password (data/common-passwords.txt), one dressed up with digits or punctuation at the ends,
one repeated character, a keyboard or number run, or their own username.
"""

from __future__ import annotations

import string
from functools import cache

from recordsdesk.models import StaffRole
from recordsdesk.resources import read_lines
from recordsdesk.services.shared.errors import ValidationFailed

MIN_LENGTH = {StaffRole.CLERK: 8, StaffRole.REGISTRAR: 12, StaffRole.ADMIN: 12}
COMMON_PASSWORDS_FILE = "common-passwords.txt"
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "01234567890", "1qaz2wsx3edc")
_EDGES = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(line.lower() for line in read_lines(COMMON_PASSWORDS_FILE))


def min_length(role: StaffRole) -> int:
    return MIN_LENGTH[role]


def _is_run(text: str) -> bool:
    """One character repeated, or a stretch of a keyboard row / the alphabet / the digits
    (forwards or backwards)."""
    if len(set(text)) <= 2:
        return True
    steps = {run[i : i + 2] for run in _RUNS for i in range(len(run) - 1)}
    steps |= {step[::-1] for step in steps}
    return all(text[i : i + 2] in steps for i in range(len(text) - 1))


def weakness(password: str, role: StaffRole, username: str = "") -> str | None:
    """Why `password` is refused for an account with `role`, or None when it is acceptable."""
    needed = MIN_LENGTH[role]
    if len(password) < needed:
        article = "an" if role.value[0] in "aeiou" else "a"
        return f"must be at least {needed} characters for {article} {role.value}."
    if password.strip() != password:
        return "must not start or end with a space."
    lowered = password.lower()
    core = lowered.strip(_EDGES)
    common = common_passwords()
    if lowered in common or core in common or _is_run(core or lowered):
        return "is too common or too easy to guess; choose a longer, less predictable one."
    name = username.strip().lower()
    if len(name) >= 3 and name in lowered:
        return "must not contain the username."
    return None


def check_password(
    password: str, role: StaffRole, username: str = "", field: str = "password"
) -> None:
    """Raise ValidationFailed naming `field` unless `password` follows the rule for `role`."""
    problem = weakness(password, role, username)
    if problem is not None:
        raise ValidationFailed(field, problem)

"""Staff password hashing with scrypt from the standard library.

The stored form names its own algorithm and cost (`scrypt$n$r$p$salt$hash`, salt and hash in
base64), so the cost can be raised without breaking hashes already stored: verification reads
the parameters from the stored value, and `needs_rehash` tells sign-in to store a hash made at
today's cost once the password is known to be right.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCHEME = "scrypt"
SALT_BYTES = 16
HASH_BYTES = 32
# The most memory one verification may take: scrypt needs ~128 * n * r bytes (128 MiB at
# n=2**17, r=8); the headroom lets a hash made at one step more still verify.
_MAXMEM = 300 * 1024 * 1024
_MAX_N = 2**18


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's work factors (n a power of two)."""

    n: int
    r: int = 8
    p: int = 1


PRODUCTION_COST = ScryptCost(n=2**17, r=8, p=1)  # OWASP's current advice for scrypt
_current = PRODUCTION_COST


def current_cost() -> ScryptCost:
    return _current


def set_cost(cost: ScryptCost) -> ScryptCost:
    """Change the cost new hashes are made at and return the previous one. For the test suite,
    which creates hundreds of accounts; nothing in the product calls it."""
    global _current
    previous, _current = _current, cost
    return previous


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, cost: ScryptCost, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=_MAXMEM,
        dklen=length,
    )


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password` in the self-describing stored form."""
    if not password:
        raise ValueError("an empty password cannot be hashed")
    cost = _current
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, cost, HASH_BYTES)
    return f"{SCHEME}${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[ScryptCost, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = (int(value) for value in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n > _MAX_N or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 4 or not expected:
        return None
    return ScryptCost(n, r, p), salt, expected


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`. An empty or malformed stored value (the `system`
    account has none) never matches; the comparison is constant-time."""
    parsed = _parse(stored)
    if parsed is None or not password:
        return False
    cost, salt, expected = parsed
    try:
        actual = _derive(password, salt, cost, len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made at a lower cost than new hashes are (or is unreadable)."""
    parsed = _parse(stored)
    if parsed is None:
        return True
    cost = parsed[0]
    return cost.n < _current.n or cost.r < _current.r or cost.p < _current.p

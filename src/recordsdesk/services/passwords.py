"""Staff password hashing with scrypt from the standard library.

The stored form names its own algorithm and cost (`scrypt$n$r$p$salt$hash`, salt and hash in
base64), so the cost can be raised later without breaking hashes already stored: verification
reads the parameters from the stored value, not from these constants.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# scrypt needs 128 * n * r bytes; leave headroom so a raised cost still verifies.
_MAXMEM = 256 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=length
    )


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password` in the self-describing stored form."""
    if not password:
        raise ValueError("an empty password cannot be hashed")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`. An empty or malformed stored value (the `system`
    account has none) never matches; the comparison is constant-time."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME or not password:
        return False
    try:
        n, r, p = (int(value) for value in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not expected:
        return False
    try:
        actual = _derive(password, salt, n, r, p, len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)

"""Signing in, the idle lock, and staff accounts for administrators."""

__all__ = [
    "lock",
    "sign_in",
    "staff",
]

"""The audit trail viewer."""

__all__ = [
    "viewer",
]

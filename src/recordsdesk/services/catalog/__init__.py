"""The catalog, the terms and the institution as the desk's list screens read them (`view`)."""

__all__ = [
    "view",
]

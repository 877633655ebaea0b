"""The transcript preview and its dialogs; `opening` opens it from a record."""

__all__ = [
    "opening",
]

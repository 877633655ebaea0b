"""The reports screen: run a report, read it, export it."""

__all__ = [
    "viewer",
]

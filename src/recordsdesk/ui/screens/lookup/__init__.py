"""The counter's home screen: the lookup (`search`) and its results table."""

__all__ = [
    "search",
]

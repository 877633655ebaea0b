"""The catalog, the terms and the institution as the desk's list screens read them (`view`),
and the program settings an administrator keeps (`programs`)."""

__all__ = [
    "programs",
    "view",
]

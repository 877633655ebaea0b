"""Files in and out: imports from other systems (`imports`) and exports to them (`exports`)."""

__all__ = [
    "exports",
    "imports",
]

"""Counter services on screen: a student's release consents (`consents`) and enrollment
verification letters (`letter`), both from the record, and "is this document genuine?"
(`genuine`, a dialog opened from anywhere)."""

__all__ = [
    "consents",
    "genuine",
    "letter",
]

"""Counter services on screen: a student's release consents (`consents`, from the record) and
"is this document genuine?" (`genuine`, a dialog opened from anywhere)."""

__all__ = [
    "consents",
    "genuine",
]

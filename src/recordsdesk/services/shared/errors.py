"""Errors the services raise; each message is written for the person at the desk."""

from __future__ import annotations


class RecordsError(Exception):
    """Base of every refusal the desk explains to its user."""


class ValidationFailed(RecordsError):
    """Bad input: names the field so the form can show the message beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(RecordsError):
    pass


class StaleRecord(RecordsError):
    """Another desk changed the record since it was loaded; `changed` lists the fields."""

    def __init__(self, entity: str, changed: list[str]) -> None:
        fields = ", ".join(changed) if changed else "the record"
        super().__init__(f"{entity} was changed at another desk since you opened it ({fields}).")
        self.entity = entity
        self.changed = changed


class PermissionDenied(RecordsError):
    pass

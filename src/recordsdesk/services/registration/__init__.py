"""Registering students in sections for a term under the institution's rules.

`register` adds, drops and withdraws; `basis` changes an enrollment's grading basis; `rules` are
the checks as pure functions over what `data` reads; `view` serves the registration screen;
`waitlist` keeps the line for a full section."""

__all__ = [
    "basis",
    "register",
    "rules",
    "view",
    "waitlist",
]

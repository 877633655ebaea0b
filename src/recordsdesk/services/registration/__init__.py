"""Registering students in sections for a term under the institution's rules.

`register` adds, drops and withdraws; `rules` are the checks as pure functions over what `data`
reads; `view` serves the registration screen; `waitlist` keeps the line for a full section."""

__all__ = [
    "register",
    "rules",
    "view",
    "waitlist",
]

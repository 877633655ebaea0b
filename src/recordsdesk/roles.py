"""The staff roles, in a module that imports nothing else of the desk.

The sign-in screen needs the roles before the database layer is loaded (it is drawn before
SQLAlchemy and the models are imported); `recordsdesk.models` re-exports them for the rest.
"""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    CLERK = "clerk"
    REGISTRAR = "registrar"
    ADMIN = "admin"

"""Who may do what: the role matrix, enforced in the services rather than only hidden in the UI.

Every service that reads or changes records calls `authorize(actor, Action.X)` before touching the
database, so a call with the wrong role fails the same way from the TUI, the CLI and a test.
Roles are cumulative: a registrar may do everything a clerk may, an admin everything.
"""

from __future__ import annotations

from enum import StrEnum

from recordsdesk.roles import StaffRole
from recordsdesk.services.access.acting import Actor
from recordsdesk.services.shared.errors import PermissionDenied


class Action(StrEnum):
    # Clerk: the counter.
    STUDENT_READ = "student.read"
    STUDENT_CREATE = "student.create"
    STUDENT_UPDATE = "student.update"
    ADMISSION_MANAGE = "admission.manage"
    NOTE_ADD = "note.add"
    REGISTRATION_MANAGE = "registration.manage"
    TRANSCRIPT_UNOFFICIAL = "transcript.unofficial"
    CATALOG_READ = "catalog.read"
    CONSENT_MANAGE = "consent.manage"
    DISCLOSURE_VIEW = "disclosure.view"
    DOCUMENT_VERIFY = "document.verify"
    LETTER_ISSUE = "letter.issue"
    # Registrar: the record's integrity.
    REGISTRATION_OVERRIDE = "registration.override"
    GRADE_ENTER = "grade.enter"
    GRADE_POST = "grade.post"
    GRADE_CHANGE = "grade.change"
    HOLD_MANAGE = "hold.manage"
    TRANSCRIPT_OFFICIAL = "transcript.official"
    STUDENT_DEPART = "student.depart"
    STUDENT_AUDIT_VIEW = "student.audit_view"
    REPORT_RUN = "report.run"
    IMPORT_RUN = "import.run"
    TRANSFER_EVALUATE = "transfer.evaluate"
    # Admin: the office itself.
    STAFF_MANAGE = "staff.manage"
    SETTINGS_CHANGE = "settings.change"
    CATALOG_MANAGE = "catalog.manage"
    TERM_MANAGE = "term.manage"
    AUDIT_VIEW = "audit.view"
    EXPORT_PERSONAL = "export.personal"
    BACKUP_RUN = "backup.run"


_CLERK = {
    Action.STUDENT_READ,
    Action.STUDENT_CREATE,
    Action.STUDENT_UPDATE,
    Action.ADMISSION_MANAGE,
    Action.NOTE_ADD,
    Action.REGISTRATION_MANAGE,
    Action.TRANSCRIPT_UNOFFICIAL,
    Action.CATALOG_READ,
    Action.CONSENT_MANAGE,
    Action.DISCLOSURE_VIEW,
    Action.DOCUMENT_VERIFY,
    Action.LETTER_ISSUE,
}
_REGISTRAR = _CLERK | {
    Action.REGISTRATION_OVERRIDE,
    Action.GRADE_ENTER,
    Action.GRADE_POST,
    Action.GRADE_CHANGE,
    Action.HOLD_MANAGE,
    Action.TRANSCRIPT_OFFICIAL,
    Action.STUDENT_DEPART,
    Action.STUDENT_AUDIT_VIEW,
    Action.REPORT_RUN,
    Action.IMPORT_RUN,
    Action.TRANSFER_EVALUATE,
}
_ADMIN = set(Action)

ALLOWED: dict[StaffRole, frozenset[Action]] = {
    StaffRole.CLERK: frozenset(_CLERK),
    StaffRole.REGISTRAR: frozenset(_REGISTRAR),
    StaffRole.ADMIN: frozenset(_ADMIN),
}

_WORDS = {action: action.value.replace(".", " ").replace("_", " ") for action in Action}


def allowed(actor: Actor, action: Action) -> bool:
    return action in ALLOWED[actor.role]


def lowest_role(action: Action) -> StaffRole:
    """The least role that may take `action` (for messages and help)."""
    for role in (StaffRole.CLERK, StaffRole.REGISTRAR, StaffRole.ADMIN):
        if action in ALLOWED[role]:
            return role
    raise AssertionError(f"{action} is allowed to no role")


def authorize(actor: Actor, action: Action) -> None:
    """Raise PermissionDenied, in words for the desk, unless the actor's role allows `action`."""
    if not allowed(actor, action):
        needed = lowest_role(action)
        raise PermissionDenied(
            f"{_WORDS[action].capitalize()} needs the {needed.value} role; "
            f"{actor.username} is signed in as {actor.role.value}."
        )

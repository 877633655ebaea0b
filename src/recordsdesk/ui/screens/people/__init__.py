"""A student's record and the forms on it: intake, profile edit, holds, departure, and the
coursework received from other institutions (`received`).

`intake_form` holds the form pieces they share (field rows, reason and decision dialogs);
`form_modal` a short form in a dialog that saves through one service call."""

__all__ = [
    "form_modal",
    "intake",
    "intake_form",
    "record",
]

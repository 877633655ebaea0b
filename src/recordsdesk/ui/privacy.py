"""The privacy key's one rule for screens: show birth dates and contact details through `mask`.

A screen that shows them re-renders when the app's `privacy` flag flips:

    self.watch(self.app, "privacy", self._privacy_changed, init=False)

and renders each sensitive value as `mask(value, hidden=privacy_on(self))`. A screen that is
closed while the desk runs on (a record, a transcript preview) calls `stop_watching_privacy(self)`
when it unmounts, or the watch keeps it alive.
"""

from __future__ import annotations

from typing import Any

MASK = "••••••"
#: Form fields holding what the key hides; their inputs show dots while it is on (typing still
#: works, as in a password box), wherever the form is (intake, profile edit).
PRIVATE_FIELDS = frozenset(
    {
        "birth_date",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "guardian_phone",
        "guardian_email",
    }
)


def mask(value: object, hidden: bool) -> str:
    """`value` as text, or the mask when privacy is on (empty values stay empty: hiding that
    there is no phone number protects nothing)."""
    text = "" if value is None else str(value)
    if hidden and text:
        return MASK
    return text


def privacy_on(node: Any) -> bool:
    """Whether the app `node` belongs to has privacy on (False for apps without the key)."""
    return bool(getattr(node.app, "privacy", False))


def stop_watching_privacy(screen: Any) -> None:
    """Drop `screen`'s watch on the app's privacy flag when it closes.

    Textual (8.2) keeps a watcher made with `watch(self.app, ...)` in the app's private
    `__watchers` table until the flag next changes, and with it the closed screen and all it
    drew: tens of thousands of objects per record or preview opened, which every full garbage
    collection then walks (hundreds of ms a key after a few dozen records). Without that table
    (another Textual) there is nothing to drop."""
    watchers = getattr(screen.app, "__watchers", {}).get("privacy")
    if isinstance(watchers, list):
        watchers[:] = [entry for entry in watchers if entry[0] is not screen]

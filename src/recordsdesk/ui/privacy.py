"""The privacy key's one rule for screens: show birth dates and contact details through `mask`.

A screen that shows them re-renders when the app's `privacy` flag flips:

    self.watch(self.app, "privacy", self._privacy_changed, init=False)

and renders each sensitive value as `mask(value, hidden=privacy_on(self))`.
"""

from __future__ import annotations

from typing import Any

MASK = "••••••"


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

"""Keys as a terminal delivers them: `burst` queues a whole key sequence on the app before any
of it is handled, the way fast typing (or a paste of keystrokes) reaches a Textual app.

`Pilot.press` waits for the app to go idle after every key, which hides every type-ahead
defect; a terminal's driver thread instead parses a read's worth of input and posts every Key
at once. `burst` does the same from the test's side of the event loop: each Key is built as
Pilot builds it and put on the app's queue with no await in between, then the test waits for
the app to settle.
"""

from __future__ import annotations

import unicodedata

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot


def key_event(key: str) -> events.Key:
    """The Key event a terminal would produce for a Pilot-style key name ("a", "enter", "+")."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def keys_of(*parts: str) -> list[str]:
    """Key names from parts where a part is a key name ("enter", "f5", "ctrl+z") or, when it is
    none of those, text typed a character at a time ("B+", "math7")."""
    names: list[str] = []
    for part in parts:
        if len(part) == 1 or part in _NAMED or "+" in part[1:] and part.split("+")[0] in _MODS:
            names.append(part)
        else:
            names.extend(part)
    return names


_MODS = {"ctrl", "shift", "alt", "meta", "super"}
_NAMED = {
    "enter",
    "escape",
    "tab",
    "backspace",
    "delete",
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "pageup",
    "pagedown",
    "space",
    "insert",
    *(f"f{n}" for n in range(1, 25)),
}


async def burst(pilot: Pilot[object], *parts: str, settle: bool = True) -> None:
    """Deliver the keys of `parts` (see `keys_of`) as one burst: every Key is on the app's queue
    before the app handles the first. With `settle`, wait until the app is idle again."""
    app = pilot.app
    for name in keys_of(*parts):
        event = key_event(name)
        event.set_sender(app)
        app.post_message(event)
    if settle:
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

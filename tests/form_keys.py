"""Keys as a terminal delivers them: a whole burst reaches the app before it handles any.

`pilot.press` waits for the app to go idle after every key, which no fast typist (nor a paste, a
barcode scanner, a remote link) does. `burst` posts every key event to the app's queue in one go
and only then lets the app run, which is what the terminal driver does when the keys arrive
together; `slowly` gives the same keys one at a time with the app idle between them, so a test
can check that both give the same result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.worker import WorkerCancelled

from tests import keys


def key_event(app: App[object], key: str) -> events.Key:
    """The Key event the driver makes for `key` (a character or a key name like "enter"),
    sent from `app` as the driver's are."""
    event = keys.key_event(key)
    event.set_sender(app)
    return event


def keys_of(*parts: str) -> list[str]:
    """Key names from parts: a part in angle brackets is one named key ("<enter>", "<ctrl+s>"),
    any other part is typed character by character."""
    keys: list[str] = []
    for part in parts:
        if part.startswith("<") and part.endswith(">") and len(part) > 2:
            keys.append(part[1:-1])
        else:
            keys.extend(part)
    return keys


async def _screens_idle(app: App[object]) -> None:
    """Until every screen on the stack or installed ahead of use (the record's transcript
    preview) has handled what is queued for it: a test that ends under a screen still mounting
    tears its header down under a pending title update."""
    loop = asyncio.get_running_loop()
    screens = [*app.screen_stack, *getattr(app, "_installed_screens", {}).values()]
    waiting: list[asyncio.Future[None]] = []
    for screen in screens:
        if isinstance(screen, Screen) and screen.is_running:
            done: asyncio.Future[None] = loop.create_future()
            if screen.call_later(done.set_result, None):
                waiting.append(done)
    if waiting:
        await asyncio.wait(waiting, timeout=5.0)


async def settle(pilot: Pilot[object]) -> None:
    """Until the app has handled every key it received and its workers have finished."""
    app = pilot.app
    for _ in range(10_000):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker replaced by the next key's: expected
            continue
        await pilot.pause()
        if not getattr(app, "keys_pending", False):
            await _screens_idle(app)
            await pilot.pause()
            return
    raise AssertionError("the app never finished handling the keys")


async def burst(pilot: Pilot[object], *parts: str) -> None:
    """Every key of `parts` queued on the app before it handles the first, then settle."""
    app = pilot.app
    for key in keys_of(*parts):
        app.post_message(key_event(app, key))
    await settle(pilot)


async def slowly(pilot: Pilot[object], *parts: str) -> None:
    """The same keys one at a time, the app idle (workers done) between them."""
    for key in keys_of(*parts):
        await pilot.press(key)
        await settle(pilot)


def sent(keys: Iterable[str]) -> str:
    return " ".join(keys)

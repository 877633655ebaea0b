"""Type-ahead that lands where it was meant: keys delivered in one burst give exactly what the
same keys typed slowly give.

Textual reads a burst of keys and forwards every one to the widget focused at that moment, and
an `Input` runs its Enter binding only when the key has bubbled up to the app, after the keys
queued behind it were inserted (`A Enter B+ Enter` submits 'AB+' twice). So:

- `KeyedInput` handles each key itself, in order: characters are inserted, and any other key
  runs its binding (the input's, the screen's or the app's) right there. Enter hands the value
  to the screen's `submit_now` at once, so the row it closes is the row it was typed on.
- When a key opens another place (a dialog, the next screen, another field), the keys queued
  behind it are kept in the app's `TypeAhead` instead of landing here; the next place's
  `KeyedInput` takes them, in order, once it is focused and ready. A screen waiting for data
  (a list or roster loading) holds them meanwhile (`hold` / `release`).
- `TypeAheadScreen` catches the keys Textual forwards to a screen before any of its widgets has
  focus, and lets a dialog without a text field (a confirmation) take its keys as bindings.
- A screen may set aside the keys typed before it could show a refusal (`set_aside_until_now`):
  they are reported through `on_set_aside`, never silently dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from textual import events
from textual._time import get_time
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

#: How a set-aside key is shown to the registrar.
_SHOWN = {"enter": "⏎", "tab": "⇥", "space": "␠", "backspace": "⌫", "escape": "Esc"}


def key_label(event: events.Key) -> str:
    """A key as the desk lists it when it was set aside: its character, or a short name."""
    if event.is_printable and event.character:
        return event.character
    if event.key in _SHOWN:
        return _SHOWN[event.key]
    if event.key[:1] == "f" and event.key[1:].isdigit():
        return event.key.upper()
    return f"<{event.key}>"


class TypeAhead:
    """The app's keys waiting for the place they were typed for, oldest first."""

    def __init__(self) -> None:
        self.pending: deque[events.Key] = deque()
        self._holders: set[int] = set()

    @property
    def held(self) -> bool:
        return bool(self._holders)

    def hold(self, owner: object) -> None:
        """Keep every key until `owner` releases (a list or roster still loading)."""
        self._holders.add(id(owner))

    def release(self, owner: object, app: App[Any]) -> None:
        """Let the waiting keys go to the focused place, in order."""
        self._holders.discard(id(owner))
        if not self._holders and self.pending:
            take_keys_soon(app)

    def add(self, event: events.Key) -> None:
        self.pending.append(event)


_TYPEAHEAD: WeakKeyDictionary[App[Any], TypeAhead] = WeakKeyDictionary()


def typeahead(app: App[Any]) -> TypeAhead:
    """The app's one type-ahead (kept beside the app, so the app class needs no change)."""
    found = _TYPEAHEAD.get(app)
    if found is None:
        found = _TYPEAHEAD[app] = TypeAhead()
    return found


def take_keys_soon(app: App[Any]) -> None:
    """Ask the active screen to take the waiting keys once it has handled what it has now."""
    screen = app.screen
    if isinstance(screen, TypeAheadScreen):
        screen.call_later(screen.take_keys)
    else:
        focused = app.focused
        if isinstance(focused, KeyedInput):
            focused.call_later(focused.drain)


class KeyedInput(Input):
    """An Input that handles every key in the order typed (see the module docstring).

    `submit_now`, when set, receives the value the moment Enter is handled (instead of an
    `Input.Submitted` message that would arrive after the keys behind it). `on_set_aside`
    receives each key set aside by `set_aside_until_now`, with its cause."""

    def __init__(self, value: str | None = None, **options: Any) -> None:
        super().__init__(value, **options)
        self.submit_now: Callable[[str], None] | None = None
        self.on_set_aside: Callable[[str, events.Key], None] | None = None
        self._set_aside_before = float("-inf")
        self._set_aside_cause = ""
        self._handing_on = False

    # -- what the owning screen calls --

    def set_aside_until_now(self, cause: str) -> None:
        """Set aside every key typed up to now that is not handled yet (they were typed before
        the registrar could see what `cause`, the key or text being handled, led to)."""
        self._set_aside_before = get_time()
        self._set_aside_cause = cause
        pending = typeahead(self.app).pending
        kept = [e for e in pending if e.time > self._set_aside_before]
        for event in pending:
            if event.time <= self._set_aside_before:
                self._report_set_aside(event)
        pending.clear()
        pending.extend(kept)

    # -- keys --

    @property
    def live(self) -> bool:
        """Focused on the active screen and not waiting for anything."""
        return (
            self.is_mounted
            and self.screen is self.app.screen
            and self.screen.focused is self
            and not typeahead(self.app).held
        )

    async def _on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if event.time <= self._set_aside_before:
            self._report_set_aside(event)
            return
        waiting = typeahead(self.app)
        if self._handing_on and self.live:  # the place it opened has closed again
            self._handing_on = False
        if self._handing_on or waiting.held:
            waiting.add(event)
        elif waiting.pending and self.live:
            waiting.add(event)
            await self.drain()
        else:  # typed here, even if the desk has moved on since (it was meant for this field)
            await self._handle(event)

    async def drain(self) -> None:
        """Handle the waiting keys here, oldest first, while this is the place for them."""
        waiting = typeahead(self.app)
        if self.live:
            self._handing_on = False
        while waiting.pending and self.live and not self._handing_on:
            event = waiting.pending.popleft()
            if event.time <= self._set_aside_before:
                self._report_set_aside(event)
                continue
            await self._handle(event)

    async def _handle(self, event: events.Key) -> None:
        """One key, now: a character is inserted; any other key runs the first binding for it
        from this field up through its screen to the app."""
        if event.is_printable and event.character is not None:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(event.character)
            else:
                self.replace(event.character, *selection)
            return
        screen = self.screen
        chain = (
            screen._modal_binding_chain  # the screen's own chain (keymap, consumed keys)
            if screen.focused is self
            else [(node, node._bindings) for node in self.ancestors_with_self]
        )
        for node, bindings in chain:
            for binding in bindings.key_to_bindings.get(event.key, ()):
                if not binding.priority and await self.app.run_action(binding.action, node):
                    moved_to = self.app.screen
                    if moved_to is not screen or screen.focused is not self:
                        # The rest of the burst is for the new place (help and the command
                        # palette too: the app hands each key on only once the one before it
                        # was handled, ui.typeahead.TypeAheadApp).
                        self._handing_on = True
                    return

    def _report_set_aside(self, event: events.Key) -> None:
        if self.on_set_aside is not None:
            self.on_set_aside(self._set_aside_cause, event)

    async def action_submit(self) -> None:
        if self.submit_now is None:
            await super().action_submit()
        else:
            self.submit_now(self.value)

    def on_focus(self) -> None:
        self._handing_on = False
        if typeahead(self.app).pending:
            self.call_later(self.drain)


class TypeAheadScreen(Screen[Any]):
    """A screen whose keys wait for it: keys forwarded to the screen before a widget has focus
    join the type-ahead; with KEYS_AS_BINDINGS (a confirmation, no text field) it takes them as
    its bindings."""

    KEYS_AS_BINDINGS = False

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        typeahead(self.app).add(event)
        await self.take_keys()

    def on_screen_resume(self) -> None:
        if typeahead(self.app).pending:
            self.call_later(self.take_keys)

    async def take_keys(self) -> None:
        waiting = typeahead(self.app)
        if waiting.held or self.app.screen is not self or not waiting.pending:
            return
        focused = self.focused
        if isinstance(focused, KeyedInput):
            await focused.drain()
            return
        if focused is not None or not self.KEYS_AS_BINDINGS:
            return
        while waiting.pending and not waiting.held and self.app.screen is self:
            await self.app._check_bindings(waiting.pending.popleft().key)  # noqa: SLF001

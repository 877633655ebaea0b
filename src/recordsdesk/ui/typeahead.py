"""Keys are handled one after another, each where the keys before it left the focus.

A terminal delivers a fast typist's burst as one batch, and Textual routes every key of it to
the widget focused *at that moment*, before that widget (or the screen a key opens, or the focus
a key moves) has handled the keys before it. Ctrl+N then "Peter" at once: "Peter" is routed to
the search field before Ctrl+N, bubbling up from it, opens the form; the letters are lost.

The app here routes a key only once the one before it has been handled all the way: a marker
follows the key up the path it bubbles along (focused widget, its parents, the screen, the app)
and, once back on the app, releases the next key. A key that opens a screen also holds the keys
behind it until that screen has mounted and focused its first field. Slow typing never waits:
by the time the next key arrives, the marker is long home.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer

#: After this long without word (the marker's widget closed, a screen closed while opening) the
#: next key goes on anyway.
HOLD_LIMIT_SECONDS = 2.0

TypedEvent = events.Key | events.Paste


@dataclass
class KeyHandled(Message):
    """The key `token` was handled everywhere it bubbled: the next one may go."""

    token: int


@dataclass
class ScreenOpened(Message):
    """`screen` has mounted and taken its focus: keys typed meanwhile may go to it."""

    screen: Screen[Any]


@dataclass
class HoldEnded(Message):
    """What `holder` waited for (see TypeAheadApp.hold_keys) is done: keys may go on."""

    holder: int


@dataclass
class _KeyQueue:
    held: list[TypedEvent] = field(default_factory=list)
    in_flight: int | None = None
    in_flight_limit: Timer | None = None
    opening: set[int] = field(default_factory=set)
    #: The newest hold of each holder (see TypeAheadApp.hold_keys).
    holds: dict[int, int] = field(default_factory=dict)
    tokens: itertools.count[int] = field(default_factory=itertools.count)


class TypeAheadApp(App[int]):
    """An app that handles a burst of keys exactly as it would the same keys typed slowly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys = _KeyQueue()

    @property
    def holding_keys(self) -> bool:
        return self._keys.in_flight is not None or bool(self._keys.opening)

    @property
    def keys_pending(self) -> bool:
        """Keys received and not yet handled (tests wait on this before they assert)."""
        return self.holding_keys or bool(self._keys.held)

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        result = super().push_screen(*args, **kwargs)
        self._hold_until_open(self.screen)
        return result

    def switch_screen(self, *args: Any, **kwargs: Any) -> Any:
        result = super().switch_screen(*args, **kwargs)
        self._hold_until_open(self.screen)
        return result

    def _hold_until_open(self, screen: Screen[Any]) -> None:
        """Hold keys until `screen` has handled what is queued for it (compose, mount, resume:
        where it focuses a field); a focus set there reaches the app before the release."""
        if not self.is_running:
            return
        self._keys.opening.add(id(screen))
        screen.call_later(self.post_message, ScreenOpened(screen))
        self.set_timer(HOLD_LIMIT_SECONDS, lambda: self.post_message(ScreenOpened(screen)))

    def hold_keys(self, holder: object) -> None:
        """Hold the keys behind the one being handled until `release_keys(holder)` (at most
        HOLD_LIMIT_SECONDS): for a key whose work ends later, such as Enter on a search whose
        rows are still on their way, so the keys after it land where they would have landed
        typed slowly."""
        if not self.is_running:
            return
        self._keys.opening.add(id(holder))
        # The limit belongs to this hold: an earlier hold's timer must not end a later one.
        hold = self._keys.holds[id(holder)] = next(self._keys.tokens)
        self.set_timer(HOLD_LIMIT_SECONDS, lambda: self._hold_expired(holder, hold))

    def _hold_expired(self, holder: object, hold: int) -> None:
        if self._keys.holds.get(id(holder)) == hold:
            self.release_keys(holder)

    def release_keys(self, holder: object) -> None:
        self.post_message(HoldEnded(id(holder)))

    async def on_hold_ended(self, message: HoldEnded) -> None:
        self._keys.opening.discard(message.holder)
        self._keys.holds.pop(message.holder, None)
        await self._send_next_key()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, TypedEvent) and not event.is_forwarded:
            self._keys.held.append(event)
            await self._send_next_key()
            return
        await super().on_event(event)

    async def _send_next_key(self) -> None:
        if self.holding_keys or not self._keys.held:
            return
        event = self._keys.held.pop(0)
        token = next(self._keys.tokens)
        self._keys.in_flight = token
        await super().on_event(event)  # priority bindings, else on to the focused widget
        self._follow(self.focused or self.screen, token, event)
        self._keys.in_flight_limit = self.set_timer(
            HOLD_LIMIT_SECONDS, lambda: self.post_message(KeyHandled(token))
        )

    def _follow(self, node: DOMNode | None, token: int, event: TypedEvent) -> None:
        """Send the marker one step up the path the key bubbles along, behind the key; once a
        widget has stopped the key (an input took the letter), straight home."""
        if node is None or node is self or event._stop_propagation or not event.is_forwarded:
            self.post_message(KeyHandled(token))
            return
        parent = node._parent
        step = parent if isinstance(parent, DOMNode) else None
        if not (
            isinstance(node, MessagePump) and node.call_later(self._follow, step, token, event)
        ):
            self._follow(step, token, event)

    def on_key_handled(self, message: KeyHandled) -> None:
        """The key is home; what its handling asked of the app (a focus change is a callback
        queued on the app) goes first, then the next key."""
        if message.token == self._keys.in_flight:
            if self._keys.in_flight_limit is not None:
                self._keys.in_flight_limit.stop()
            self.call_later(self._key_done, message.token)

    async def _key_done(self, token: int) -> None:
        if token == self._keys.in_flight:
            self._keys.in_flight = None
            await self._send_next_key()

    async def on_screen_opened(self, message: ScreenOpened) -> None:
        self._keys.opening.discard(id(message.screen))
        await self._send_next_key()

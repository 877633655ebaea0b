"""Form fields that keep up with a fast typist.

With a plain Input, Enter runs the submit action when the Input gets to the key, after the keys
typed behind it in the same burst were already routed to it: "A Enter B" in one burst puts "AB"
in the first field. `FormInput` moves the focus on as soon as the app routes the Enter (so the
keys behind it go to the next field) and reports the field's value once the keys typed before
the Enter are in it (`FormInput.Entered`, bubbling to the form). `fields_settled` waits until
every field of a form has taken the keys routed to it, so a save reads what was typed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input


class FormInput(Input):
    """One field of a form: Enter moves to the next field of the form at once (wrapping from
    the last to the first; a form's buttons count as fields) and posts `Entered`."""

    BINDINGS = [Binding("enter", "advance", "Next field", show=False, priority=True)]

    @dataclass
    class Entered(Message):
        """Enter was pressed in `input`; `value` is what the field held at that key."""

        input: FormInput
        value: str

        @property
        def control(self) -> FormInput:
            return self.input

    def action_advance(self) -> None:
        """Runs when the app routes the Enter, before this field has taken the keys queued
        for it: move the focus now, report the value once those keys are in."""
        target = next_field(self)
        if target is not None:
            self.screen.set_focus(target)
        self.call_later(self._report_entered)

    def _report_entered(self) -> None:
        self.post_message(self.Entered(self, self.value))


def form_fields(screen: DOMNode) -> list[Widget]:
    """The widgets Enter moves between, in focus order: inputs and buttons that can take focus
    (scrolling containers and tables are left out, so letters never fall through to commands)."""
    chain = screen.screen.focus_chain if isinstance(screen, Widget) else []
    return [w for w in chain if isinstance(w, Input | Button)]


def next_field(field: Widget) -> Widget | None:
    """The form field after `field`, the first after the last; None when it is the only one."""
    fields = form_fields(field)
    if field not in fields or len(fields) < 2:
        return None
    return fields[(fields.index(field) + 1) % len(fields)]


async def fields_settled(node: DOMNode) -> None:
    """Until every input under `node` has handled the keys already routed to it."""
    loop = asyncio.get_running_loop()
    waiting: list[asyncio.Future[None]] = []
    for field in node.query(Input):
        done: asyncio.Future[None] = loop.create_future()
        if field.call_later(done.set_result, None):
            waiting.append(done)
    if waiting:
        await asyncio.wait(waiting, timeout=2.0)

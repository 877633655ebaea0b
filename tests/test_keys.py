"""The burst helper reproduces what a terminal does to fast typing: every key is queued before
any is handled. A plain Textual Input shows it (its Enter runs after the keys behind it are
inserted), and KeyedInput, which grade entry types into, does not."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input

from recordsdesk.ui.widgets.typeahead import KeyedInput
from tests.keys import burst, keys_of


class OneField(App[None]):
    def __init__(self, keyed: bool) -> None:
        super().__init__()
        self.keyed = keyed
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        if self.keyed:
            field = KeyedInput()
            field.submit_now = self._take
            yield field
        else:
            yield Input()

    def _take(self, value: str) -> None:
        self.submitted.append(value)
        self.query_one(KeyedInput).value = ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.submitted.append(event.value)
        event.input.value = ""


def test_key_names_and_text_parts() -> None:
    assert keys_of("B+", "enter", "+", "ctrl+z", "f5", "a") == [
        "B", "+", "enter", "+", "ctrl+z", "f5", "a",
    ]  # fmt: skip


async def test_a_burst_shows_the_plain_inputs_late_enter() -> None:
    app = OneField(keyed=False)
    async with app.run_test() as pilot:
        await burst(pilot, "A", "enter", "B+", "enter", "enter", "C", "enter")
    assert app.submitted == ["AB+C"] * 4


async def test_the_same_keys_pressed_one_by_one_do_not() -> None:
    app = OneField(keyed=False)
    async with app.run_test() as pilot:
        await pilot.press("A", "enter", "B", "+", "enter", "enter", "C", "enter")
    assert app.submitted == ["A", "B+", "", "C"]


async def test_a_keyed_input_closes_each_value_at_its_enter() -> None:
    app = OneField(keyed=True)
    async with app.run_test() as pilot:
        await burst(pilot, "A", "enter", "B+", "backspace", "-", "enter", "enter", "C", "enter")
    assert app.submitted == ["A", "B-", "", "C"]

"""The desk's screens, widgets and app found by name, wherever their modules live.

Tests about what the desk shows (its bindings, its help) name classes, not module paths: every
module under `recordsdesk.ui` is imported and the classes defined there are indexed by name, so
moving a screen into another package does not touch these tests.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from functools import cache
from typing import Any

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

import recordsdesk.ui


@cache
def _defined() -> dict[str, list[Any]]:
    """Every class and function defined in a module of `recordsdesk.ui`, by name."""
    found: dict[str, list[Any]] = {}
    prefix = recordsdesk.ui.__name__ + "."
    for info in pkgutil.walk_packages(recordsdesk.ui.__path__, prefix):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isclass(value) or inspect.isfunction(value)) and (
                value.__module__ == module.__name__
            ):
                found.setdefault(name, []).append(value)
    return found


def desk_object(name: str) -> Any:
    """The one class or function of the desk's UI called `name` (fails if none or several)."""
    found = _defined().get(name, [])
    assert len(found) == 1, f"{name}: {len(found)} definitions in recordsdesk.ui"
    return found[0]


def desk_class(name: str) -> type[DOMNode]:
    """The desk's app, screen or widget class called `name`."""
    found = desk_object(name)
    assert inspect.isclass(found) and issubclass(found, DOMNode), name
    return found


def desk_nodes() -> list[type[DOMNode]]:
    """Every app, screen and widget class the desk defines."""
    return [
        value
        for values in _defined().values()
        for value in values
        if inspect.isclass(value) and issubclass(value, DOMNode)
    ]


def bound_keys(node_type: type[DOMNode], *, shown_only: bool = False) -> set[str]:
    """The keys the desk binds on a class (its own and inherited desk bindings, as F1 lists
    them); `shown_only` keeps those its footer shows."""
    key_bindings: Callable[[type[object]], list[Binding]] = desk_object("key_bindings")
    return {b.key for b in key_bindings(node_type) if b.show or not shown_only}


def declared_keys(node_type: type[DOMNode]) -> set[str]:
    """Every key a desk class declares in its own BINDINGS, shown, described or not."""
    declared: list[BindingType] = node_type.__dict__.get("BINDINGS", [])
    return {b.key for b in Binding.make_bindings(declared)}

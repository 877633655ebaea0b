"""Where a hot path's time goes: one more run of a group under cProfile, summed by layer.

The harness's table says whether a goal is met; when it is not, the issue asks for the gap with
a profile of where the time goes. A flat list of functions is hard to read across a run, so
the time is summed into the layers a reader acts on: SQLite executing the desk's statements,
SQLAlchemy, each package of the desk, the standard library. A C function's time (SQLite's
`execute`, `json.dumps`) is charged to the layer of the code that called it, which is what
separates the desk's SQL from the raw baselines the same group runs beside it.
"""

from __future__ import annotations

import cProfile
import pstats
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

Func = tuple[str, int, str]

BENCH = str(Path(__file__).resolve().parent)
#: Layers shown in this order, then the desk's packages by their time.
SQLITE = "SQLite running the desk's statements"
RAW = "the raw baselines and the harness (not the desk)"


def layer(func: Func) -> str:
    """The layer of a Python function, by the file it lives in."""
    filename = func[0].replace("\\", "/")
    if filename.startswith(BENCH):
        return RAW
    if "/recordsdesk/" in filename:
        parts = filename.split("/recordsdesk/", 1)[1].split("/")
        if parts[0] in ("services", "ui") and len(parts) > 2:
            return f"recordsdesk.{parts[0]}.{parts[1]}"
        return "recordsdesk." + parts[0].removesuffix(".py")
    for package in ("sqlalchemy", "sqlmodel", "textual", "rich", "psycopg", "lxml", "fpdf"):
        if f"/{package}/" in filename:
            return package
    return "Python's standard library and others"


def module_of(func: Func) -> str:
    """The dotted module of one of the desk's functions (`services.people.record`)."""
    inside = func[0].replace("\\", "/").split("/recordsdesk/", 1)[1]
    return inside.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def builtin_layer(func: Func, callers: dict[Func, Any]) -> dict[str, float]:
    """A C function's own time split by the layer of each caller (SQLite's time by whom)."""
    sqlite = "sqlite3" in func[2]
    out: dict[str, float] = defaultdict(float)
    for caller, edge in callers.items():
        owner = layer(caller) if caller[0] != "~" else "Python's standard library and others"
        if sqlite and owner != RAW:
            owner = SQLITE
        out[owner] += edge[2]
    return out


def summarize(profile: cProfile.Profile, top: int = 6) -> tuple[float, list[tuple[str, float]]]:
    """The desk's seconds in the run and its layers with their seconds, largest first."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    layers: dict[str, float] = defaultdict(float)
    for func, (_cc, _nc, own, _cum, callers) in stats.items():
        if func[0] == "~":
            if callers:
                for name, seconds in builtin_layer(func, callers).items():
                    layers[name] += seconds
            else:
                layers["Python's standard library and others"] += own
        else:
            layers[layer(func)] += own
    layers.pop(RAW, None)
    total = sum(layers.values())
    ranked = sorted(layers.items(), key=lambda item: -item[1])
    shown = ranked[:top]
    rest = sum(seconds for _name, seconds in ranked[top:])
    if rest:
        shown.append(("everything else", rest))
    return total, shown


def hottest(profile: cProfile.Profile, count: int = 5) -> list[tuple[str, float]]:
    """The desk's own functions (not libraries) with the most cumulative time."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    mine = [
        (func, cum)
        for func, (_cc, _nc, _own, cum, _callers) in stats.items()
        if layer(func).startswith("recordsdesk.")
    ]
    mine.sort(key=lambda item: -item[1])
    picked: list[tuple[str, float]] = []
    for func, cum in mine:
        name = f"{module_of(func)}.{func[2]}"
        if func[2].startswith("<") or any(name == seen for seen, _ in picked):
            continue
        picked.append((name, cum))
        if len(picked) == count:
            break
    return picked


def profile(group: str, call: Callable[[], Any]) -> list[str]:
    """Run `call` once under cProfile and describe where the desk's time went, as text lines."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        call()
    finally:
        profiler.disable()
    total, layers = summarize(profiler)
    if total <= 0:
        return [f"- **{group}**: nothing of the desk's ran in this process."]
    shares = ", ".join(f"{name} {seconds / total:.0%}" for name, seconds in layers)
    deepest = "; ".join(f"`{name}` {seconds:.2f} s" for name, seconds in hottest(profiler))
    return [
        f"- **{group}** ({total:.2f} s of the desk's code under the profiler): {shares}.",
        f"  Longest calls (cumulative): {deepest or 'none'}.",
    ]

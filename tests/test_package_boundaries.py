"""The parts of the office keep to their own rooms.

Each part of `services/` and `ui/screens/` is a package whose `__init__` names, in `__all__`, the
modules the rest of the desk may use; code outside a part imports only those, nothing reaches
another module's private (`_underscored`) names, services and screens use the same part names,
and a module's name never repeats its package's. Which part may use which is said by the
import-linter contracts in pyproject.toml (tests/test_import_contracts.py runs them).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "recordsdesk"
#: Where the parts of the office live, by dotted name.
HOUSES = {
    "recordsdesk.services": PACKAGE / "services",
    "recordsdesk.ui.screens": PACKAGE / "ui" / "screens",
}


@dataclass(frozen=True)
class Use:
    """One name one module takes from another: `module` is the dotted module it comes from."""

    importer: str
    path: Path
    line: int
    module: str
    name: str | None


def dotted(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def is_module(name: str) -> bool:
    """Whether a dotted recordsdesk name is a module or package (not a name inside one)."""
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def uses(path: Path, importer: str, text: str) -> Iterator[Use]:
    """Every recordsdesk import in a file, those inside functions too."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "recordsdesk":
                for alias in node.names:
                    yield Use(importer, path, node.lineno, node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "recordsdesk":
                    yield Use(importer, path, node.lineno, alias.name, None)


def parts() -> dict[str, Path]:
    """Every part of the office: the packages directly under services/ and ui/screens/."""
    found: dict[str, Path] = {}
    for house, folder in HOUSES.items():
        for init in sorted(folder.glob("*/__init__.py")):
            found[f"{house}.{init.parent.name}"] = init.parent
    return found


def part_of(name: str) -> str | None:
    for house in HOUSES:
        if name.startswith(f"{house}."):
            head = name[len(house) + 1 :].split(".")[0]
            candidate = f"{house}.{head}"
            if candidate in parts():
                return candidate
    return None


def declared(part: str) -> list[str]:
    """A part's `__all__`, read without importing it (importing would load the database layer)."""
    init = parts()[part] / "__init__.py"
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list), f"{init}: __all__ must be a list of module names"
            return [str(v) for v in value]
    raise AssertionError(f"{init}: no __all__ naming what the rest of the desk may use")


def test_the_desk_has_its_parts() -> None:
    names = {p.rsplit(".", 1)[1] for p in parts() if p.startswith("recordsdesk.services.")}
    assert {"people", "admissions", "registration", "grades", "transcripts", "lookup"} <= names
    assert {"access", "audit", "catalog", "interchange", "reports", "demo", "shared"} <= names


def defined_in(init: Path) -> set[str]:
    """The names a part's `__init__` binds itself (by definition or import)."""
    names: set[str] = set()
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def test_every_part_says_what_it_is_and_what_it_offers() -> None:
    for part, folder in parts().items():
        init = folder / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init}: say in a sentence what this part of the office is"
        for name in declared(part):
            assert is_module(f"{part}.{name}") or name in defined_in(init), (
                f"{init}: __all__ names {name!r}, neither a module of the part nor defined there"
            )


def boundary_problems(path: Path, importer: str, text: str) -> list[str]:
    """Uses, in one file, of what a part does not offer (`__all__`) by code outside that part."""
    wrong: list[str] = []
    for use in uses(path, importer, text):
        target = use.module
        if use.name and is_module(f"{use.module}.{use.name}"):
            target = f"{use.module}.{use.name}"
        part = part_of(target)
        if part is None or part_of(use.importer) == part:
            continue
        if target == part:  # from the part itself: a name its __init__ offers
            if use.name is not None and use.name not in declared(part):
                wrong.append(f"{path}:{use.line}: {part}.{use.name} is not in its __all__")
            continue
        module = target[len(part) + 1 :].split(".")[0]
        if module not in declared(part):
            wrong.append(f"{path}:{use.line}: {target} is not in {part}.__all__")
    return wrong


def test_other_parts_use_only_what_a_part_offers() -> None:
    wrong: list[str] = []
    for path in source_files():
        wrong += boundary_problems(path, dotted(path), path.read_text(encoding="utf-8"))
    assert wrong == []


def test_the_boundary_check_sees_a_use_of_what_is_not_offered() -> None:
    """The check must catch what it is for: here the app reaching a lookup module kept inside."""
    part = "recordsdesk.services.lookup"
    kept = sorted(
        p.stem for p in parts()[part].glob("*.py") if p.stem not in [*declared(part), "__init__"]
    )
    assert kept, "every lookup module is offered: the check would have nothing to catch here"
    text = f"from {part} import {kept[0]}\nimport {part}.{kept[0]}\n"
    app = PACKAGE / "ui" / "app.py"
    assert len(boundary_problems(app, "recordsdesk.ui.app", text)) == 2
    assert boundary_problems(app, f"{part}.search", text) == []


def test_no_module_takes_another_modules_private_names() -> None:
    wrong: list[str] = []
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()  # local names bound to recordsdesk modules
        for use in uses(path, dotted(path), path.read_text(encoding="utf-8")):
            if use.name and use.name.startswith("_") and not use.name.startswith("__"):
                if not is_module(f"{use.module}.{use.name}"):
                    wrong.append(f"{path}:{use.line}: imports {use.module}.{use.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if is_module(f"{node.module}.{alias.name}"):
                        modules.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                wrong.append(f"{path}:{node.lineno}: uses {node.value.id}.{node.attr}")
    assert wrong == []


def test_screens_are_split_into_the_same_parts_as_services() -> None:
    services = {p.rsplit(".", 1)[1] for p in parts() if p.startswith("recordsdesk.services.")}
    screens = {p.rsplit(".", 1)[1] for p in parts() if p.startswith("recordsdesk.ui.screens.")}
    assert screens <= services, f"screens without a service part: {sorted(screens - services)}"


def test_no_module_name_repeats_its_package() -> None:
    wrong = []
    for folder in parts().values():
        for module in folder.rglob("*.py"):
            package = module.parent.name
            if module.stem.startswith(f"{package}_") or module.stem == package:
                wrong.append(str(module))
    assert wrong == []


def test_the_architecture_page_maps_every_part() -> None:
    """docs/architecture.md is the newcomer's map: it must name every part and every module of
    each, and every source path it mentions must exist."""
    page = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in page.splitlines()
        if line.startswith("| `")
    }
    missing: list[str] = []
    for part, folder in parts().items():
        name = part.rsplit(".", 1)[1]
        if name not in rows:
            missing.append(f"part {name}")
            continue
        if name in {"demo", "reports"}:  # many modules, described as a whole
            continue
        for module in folder.iterdir():
            stem = module.stem if module.suffix == ".py" else module.name
            if stem.startswith("__") or module.suffix not in {".py", ""}:
                continue
            if f"`{stem}`" not in rows[name] and f"`{stem}/`" not in rows[name]:
                missing.append(f"{part}.{stem}")
    for path in re.findall(r"`((?:services|ui|commands|models|migrations)/[\w/]+(?:\.py)?)`", page):
        if not (PACKAGE / path).exists():
            missing.append(f"path {path}")
    assert missing == []

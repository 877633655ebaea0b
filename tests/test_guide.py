"""The README and the guide (docs/guide/) cannot drift from the desk.

Every `recordsdesk ...` command line they name is parsed by the command's real argparse parsers;
every key a key table gives a screen is bound on that screen (or the app), and every key a
screen's footer shows is in the guide's tables; every `Ctrl+X` and `Fn` anywhere in the text is
bound somewhere in the desk; every relative link (and #anchor) leads to a file (and heading) that
exists; the README stays short and opens with the two set-up commands. Screens are found by class
name (tests/desk_classes.py), so moving modules does not touch this file.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import re
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.desk_classes import bound_keys, declared_keys, desk_class, desk_nodes

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "guide"
PAGES = [README, *sorted(GUIDE.glob("*.md"))]
SET_UP = [
    "python3 -m pip install . && python3 -m recordsdesk demo",
    'python3 -m pip install -e ".[test]" && python3 -m pytest',
]

#: A key table's "where" -> the class whose bindings the row describes ("anywhere": the app).
WHERE = {
    "anywhere": "RecordsDeskApp",
    "Sign in": "SignInScreen",
    "Lookup": "LookupScreen",
    "record": "StudentScreen",
    "Catalog": "CatalogScreen",
    "Terms": "TermsScreen",
    "Audit": "AuditScreen",
    "New student": "IntakeScreen",
    "Duplicate check": "DuplicateModal",
    "Admission": "AdmissionScreen",
    "Holds": "HoldsScreen",
    "Place hold": "PlaceHoldModal",
    "Departure": "DepartureScreen",
    "Edit": "ProfileEditScreen",
    "Edit conflict": "ConflictModal",
    "Registration": "RegistrationScreen",
    "Waitlist question": "WaitlistModal",
    "Grading basis": "BasisModal",
    "Grade entry": "GradeEntryScreen",
    "Roster": "RosterScreen",
    "Import marks": "ImportModal",
    "Post": "ConfirmPostModal",
    "Transcript": "TranscriptScreen",
    "Reports": "ReportsScreen",
    "Imports": "ImportsScreen",
    "Staff accounts": "StaffScreen",
    "Exercises": "PracticePanel",
    "Consents": "ConsentsScreen",
    "Add consent": "AddConsentModal",
    "Genuine?": "VerifyCodeModal",
    "Enrollment letter": "LetterScreen",
    "Release letter": "LetterReleaseModal",
    "Received": "ReceivedScreen",
    "Evaluate": "EvaluateModal",
}
#: Keys Textual's own widgets answer on any screen: Enter submits an input or picks a row, the
#: arrows move in a list, Tab moves the focus. A guide may name them without a desk binding.
WIDGET_KEYS = {"enter", "up", "down", "tab", "shift+tab"}

WORDS = {
    "↑": "up",
    "↓": "down",
    "esc": "escape",
    "enter": "enter",
    "pgup": "pageup",
    "pgdn": "pagedown",
    "space": "space",
}
KEY = re.compile(
    r"^(f\d{1,2}|ctrl\+[a-z]|shift\+tab|tab|enter|escape|up|down|pageup|pagedown|space|[a-z0-9])$"
)


def keys_in(text: str) -> set[str]:
    """`F2 / F3`, `↑ ↓, Enter`, `1-7, t, Ctrl+R` -> Textual key names; phrases are not keys."""
    found: set[str] = set()
    for part in re.split(r"[,/]", text):
        part = part.strip().lower()
        if re.fullmatch(r"\d-\d", part):
            found |= {str(n) for n in range(int(part[0]), int(part[2]) + 1)}
            continue
        words = part.split()
        if len(words) > 1 and not all(w in WORDS for w in words):
            continue  # "type a mark", "Enter on an empty box": described, not a key
        for word in words:
            key = WORDS.get(word, word)
            if KEY.match(key):
                found.add(key)
    return found


# -- reading the pages ---------------------------------------------------------------------------


def tables(text: str) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Each Markdown table as (header cells, body rows); `\\|` inside a cell stays in it."""
    block: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            block.append([c.strip() for c in cells])
            continue
        if len(block) >= 2:
            yield block[0], block[2:]
        block = []


def prose(text: str) -> str:
    """The text outside fenced code blocks."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


@dataclass(frozen=True)
class KeyRow:
    page: str
    keys: frozenset[str]
    where: str


def key_rows(page: Path) -> list[KeyRow]:
    """Every row of the page's `| key | where | what |` tables, one per place it names."""
    rows = []
    for header, body in tables(page.read_text(encoding="utf-8")):
        if header[:2] != ["key", "where"]:
            continue
        for cells in body:
            for where in cells[1].split(" / "):
                rows.append(KeyRow(page.name, frozenset(keys_in(cells[0])), where.strip()))
    return rows


def guide_key_rows() -> list[KeyRow]:
    return [row for page in PAGES if page != README for row in key_rows(page)]


# -- commands ------------------------------------------------------------------------------------

COMMAND_START = re.compile(r"^(?:python3 -m )?recordsdesk(?:\s|$)")
ENV_PREFIX = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=(?:\$\([^)]*\)|\S+)\s+)+")
#: A synopsis placeholder (NUMBER, FILE.csv, N) and the value it stands for when parsed.
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*(\.[a-z]+)?$")
NUMBERS = {"N": "5", "S": "7", "ID": "5"}


def command_lines(page: Path) -> list[str]:
    """Every `recordsdesk ...` line of a page: inline code spans and lines of code blocks."""
    text = page.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = ENV_PREFIX.sub("", part.split(" #")[0].strip())
                if COMMAND_START.match(part):
                    found.append(part)
    for span in re.findall(r"`([^`\n]+)`", prose(text)):
        span = span.replace("\\|", "|").strip()
        if COMMAND_START.match(span):
            found.append(span)
    return found


def _items(tokens: list[str]) -> list[Any]:
    """`[--a X] [--b \\| --c]` -> a tree: a str, or a list of alternatives (lists of items)."""
    stack: list[list[list[Any]]] = [[[]]]
    for token in tokens:
        if token == "[":
            stack.append([[]])
        elif token == "]":
            alternatives = stack.pop()
            stack[-1][-1].append(alternatives)
        elif token == "|":
            stack[-1].append([])
        else:
            stack[-1][-1].append(token)
    assert len(stack) == 1 and len(stack[0]) == 1, f"unbalanced synopsis: {tokens}"
    return stack[0][0]


def _expand(items: list[Any]) -> list[list[str]]:
    """Every argv a synopsis allows: each optional group left out or given in each of its forms,
    each `a|b` word in each form, each placeholder as a sample value."""
    choices: list[list[list[str]]] = []
    for item in items:
        if isinstance(item, list):  # an optional group: absent, or one of its alternatives
            choices.append([[], *(argv for alt in item for argv in _expand(alt))])
        elif "|" in item:
            choices.append([[word] for word in item.split("|")])
        elif PLACEHOLDER.match(item):
            choices.append([[NUMBERS.get(item, item.lower())]])
        else:
            choices.append([[item]])
    return [sum(combo, []) for combo in itertools.product(*choices)]


def argvs(line: str) -> list[list[str]]:
    """The argument lists a documented command line stands for (after `recordsdesk`)."""
    spaced = re.sub(r"(\[|\])", r" \1 ", line)
    tokens = shlex.split(spaced)
    tokens = tokens[3:] if tokens[0] == "python3" else tokens[1:]
    return _expand(_items(tokens))


def build_parser() -> Any:
    """The parser of the command pyproject.toml installs as `recordsdesk`."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module_name, _ = scripts["recordsdesk"].split(":")
    return importlib.import_module(module_name).build_parser()


def parse_error(argv: list[str], parser: Any = None) -> str | None:
    """None when the parsers accept `argv` (`--help` and `--version` included), else what
    argparse said. Parsing leaves a parser as it was, so one built parser can take every
    argv (building one costs fifty times a parse)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            (parser or build_parser()).parse_args(argv)
        except SystemExit as exc:
            return None if exc.code == 0 else err.getvalue().strip() or f"exit {exc.code}"
    return None


def all_commands() -> list[tuple[str, str]]:
    return [(page.name, line) for page in PAGES for line in command_lines(page)]


# -- links ---------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {
        slug(line.lstrip("#"))
        for line in prose(page.read_text(encoding="utf-8")).splitlines()
        if line.startswith("#")
    }


def links(page: Path) -> list[str]:
    """Every link and image target of a page that is not a web address."""
    targets = re.findall(r"\]\(([^)\s]+)\)", prose(page.read_text(encoding="utf-8")))
    return [t for t in targets if not re.match(r"^[a-z]+:", t)]


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page):
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.is_file():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(target)
    return broken


# -- the tests -----------------------------------------------------------------------------------


def test_the_guide_has_its_pages() -> None:
    names = {page.name for page in PAGES if page != README}
    assert {
        "README.md",
        "counter.md",
        "admissions.md",
        "registration.md",
        "grades.md",
        "transcripts.md",
        "reports.md",
        "imports-exports.md",
        "staff-and-security.md",
        "settings.md",
        "postgresql.md",
    } <= names


def test_the_readme_is_short_and_opens_with_the_two_set_up_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    assert [block.strip() for block in blocks[:2]] == SET_UP
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]"' in ci and "python3 -m pytest\n" in ci  # CI runs it


def test_every_command_line_parses() -> None:
    commands = all_commands()
    assert len(commands) >= 40  # the guide's tables are read
    parser = build_parser()
    failures = [
        f"{page}: `{line}` as {argv}: {error.splitlines()[-1]}"
        for page, line in commands
        for argv in argvs(line)
        if (error := parse_error(argv, parser)) is not None
    ]
    assert not failures, "\n".join(failures)


def test_every_key_a_table_gives_a_screen_is_bound_there() -> None:
    app_keys = bound_keys(desk_class(WHERE["anywhere"]))
    problems = []
    for page in PAGES:
        for row in key_rows(page):
            if row.where not in WHERE:
                problems.append(f"{row.page}: unknown place {row.where!r}: add it to WHERE")
                continue
            if row.where == "anywhere":
                allowed = app_keys
            else:
                allowed = bound_keys(desk_class(WHERE[row.where])) | app_keys | WIDGET_KEYS
            if missing := row.keys - allowed:
                problems.append(f"{row.page}: {row.where}: not bound: {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_the_guide_names_every_key_of_the_app_and_every_footer_key() -> None:
    documented: dict[str, set[str]] = {}
    for row in guide_key_rows():
        documented.setdefault(row.where, set()).update(row.keys)
    assert documented.pop("anywhere") == bound_keys(desk_class(WHERE["anywhere"]))
    missing = {
        where: sorted(bound_keys(desk_class(WHERE[where]), shown_only=True) - keys)
        for where, keys in documented.items()
        if where in WHERE
    }
    assert not {where: keys for where, keys in missing.items() if keys}


def test_every_function_and_control_key_in_the_text_is_bound_somewhere() -> None:
    desk_keys = set().union(*(declared_keys(node) for node in desk_nodes()))
    problems = []
    for page in PAGES:
        text = prose(page.read_text(encoding="utf-8"))
        named = re.findall(r"(?<![\w+])(?:Ctrl\+[A-Z]|F\d{1,2})(?![\w+])", text)
        bold = [key for words in re.findall(r"\*\*([^*]+)\*\*", text) for key in keys_in(words)]
        for key in {*(k.lower() for k in named), *bold}:
            if key not in desk_keys | WIDGET_KEYS:
                problems.append(f"{page.name}: {key}")
    assert not problems, problems


def test_every_relative_link_resolves() -> None:
    broken = {page.name: found for page in PAGES if (found := broken_links(page))}
    assert not broken


# -- guard the guards: the checks fail on a command, key or link that does not exist -------------


def test_the_guards_catch_what_does_not_exist(tmp_path: Path) -> None:
    assert parse_error(["transcript", "x", "--format", "docx"]) is not None
    assert parse_error(["user", "rename", "x"]) is not None
    assert parse_error(["report", "--colour"]) is not None
    assert argvs("recordsdesk demo [--students N] [--seed S]") == [
        ["demo"],
        ["demo", "--seed", "7"],
        ["demo", "--students", "5"],
        ["demo", "--students", "5", "--seed", "7"],
    ]
    assert len(argvs("recordsdesk user add NAME --role clerk|registrar|admin")) == 3
    assert keys_in("↑ ↓, Enter") == {"up", "down", "enter"}
    assert keys_in("F5 / F6 / F7") == {"f5", "f6", "f7"}
    assert keys_in("1-7, t, Ctrl+R") == {*"1234567", "t", "ctrl+r"}
    assert keys_in("type a mark, Enter") == {"enter"}
    assert "ctrl+y" not in bound_keys(desk_class(WHERE["record"]))
    page = tmp_path / "page.md"
    page.write_text(
        "Run `recordsdesk transcript NUMBER --colour` ([x](missing.md), [y](page.md#nowhere)).\n"
        "\n| key | where | what |\n| --- | --- | --- |\n| Ctrl+Y | record | nothing |\n",
        encoding="utf-8",
    )
    assert command_lines(page) == ["recordsdesk transcript NUMBER --colour"]
    assert parse_error(argvs(command_lines(page)[0])[0]) is not None
    assert broken_links(page) == ["missing.md", "page.md#nowhere"]
    assert key_rows(page) == [KeyRow("page.md", frozenset({"ctrl+y"}), "record")]

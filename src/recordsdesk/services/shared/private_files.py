"""Writing files safely: owner-only (0600) files in owner-only (0700) folders, never a silent
overwrite, and names built from data kept inside their folder.

Everything the desk writes (transcripts, report CSVs, exports, backups) holds personal data, so
it must not be readable by other users whatever the umask, and a copy must never replace
another file unless the person asked for that. Every failure is a ValidationFailed naming the
option or field, so the CLI prints one line and the desk shows one message.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from recordsdesk.services.shared.errors import ValidationFailed

FILE_MODE = 0o600
FOLDER_MODE = 0o700
MAX_NAME = 120
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class OutputExists(ValidationFailed):
    """The target file exists and overwriting was not asked for; the desk asks to confirm."""

    def __init__(self, field: str, path: Path) -> None:
        # Command-line options are named `--x` or in capitals; they replace with --force.
        how = (
            "add --force to replace it"
            if field.startswith("-") or field.isupper()
            else ("choose another name or confirm the overwrite")
        )
        super().__init__(field, f"{path} already exists; {how}.")
        self.path = path


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def private_dir(path: Path, *, field: str = "folder") -> Path:
    """Make `path` and any missing parents as 0700 folders (umask-independent: each folder the
    desk creates is chmod-ed). Folders that exist already are left as they are, except that
    they must be folders. Raises ValidationFailed naming `field`."""
    path = path.expanduser()
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ValidationFailed(field, f"{probe} is a file, not a folder.")
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made meanwhile by another desk: it is not ours to change
            continue
        except OSError as exc:
            reason = _reason(exc)
            raise ValidationFailed(field, f"cannot create the folder {path}: {reason}.") from exc
        os.chmod(folder, FOLDER_MODE)
    return path


def check_target(path: Path, *, overwrite: bool = False, field: str = "output") -> Path:
    """Refuse a target that cannot take a file before any work is done: a folder, an existing
    file without `overwrite` (OutputExists), a parent that is a file."""
    path = path.expanduser()
    if not str(path).strip() or path.name in ("", ".", ".."):
        raise ValidationFailed(field, "give a file name to write to.")
    if path.is_dir():
        raise ValidationFailed(field, f"{path} is a folder; give a file name.")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputExists(field, path)
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValidationFailed(field, f"{parent} is a file, not a folder.")
            break
    return path


def write_private(
    path: Path | str,
    data: bytes,
    *,
    overwrite: bool = False,
    create_folders: bool = True,
    field: str = "output",
) -> Path:
    """Write `data` to `path` as a 0600 file, creating missing folders as 0700. The data goes
    to a hidden file in the same folder first and is linked (no overwrite) or renamed
    (overwrite) into place, so a reader never sees half a file and an existing file is never
    replaced unless `overwrite`. A missing folder is made (0700) only with `create_folders`
    (the desk's own folders), else refused: a mistyped `-o` folder is not silently created.
    Raises OutputExists or ValidationFailed naming `field`."""
    target = check_target(Path(path), overwrite=overwrite, field=field)
    if not create_folders and not target.parent.is_dir():
        raise ValidationFailed(field, f"the folder {target.parent} does not exist.")
    private_dir(target.parent, field=field)
    try:
        fd, partial_name = tempfile.mkstemp(prefix=f".{target.name[:40]}.", dir=target.parent)
    except OSError as exc:
        raise ValidationFailed(field, f"cannot write {target}: {_reason(exc)}.") from exc
    partial = Path(partial_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(partial, target)
        else:
            try:
                os.link(partial, target)
            except FileExistsError as exc:
                raise OutputExists(field, target) from exc
            except OSError:  # a file system without hard links: exclusive create instead
                _exclusive_copy(partial, target, field)
    except OSError as exc:
        raise ValidationFailed(field, f"cannot write {target}: {_reason(exc)}.") from exc
    finally:
        partial.unlink(missing_ok=True)
    return target


def _exclusive_copy(source: Path, target: Path, field: str) -> None:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError as exc:
        raise OutputExists(field, target) from exc
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(source.read_bytes())
        os.fsync(handle.fileno())


def safe_file_name(text: str, *, fallback: str = "file") -> str:
    """A file name made from data: letters, digits, dot, dash and underscore only; no leading
    dot, no path separators, at most MAX_NAME characters."""
    name = _UNSAFE_NAME.sub("_", text).strip("._")
    return name[:MAX_NAME] or fallback


def confined(folder: Path, name: str, *, field: str = "file") -> Path:
    """`folder / safe_file_name(name)`, checked to stay inside `folder`."""
    folder = folder.expanduser()
    path = folder / safe_file_name(name)
    if path.resolve().parent != folder.resolve():
        raise ValidationFailed(field, f"{name!r} would leave the folder {folder}.")
    return path

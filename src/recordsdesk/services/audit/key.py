"""The audit chain's secret key, kept outside the database.

With a plain hash anyone who can write to the database can rewrite the log and recompute every
later hash; keyed with HMAC-SHA256 they cannot without this key. The key is 32 random bytes in
a file readable by its owner only: `RECORDSDESK_AUDIT_KEY_FILE` names it, else
`<data dir>/keys/audit.key` (a 0700 folder), created at first use. Every desk on one database
must hold the same key file; the chain records the key's id (a hash of the key, never the key)
so a desk with another key is refused rather than forking the chain.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from recordsdesk.config import DATA_DIR_ENV, data_dir
from recordsdesk.services.shared.errors import RecordsError

KEY_FILE_ENV = "RECORDSDESK_AUDIT_KEY_FILE"
_KEY_BYTES = 32
_lock = threading.Lock()
_loaded: dict[Path, AuditKey] = {}
_by_env: dict[tuple[str | None, str | None], AuditKey] = {}


class AuditKeyProblem(RecordsError):
    """The audit key cannot be read, or is not the one this database's chain is keyed with."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes
    key_id: str  # 16 hex digits naming the key in the chain (not secret)
    path: Path


def key_path() -> Path:
    """Where this desk's audit key is (or will be created)."""
    named = os.environ.get(KEY_FILE_ENV, "").strip()
    return Path(named).expanduser() if named else data_dir() / "keys" / "audit.key"


def key_id_of(secret: bytes) -> str:
    return hashlib.sha256(b"recordsdesk audit key id\x00" + secret).hexdigest()[:16]


def load_key(*, create: bool = True) -> AuditKey | None:
    """The desk's key, created (0600 in a 0700 folder) when missing and `create` is set;
    None when missing and not `create`. Raises AuditKeyProblem for an unreadable key."""
    # Asked at every audited save: the environment that names the file is the cache's key,
    # so the hot path builds no path and touches no file.
    token = (os.environ.get(KEY_FILE_ENV), os.environ.get(DATA_DIR_ENV))
    found = _by_env.get(token)
    if found is not None:
        return found
    path = key_path()
    with _lock:
        found = _loaded.get(path)
        if found is not None:
            _by_env[token] = found
            return found
        if not path.exists():
            if not create:
                return None
            _create(path)
        try:
            raw = path.read_text(encoding="ascii").strip()
            secret = bytes.fromhex(raw)
        except (OSError, ValueError) as exc:
            raise AuditKeyProblem(f"The audit key at {path} cannot be read: {exc}") from exc
        if len(secret) != _KEY_BYTES:
            raise AuditKeyProblem(f"The audit key at {path} is not a recordsdesk key.")
        key = AuditKey(secret, key_id_of(secret), path)
        _loaded[path] = _by_env[token] = key
        return key


def _create(path: Path) -> None:
    """Write a new key whole and then link it into place, so a desk process starting at the
    same moment reads either no key or a complete one, and the first one made wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(_KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, path)
        except FileExistsError:  # another desk process made it first: theirs is the key
            pass
    finally:
        partial.unlink(missing_ok=True)


def forget_loaded_keys() -> None:
    """Drop the cached keys (tests that switch key files)."""
    with _lock:
        _loaded.clear()
        _by_env.clear()

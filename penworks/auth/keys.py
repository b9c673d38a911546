"""The install's signing key: 32 random bytes made at first start, readable by the owner only.

Every install has its own, so a token of one install is worthless at another. The key is
never logged or printed; deleting the file signs everyone out at the next start.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Final

from penworks.auth.errors import KeyFileError

KEY_FILE: Final = "signing.key"
KEY_BYTES: Final = 32


def signing_key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`, made (mode 0600) if there is none; KeyFileError for a file that
    others may read or that is not a key."""
    try:
        return _create(path)
    except FileExistsError:
        return _load(path)


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    # O_EXCL: two processes starting together never overwrite each other's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask says
        os.write(fd, key)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return key


def _load(path: Path) -> bytes:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(f"signing key {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"signing key {path} may be read by other users (mode {mode:04o}); "
            f"make it private with: chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            f"signing key {path} holds {len(key)} bytes, not {KEY_BYTES}: it is damaged; "
            "delete it to make a new one (everyone will have to sign in again)"
        )
    return key

"""The install's signing key file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from penworks.auth import KeyFileError, load_or_create_key, signing_key_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_start_makes_a_private_random_key(tmp_path: Path) -> None:
    path = signing_key_path(tmp_path / "data")
    old = os.umask(0)  # a careless umask must not make it readable
    try:
        key = load_or_create_key(path)
    finally:
        os.umask(old)
    assert len(key) == 32
    assert _mode(path) == 0o600
    assert path.read_bytes() == key
    assert load_or_create_key(path) == key  # the next start reads the same key


def test_every_install_gets_its_own_key(tmp_path: Path) -> None:
    assert load_or_create_key(tmp_path / "a.key") != load_or_create_key(tmp_path / "b.key")


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_key_others_may_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "signing.key"
    load_or_create_key(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"chmod 600 {path}") as caught:
        load_or_create_key(path)
    assert f"{mode:04o}" in str(caught.value)


def test_a_damaged_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="damaged"):
        load_or_create_key(path)


def test_a_directory_in_the_keys_place_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    path.mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="not a regular file"):
        load_or_create_key(path)

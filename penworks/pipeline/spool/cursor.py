"""The spool's cursor: the sequence number of the first record not yet acknowledged.

The file holds two slots, 4 KiB apart so that no one sector write touches both, each
``<u64 generation><u64 seq><u32 crc32 of the 16 bytes before>``. A save overwrites the older
slot in place; loading takes the valid slot of the highest generation. A save torn by a
crash leaves its slot failing its CRC, and the other slot, one save older, is used: the
records between are handed out again, never skipped. Overwriting in place costs one write
(and one fdatasync); replacing a file by rename costs a flush of its own on most file systems.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from pathlib import Path

log = logging.getLogger(__name__)

_SLOT = struct.Struct("<QQI")
_SLOT_SPACING = 4096
_BODY = struct.calcsize("<QQ")


class Cursor:
    """One cursor file; blocking IO, one call at a time."""

    def __init__(self, path: Path, sync: bool) -> None:
        self.path = path
        self._sync = sync
        self._fd: int | None = None
        self._generation = 0

    def load(self) -> int:
        """Open the file (creating it) and return the saved seq, 0 when none was saved."""
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if created and self._sync:
            sync_directory(self.path.parent)
        data = os.pread(self._fd, _SLOT_SPACING + _SLOT.size, 0)
        best: tuple[int, int] | None = None
        for offset in (0, _SLOT_SPACING):
            slot = data[offset : offset + _SLOT.size]
            if len(slot) < _SLOT.size:
                continue
            generation, seq, crc = _SLOT.unpack(slot)
            if zlib.crc32(slot[:_BODY]) == crc and (best is None or generation > best[0]):
                best = (generation, seq)
        if best is None:
            if data.strip(b"\0"):
                # Both slots damaged: only a failing disk does that. Replay everything kept.
                log.error("spool cursor %s is damaged; replaying every record", self.path)
            return 0
        self._generation = best[0]
        return best[1]

    def save(self, seq: int) -> None:
        if self._fd is None:
            raise ValueError("the cursor is not open")
        self._generation += 1
        body = struct.pack("<QQ", self._generation, seq)
        slot = body + struct.pack("<I", zlib.crc32(body))
        offset = (self._generation % 2) * _SLOT_SPACING
        if os.pwrite(self._fd, slot, offset) != len(slot):
            raise OSError(f"short write to {self.path}")
        if self._sync:
            os.fdatasync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def sync_directory(directory: Path) -> None:
    """Make the names in a directory (a new file, a rename) survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

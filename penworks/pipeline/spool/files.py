"""The spool's files: segment files of framed records and a cursor, all blocking IO.

Layout of a spool directory:

    00000000000000000000.seg   segments, named by the sequence number of their first record
    00000000000000052113.seg
    cursor                     the first record not yet acknowledged (see cursor.py)
    lock                       held (flock) by the one process that has the spool open

A segment is the 8-byte magic ``PWSPOOL1`` followed by records, each framed as
``<u32 length><u32 crc32 of the length bytes and the payload><payload>`` (little-endian).
A record is appended whole by one write; on opening, a record that is short or fails its
CRC ends its segment there: the file is cut back to the last good record and the cut is
counted and logged, so a torn write after a crash is never handed out as data.

Records are numbered (seq) in append order. The cursor is saved before anything is deleted;
then every segment whose records are all acknowledged is.

Every method blocks: the async Spool calls them in a worker thread, one at a time.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from penworks.core import PenworksError
from penworks.pipeline.spool.cursor import Cursor, sync_directory

log = logging.getLogger(__name__)

MAGIC = b"PWSPOOL1"
FRAME = struct.Struct("<II")  # payload length, crc32 of the packed length and the payload
_LENGTH = struct.Struct("<I")
_SUFFIX = ".seg"
_CHUNK = 1 << 20  # bytes read at a time when seeking
_READ_CHUNK = 1 << 16  # bytes read at a time when handing records out
_MAX_RECORD = (1 << 32) - 1


class SpoolError(PenworksError):
    """The spool cannot do what was asked (directory in use, disk error, ...)."""


class SpoolFull(SpoolError):
    """An append would take the spool past its capacity; nothing of it was written."""


class Fsync(StrEnum):
    """When the spool's writes are forced to the disk."""

    BATCH = "batch"  # every append batch and every acknowledgement, before it returns
    NEVER = "never"  # left to the OS: survives a crash of the process, not of the machine


class SpoolRecord(NamedTuple):
    seq: int  # position in append order; acknowledge up to it with Spool.ack(seq)
    data: bytes


@dataclass(slots=True, eq=False)
class Segment:
    first: int  # seq of its first record
    path: Path
    count: int = 0  # good records in it
    size: int = len(MAGIC)  # bytes up to the end of its last good record
    fd: int | None = None  # read handle, opened when first read

    @property
    def end(self) -> int:
        return self.first + self.count


def _frame_header(record: bytes) -> bytes:
    length = _LENGTH.pack(len(record))
    return FRAME.pack(len(record), zlib.crc32(record, zlib.crc32(length)))


def _segment_name(first: int) -> str:
    return f"{first:020d}{_SUFFIX}"


class SpoolFiles:
    """One spool directory. Not thread-safe: the owner runs one call at a time."""

    def __init__(self, directory: Path, segment_bytes: int, fsync: Fsync) -> None:
        if segment_bytes < len(MAGIC) + FRAME.size:
            raise ValueError(f"segment_bytes is too small: {segment_bytes}")
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.fsync = fsync
        self.segments: list[Segment] = []
        self.acked = 0  # first unacknowledged seq, as the cursor file holds it
        self.next_seq = 0  # seq the next appended record gets
        self.read_seq = 0  # seq of the next record read() hands out
        self.recovered = 0  # unacknowledged records found on opening
        self.cut_bytes = 0  # torn or corrupt bytes cut away
        self._read_segment: Segment | None = None
        self._read_offset = 0
        self._write_fd: int | None = None
        self._lock_fd: int | None = None
        self._cursor = Cursor(directory / "cursor", sync=fsync is Fsync.BATCH)

    # --- opening and closing -------------------------------------------------------------

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self.acked = self._cursor.load()
            self.segments = self._load_segments()
            last = self.segments[-1].end if self.segments else 0
            self.next_seq = max(self.acked, last)
            self._drop_acked()
            self.read_seq = self.acked
            self.recovered = self.pending
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for segment in self.segments:
            self._close_reader(segment)
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None
        self._cursor.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def _lock(self) -> None:
        fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolError(f"spool {self.directory} is open in another process") from None
        self._lock_fd = fd

    def _load_segments(self) -> list[Segment]:
        found: list[Segment] = []
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            stem = path.name.removesuffix(_SUFFIX)
            if len(stem) != 20 or not stem.isdigit():
                continue
            segment = Segment(int(stem), path)
            if self._scan(segment):
                found.append(segment)
        return found

    def _scan(self, segment: Segment) -> bool:
        """Count the good records of a segment and cut what follows them; False if none."""
        data = segment.path.read_bytes()
        if not data.startswith(MAGIC):
            self._cut_bytes(segment, 0, len(data), "no segment header")
            segment.path.unlink()
            return False
        offset, count = len(MAGIC), 0
        while True:
            end = _record_end(data, offset)
            if end is None:
                break
            offset, count = end, count + 1
        segment.count, segment.size = count, offset
        if offset < len(data):
            self._cut(segment, offset, len(data) - offset, "torn or corrupt record")
        if count == 0:
            segment.path.unlink()
            return False
        return True

    # --- appending -----------------------------------------------------------------------

    def append(self, records: Sequence[bytes]) -> None:
        """Append records in one write (after one fsync per the policy, they are kept)."""
        parts: list[bytes] = []
        for record in records:
            if len(record) > _MAX_RECORD:
                raise SpoolError(f"a record of {len(record)} bytes is too long to spool")
            parts.append(_frame_header(record))
            parts.append(record)
        data = b"".join(parts)
        segment, fd = self._tail()
        try:
            _write_all(fd, data)
            if self.fsync is Fsync.BATCH:
                os.fdatasync(fd)
        except OSError:
            os.ftruncate(fd, segment.size)  # leave no half batch behind
            raise
        segment.count += len(records)
        segment.size += len(data)
        self.next_seq += len(records)

    def _tail(self) -> tuple[Segment, int]:
        """The segment to append to, with a write handle; a new one when it is full."""
        tail = self.segments[-1] if self.segments else None
        if tail is not None and tail.size < self.segment_bytes and self._write_fd is not None:
            return tail, self._write_fd
        if tail is not None and tail.size < self.segment_bytes:
            self._write_fd = os.open(tail.path, os.O_WRONLY | os.O_APPEND)
            return tail, self._write_fd
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None
        segment = Segment(self.next_seq, self.directory / _segment_name(self.next_seq))
        fd = os.open(segment.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        try:
            _write_all(fd, MAGIC)
            if self.fsync is Fsync.BATCH:
                sync_directory(self.directory)
        except OSError:
            os.close(fd)
            segment.path.unlink(missing_ok=True)
            raise
        self._write_fd = fd
        self.segments.append(segment)
        return segment, fd

    # --- reading -------------------------------------------------------------------------

    def read(self, max_records: int, max_bytes: int) -> list[SpoolRecord]:
        """Up to max_records records after those already handed out (at least one if any)."""
        records: list[SpoolRecord] = []
        budget = max_bytes
        while len(records) < max_records and (budget > 0 or not records):
            segment = self._position()
            if segment is None:
                break
            taken = self._read_from(segment, max_records - len(records), budget)
            records.extend(taken)
            budget -= sum(len(r.data) + FRAME.size for r in taken)
        return records

    def _read_from(self, segment: Segment, want: int, budget: int) -> list[SpoolRecord]:
        fd = self._reader(segment)
        offset = self._read_offset
        data = os.pread(fd, min(segment.size - offset, _READ_CHUNK), offset)
        if _record_end(data, 0) is None and len(data) >= FRAME.size:
            whole = FRAME.size + FRAME.unpack_from(data)[0]
            if len(data) < whole <= segment.size - offset:  # one record larger than a chunk
                data = os.pread(fd, whole, offset)
        payloads, used = _split(data, want, budget)
        first = self.read_seq
        records = [SpoolRecord(first + i, payload) for i, payload in enumerate(payloads)]
        self.read_seq += len(records)
        self._read_offset = offset + used
        if not records:
            # The disk changed under a record that was good: the rest of the segment goes.
            self._cut(segment, offset, segment.size - offset, "record damaged since written")
            segment.count = self.read_seq - segment.first
        return records

    def _position(self) -> Segment | None:
        """The segment holding read_seq, with _read_offset at that record; None at the end."""
        segment = self._read_segment
        if segment is not None and self.read_seq < segment.end:
            return segment
        for candidate in self.segments:
            if candidate.end > self.read_seq and candidate is not segment:
                self.read_seq = max(self.read_seq, candidate.first)  # past a cut, if any
                self._read_segment = candidate
                self._read_offset = self._seek(candidate, self.read_seq)
                return candidate
        return None

    def _seek(self, segment: Segment, seq: int) -> int:
        """The offset of record seq in segment, walking its frames."""
        offset, skip = len(MAGIC), seq - segment.first
        fd = self._reader(segment)
        while skip > 0:
            data = os.pread(fd, min(segment.size - offset, _CHUNK), offset)
            position = 0
            while skip > 0 and (end := _record_end(data, position)) is not None:
                position, skip = end, skip - 1
            if position == 0:  # a record larger than the chunk
                length = FRAME.unpack_from(data)[0]
                position, skip = FRAME.size + length, skip - 1
            offset += position
        return offset

    def rewind(self) -> None:
        """Hand out again, from the first unacknowledged record on."""
        self.read_seq = self.acked
        self._read_segment = None

    # --- acknowledging -------------------------------------------------------------------

    def ack(self, seq: int) -> None:
        """Records up to and including seq are done with: persist that, drop what is done."""
        upto = seq + 1
        if upto > self.read_seq:
            raise ValueError(f"record {seq} has not been read yet (next is {self.read_seq})")
        if upto <= self.acked:
            return
        self._cursor.save(upto)
        self.acked = upto
        self._drop_acked()

    def _drop_acked(self) -> None:
        """Delete the segments whose records are all acknowledged, the tail included."""
        while self.segments and self.segments[0].end <= self.acked:
            segment = self.segments.pop(0)
            self._close_reader(segment)
            if not self.segments and self._write_fd is not None:
                os.close(self._write_fd)
                self._write_fd = None
            segment.path.unlink(missing_ok=True)

    # --- figures -------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Records not yet acknowledged."""
        return sum(max(0, s.end - max(s.first, self.acked)) for s in self.segments)

    @property
    def disk_bytes(self) -> int:
        return sum(s.size for s in self.segments)

    # --- helpers -------------------------------------------------------------------------

    def _reader(self, segment: Segment) -> int:
        if segment.fd is None:
            segment.fd = os.open(segment.path, os.O_RDONLY)
        return segment.fd

    def _close_reader(self, segment: Segment) -> None:
        if segment.fd is not None:
            os.close(segment.fd)
            segment.fd = None

    def _cut(self, segment: Segment, offset: int, length: int, why: str) -> None:
        self._cut_bytes(segment, offset, length, why)
        with open(segment.path, "r+b") as f:
            f.truncate(offset)
            f.flush()
            os.fsync(f.fileno())
        segment.size = offset

    def _cut_bytes(self, segment: Segment, offset: int, length: int, why: str) -> None:
        self.cut_bytes += length
        log.warning(
            "spool %s: %s at byte %d of %s: %d bytes cut",
            self.directory,
            why,
            offset,
            segment.path.name,
            length,
        )


def _record_end(data: bytes, offset: int) -> int | None:
    """Where the record framed at offset ends, or None if it is short or fails its CRC."""
    if len(data) - offset < FRAME.size:
        return None
    length, crc = FRAME.unpack_from(data, offset)
    start = offset + FRAME.size
    end: int = start + length
    if end > len(data):
        return None
    if zlib.crc32(data[start:end], zlib.crc32(data[offset : offset + 4])) != crc:
        return None
    return end


def _split(data: bytes, want: int, budget: int) -> tuple[list[bytes], int]:
    """The payloads of the whole, good records at the start of data (up to `want`, and
    past `budget` bytes only for the first), and how many bytes they took."""
    unpack, crc32, size = FRAME.unpack_from, zlib.crc32, len(data)
    payloads: list[bytes] = []
    position = 0
    while len(payloads) < want and size - position >= FRAME.size:
        length, crc = unpack(data, position)
        start = position + FRAME.size
        end = start + length
        if end > size:
            break
        payload = data[start:end]
        if crc32(payload, crc32(data[position : position + 4])) != crc:
            break
        payloads.append(payload)
        position = end
        if position >= budget:
            break
    return payloads, position


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from penworks.pipeline.spool import FillAlert, Fsync, Spool, SpoolError, SpoolFull

FRAME = 8  # bytes of framing per record


async def open_spool(path: Path, **options: object) -> Spool:
    settings: dict[str, object] = {"capacity_bytes": 1 << 20, "fsync": Fsync.NEVER, **options}
    spool = Spool(path, **settings)  # type: ignore[arg-type]
    await spool.open()
    return spool


@pytest.fixture
async def spool(tmp_path: Path) -> AsyncIterator[Spool]:
    s = await open_spool(tmp_path / "spool")
    yield s
    await s.close()


def numbered(first: int, count: int) -> list[bytes]:
    return [f"record-{i}".encode() for i in range(first, first + count)]


def segment_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.seg"))


async def test_records_come_out_in_order_and_acked_ones_never_again(spool: Spool) -> None:
    await spool.append(numbered(0, 3))
    await spool.append(numbered(3, 4))
    first = await spool.read(5)
    assert [r.data for r in first] == numbered(0, 5)
    assert [r.seq for r in first] == [0, 1, 2, 3, 4]
    rest = await spool.read(100)
    assert [r.data for r in rest] == numbered(5, 2)
    assert await spool.read(100) == []
    await spool.ack(first[-1].seq)
    assert spool.pending == 2
    await spool.rewind()
    again = await spool.read(100)
    assert [r.data for r in again] == numbered(5, 2)
    stats = spool.stats()
    assert (stats.appended, stats.replayed, stats.acknowledged) == (7, 9, 5)


async def test_a_record_cannot_be_acknowledged_before_it_is_read(spool: Spool) -> None:
    await spool.append(numbered(0, 2))
    await spool.read(1)
    with pytest.raises(ValueError, match="not been read"):
        await spool.ack(1)


async def test_reopening_replays_what_was_not_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    spool = await open_spool(path, fsync=Fsync.BATCH)
    await spool.append(numbered(0, 10))
    taken = await spool.read(6)
    await spool.ack(taken[3].seq)  # 0..3 done; 4 and 5 read but not acknowledged
    await spool.close()

    spool = await open_spool(path)
    assert spool.stats().recovered == 6
    replay = await spool.read(100)
    assert [r.data for r in replay] == numbered(4, 6)
    assert [r.seq for r in replay] == list(range(4, 10))
    await spool.ack(replay[-1].seq)
    await spool.append(numbered(10, 1))
    await spool.close()

    spool = await open_spool(path)
    after = await spool.read(100)
    assert [(r.seq, r.data) for r in after] == [(10, b"record-10")]
    await spool.close()


@pytest.mark.parametrize(
    ("damage", "kept"),
    [
        pytest.param(lambda data: data[:-3], 4, id="last record cut short"),
        pytest.param(lambda data: data[:-5] + b"\x00" + data[-4:], 4, id="last record bit rot"),
        pytest.param(lambda data: data + b"\x07\x00\x00\x00garbage!", 5, id="garbage after"),
        pytest.param(lambda data: data + b"\x01\x02", 5, id="half a header after"),
    ],
)
async def test_a_torn_tail_is_cut_and_reported(tmp_path: Path, damage: object, kept: int) -> None:
    path = tmp_path / "spool"
    spool = await open_spool(path)
    await spool.append(numbered(0, 5))
    await spool.close()
    [segment] = segment_files(path)
    intact = segment.read_bytes()
    segment.write_bytes(damage(intact))  # type: ignore[operator]

    spool = await open_spool(path)
    records = [r.data for r in await spool.read(100)]
    assert records == numbered(0, kept)
    assert spool.stats().cut_bytes > 0
    assert spool.stats().recovered == len(records)
    assert segment.stat().st_size <= len(intact)
    await spool.append([b"after"])  # the spool goes on behind the cut
    assert [r.data for r in await spool.read(100)] == [b"after"]
    await spool.close()


async def test_a_damaged_header_empties_its_segment_only(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    spool = await open_spool(path, segment_bytes=40)
    await spool.append(numbered(0, 3))
    await spool.append(numbered(3, 3))  # the first segment is full: a second one
    await spool.close()
    first, second = segment_files(path)
    first.write_bytes(b"NOTASPOOL" + first.read_bytes()[9:])

    spool = await open_spool(path)
    assert [r.data for r in await spool.read(100)] == numbered(3, 3)
    assert spool.stats().cut_bytes > 0
    assert segment_files(path) == [second]
    await spool.close()


async def test_a_torn_cursor_save_falls_back_to_the_one_before(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    spool = await open_spool(path)
    await spool.append(numbered(0, 10))
    taken = await spool.read(7)
    await spool.ack(taken[3].seq)  # saved in one slot: 4
    await spool.ack(taken[6].seq)  # in the other: 7
    await spool.close()
    cursor = path / "cursor"
    data = bytearray(cursor.read_bytes())
    data[8] ^= 0xFF  # the slot of the latest save, as a crash in mid-write would leave it
    cursor.write_bytes(bytes(data))

    spool = await open_spool(path)
    assert [r.data for r in await spool.read(100)] == numbered(4, 6)  # again, never skipped
    await spool.close()

    cursor.write_bytes(b"\x01" * len(data))  # both slots gone: everything kept comes again
    spool = await open_spool(path)
    assert [r.data for r in await spool.read(100)] == numbered(0, 10)
    await spool.close()


async def test_a_record_damaged_after_it_was_written_ends_its_segment(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    spool = await open_spool(path, segment_bytes=40)
    await spool.append(numbered(0, 3))
    await spool.append(numbered(3, 3))
    first = segment_files(path)[0]
    with first.open("r+b") as f:  # the second record's payload, while the spool is open
        f.seek(8 + 16 + 8 + 2)
        f.write(b"#")
    records = await spool.read(100)
    assert [r.data for r in records] == [b"record-0", *numbered(3, 3)]
    assert spool.stats().cut_bytes == 32
    await spool.ack(records[-1].seq)
    assert spool.pending == 0
    await spool.close()


async def test_appending_past_capacity_raises_spool_full_and_writes_nothing(
    tmp_path: Path,
) -> None:
    record = b"x" * 92  # 100 bytes framed
    spool = await open_spool(tmp_path / "spool", capacity_bytes=1_000, segment_bytes=1_000)
    await spool.append([record] * 9)  # 8 bytes of segment header + 900
    with pytest.raises(SpoolFull, match="full"):
        await spool.append([record, record])
    with pytest.raises(SpoolFull):
        await spool.append([record])
    stats = spool.stats()
    assert (stats.records, stats.rejected, stats.bytes) == (9, 3, 908)
    assert stats.fill == pytest.approx(0.908)
    taken = await spool.read(100)
    await spool.ack(taken[-1].seq)
    await spool.append([record] * 9)  # room again once acknowledged records are gone
    assert spool.pending == 9
    await spool.close()


async def test_consumed_segments_are_deleted(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    spool = await open_spool(path, segment_bytes=50)
    for first in range(0, 40, 4):  # one segment each
        await spool.append(numbered(first, 4))
    assert len(segment_files(path)) == 10
    taken = await spool.read(21)
    await spool.ack(taken[-1].seq)
    left = segment_files(path)
    assert 4 <= len(left) <= 5  # the segment of records 20..23 is still in use
    assert spool.stats().segments == len(left)
    assert spool.stats().bytes == sum(f.stat().st_size for f in left)
    rest = await spool.read(100)
    assert [r.data for r in rest] == numbered(21, 19)
    await spool.ack(rest[-1].seq)
    assert segment_files(path) == []
    assert (spool.stats().bytes, spool.fill, spool.pending) == (0, 0.0, 0)
    await spool.append([b"next"])  # numbering goes on in a new segment
    assert [(r.seq, r.data) for r in await spool.read(5)] == [(40, b"next")]
    await spool.close()


async def test_reads_cross_segments_and_take_a_record_larger_than_a_chunk(
    tmp_path: Path,
) -> None:
    big = os.urandom(3 << 20)
    spool = await open_spool(tmp_path / "spool", capacity_bytes=16 << 20, segment_bytes=1 << 20)
    await spool.append([b"small"])
    await spool.append([big])
    await spool.append([b"after"])
    first = await spool.read(100, max_bytes=10)
    assert [r.data for r in first] == [b"small"]
    second = await spool.read(100, max_bytes=10)  # always at least one, whatever its size
    assert [r.data for r in second] == [big]
    await spool.ack(second[0].seq)
    await spool.rewind()
    assert [r.data for r in await spool.read(100)] == [b"after"]
    await spool.close()


async def test_concurrent_appends_are_grouped_and_all_kept(spool: Spool) -> None:
    await asyncio.gather(*(spool.append([f"{i}".encode()]) for i in range(200)))
    records = await spool.read(1_000)
    assert sorted(int(r.data) for r in records) == list(range(200))
    assert [r.seq for r in records] == list(range(200))
    assert spool.stats().appended == 200


async def test_a_spool_is_used_between_open_and_close(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", capacity_bytes=1 << 20)
    with pytest.raises(SpoolError, match="not open"):
        await spool.append([b"x"])
    await spool.open()
    await spool.append([b"x"])
    await spool.close()
    await spool.close()
    with pytest.raises(SpoolError, match="not open"):
        await spool.read()


async def test_one_process_at_a_time(tmp_path: Path) -> None:
    spool = await open_spool(tmp_path / "spool")
    with pytest.raises(SpoolError, match="another process"):
        await open_spool(tmp_path / "spool")
    await spool.close()
    again = await open_spool(tmp_path / "spool")
    await again.close()


async def test_fill_alerts_rise_at_high_water_and_clear_below_low_water(tmp_path: Path) -> None:
    record = b"x" * 92
    spool = await open_spool(
        tmp_path / "spool",
        name="gw",
        capacity_bytes=1_008,
        segment_bytes=100,
        high_water=0.8,
        low_water=0.5,
    )
    alerts = spool.alerts()
    for _ in range(7):
        await spool.append([record])  # a segment of 108 bytes each: 0.75 in all
    assert not spool.stats().high_water
    await spool.append([record])  # 0.86
    alert = await asyncio.wait_for(anext(alerts), 1)
    assert alert == FillAlert("gw", True, 864 / 1008, 8, 864, 1008)
    taken = await spool.read(3)
    await spool.ack(taken[-1].seq)  # 5 segments left: 0.54, still above low water
    assert spool.stats().high_water
    taken = await spool.read(1)
    await spool.ack(taken[-1].seq)  # 0.43
    alert = await asyncio.wait_for(anext(alerts), 1)
    assert (alert.high, alert.records) == (False, 4)
    assert not spool.stats().high_water
    await spool.close()


async def test_a_spool_opened_above_high_water_says_so_at_once(tmp_path: Path) -> None:
    spool = await open_spool(tmp_path / "spool", capacity_bytes=1_000, segment_bytes=1_000)
    await spool.append([b"x" * 900])
    await spool.close()
    spool = await open_spool(tmp_path / "spool", capacity_bytes=1_000)
    alert = await asyncio.wait_for(anext(spool.alerts()), 1)
    assert alert.high
    await spool.close()


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from penworks.pipeline.spool import Spool

    async def main() -> None:
        spool = Spool(Path(sys.argv[1]), capacity_bytes=64 << 20, segment_bytes=4096)
        await spool.open()
        n = 0
        while True:
            batch = [f"{n + i}:".encode() + b"x" * ((n + i) * 37 % 300) for i in range(5)]
            await spool.append(batch)
            n += 5
            print("appended", n - 1, flush=True)
            if n % 20 == 0:
                taken = await spool.read(7)
                await spool.ack(taken[-1].seq)
                print("acked", int(taken[-1].data.split(b":")[0]), flush=True)

    asyncio.run(main())
    """
)


async def test_a_killed_writer_loses_nothing_whose_append_returned(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(path), stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    printed: dict[bytes, int] = {b"appended": -1, b"acked": -1}

    async def take_line() -> bool:
        assert child.stdout is not None
        line = await child.stdout.readline()
        if line:
            what, number = line.split()
            printed[what] = int(number)
        return bool(line)

    try:
        async with asyncio.timeout(20):
            while printed[b"appended"] < 400:
                assert await take_line(), "the child ended early"
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    while await take_line():  # what it printed before the kill, not yet read
        pass
    appended, acked = printed[b"appended"], printed[b"acked"]

    spool = await open_spool(path, capacity_bytes=64 << 20)
    numbers = []
    while records := await spool.read(1_000):
        for r in records:
            number, _, filler = r.data.partition(b":")
            assert filler == b"x" * (int(number) * 37 % 300)  # never garbage
            numbers.append(int(number))
        await spool.ack(records[-1].seq)
    await spool.close()
    # In order, none missing, from right after what was acknowledged (the child may have
    # acknowledged once more after its last line) to at least its last line.
    assert numbers == list(range(numbers[0], numbers[-1] + 1))
    assert numbers[0] in (acked + 1, acked + 8)
    assert numbers[-1] in (appended, appended + 5)

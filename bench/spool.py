"""Benchmark of the store-and-forward Spool: append and replay rates for 200-byte records.

    .venv/bin/python bench/spool.py [--records 200000] [--size 200] [--dir /path/on/disk]

Append: records in batches of each size, one append() call per batch (with fsync=batch,
one fdatasync per call). Replay: read() a batch, ack() it (one cursor write per batch),
until the spool is empty. Run it on the disk the spool will live on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from penworks.pipeline.spool import Fsync, Spool

BATCHES = (1, 100, 1_000)


async def append_all(spool: Spool, records: list[bytes], batch: int) -> float:
    started = time.perf_counter()
    for first in range(0, len(records), batch):
        await spool.append(records[first : first + batch])
    return time.perf_counter() - started


async def replay_all(spool: Spool, batch: int) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    while records := await spool.read(batch, max_bytes=1 << 22):
        await spool.ack(records[-1].seq)
        count += len(records)
    return time.perf_counter() - started, count


async def run(directory: Path, total: int, size: int, fsync: Fsync, batch: int) -> str:
    # One record a call is slow (a thread hop each, and an fsync each with fsync=batch):
    # fewer records keep the run short.
    few = 2_000 if fsync is Fsync.BATCH else 20_000
    count = min(total, few) if batch == 1 else total
    records = [os.urandom(size) for _ in range(count)]
    spool = Spool(directory, capacity_bytes=count * (size + 8) * 2, fsync=fsync, name="bench")
    await spool.open()
    try:
        appended_s = await append_all(spool, records, batch)
        replayed_s, replayed = await replay_all(spool, batch)
    finally:
        await spool.close()
    assert replayed == count, f"replayed {replayed} of {count}"
    return (
        f"fsync={fsync.value:5} batch={batch:>5}  records={count:>7}  "
        f"append {count / appended_s:>10,.0f} records/s   "
        f"replay {count / replayed_s:>10,.0f} records/s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=200, help="bytes per record")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the spool")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as base:
        print(f"{args.size}-byte records, spool in {base}")
        for fsync in Fsync:
            for batch in BATCHES:
                directory = Path(base) / f"{fsync.value}-{batch}"
                print(await run(directory, args.records, args.size, fsync, batch), flush=True)


if __name__ == "__main__":
    asyncio.run(main())

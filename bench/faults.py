"""Fault runs in their long form, against servers of the run's own (never the machine's).

    .venv/bin/python bench/faults.py mqtt [-n 100000]

    .venv/bin/python bench/faults.py postgres [--outage 60] [--rate 2000]

    .venv/bin/python bench/faults.py gateway [-n 100000]

mqtt      numbered QoS 1 observations flow from named devices through a mosquitto of its
          own into the embedded platform while the broker is restarted three times and
          killed once (SIGKILL); then every number must be stored, none twice. The short
          form (600 observations) is tests/integration/test_fault_mqtt_broker.py.
postgres  numbered observations flow at a steady rate into a history role on a PostgreSQL
          of its own, which is stopped for --outage seconds from a third of the way; then
          every number must be stored, none twice, the spool replayed, and the live
          latency back to what it was. The short form (a 1.5 s outage) is
          tests/integration/test_fault_postgres.py.
gateway   numbered QoS 1 observations flow from named devices through a mosquitto of its
          own into a gateway process and on through NATS to a history process on
          PostgreSQL; the gateway is killed (SIGKILL) halfway and started again; then
          every number must be stored, none twice. The short form (2,000 observations) is
          tests/integration/test_fault_gateway.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.test_fault_gateway import gateway_drill  # noqa: E402
from tests.integration.test_fault_mqtt_broker import broker_drill  # noqa: E402
from tests.integration.test_fault_postgres import run_outage  # noqa: E402


async def mqtt(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        drill = await broker_drill(Path(folder), count, timeout_s=600)
    print(
        f"mqtt: {count:,} numbered QoS 1 observations, broker restarted 3 times and killed "
        f"once: {tally(drill.numbers, count)}; "
        f"{drill.delivered - count} delivered twice by the broker (kept once); "
        f"published in {drill.published_s:.1f} s, all stored after {drill.stored_s:.1f} s"
    )


async def gateway(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        drill = await gateway_drill(Path(folder), count, timeout_s=600)
    print(
        f"gateway: {count:,} numbered QoS 1 observations, the gateway killed halfway and "
        f"started again: {tally(drill.numbers, count)}; published in "
        f"{drill.published_s:.1f} s, all stored after {drill.stored_s:.1f} s"
    )


def tally(numbers: list[int], count: int) -> str:
    """What became of 0..count-1: stored, missing, stored twice."""
    kept = set(numbers)
    missing = len(set(range(count)) - kept)
    return f"{len(kept):,} stored, {missing} missing, {len(numbers) - len(kept)} stored twice"


async def postgres(rate: float, outage_s: float) -> None:
    count = int(rate * outage_s * 2)  # the outage runs from a third to five sixths of the way
    with tempfile.TemporaryDirectory() as folder:
        rows, before, after, platform = await run_outage(Path(folder), count, rate, outage_s)
    assert platform.writer is not None
    stats = platform.writer.stats()
    kept = set(rows)
    print(
        f"postgres: {count:,} observations at {rate:,.0f}/s, the server stopped for "
        f"{outage_s:g} s: {len(kept):,} stored, {count - len(kept & set(range(count)))} "
        f"missing, {len(rows) - len(kept)} stored twice; {stats.spooled:,} spooled, "
        f"{stats.replayed:,} replayed; publish to stored p50 {median(before) * 1000:.0f} ms "
        f"before the outage, {median(after) * 1000:.0f} ms at the end"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fault", choices=["mqtt", "postgres", "gateway"])
    parser.add_argument(
        "-n", "--count", type=int, default=100_000, help="mqtt, gateway: observations"
    )
    parser.add_argument("--outage", type=float, default=60.0, help="postgres: seconds down")
    parser.add_argument("--rate", type=float, default=2000.0, help="postgres: observations/s")
    args = parser.parse_args()
    if args.fault == "mqtt":
        asyncio.run(mqtt(args.count))
    elif args.fault == "gateway":
        asyncio.run(gateway(args.count))
    else:
        asyncio.run(postgres(args.rate, args.outage))


if __name__ == "__main__":
    main()

"""Fault runs in their long form, against servers of the run's own (never the machine's).

    .venv/bin/python bench/faults.py mqtt [-n 100000]

mqtt    numbered QoS 1 observations flow from named devices through a mosquitto of its own
        into the embedded platform while the broker is restarted three times and killed
        once (SIGKILL); then every number must be stored, none twice. The short form
        (1,000 observations) is tests/integration/test_fault_mqtt_broker.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.test_fault_mqtt_broker import broker_drill  # noqa: E402


async def mqtt(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        drill = await broker_drill(Path(folder), count, timeout_s=600)
    numbers = drill.numbers
    missing = len(set(range(count)) - set(numbers))
    twice = len(numbers) - len(set(numbers))
    print(
        f"mqtt: {count:,} numbered QoS 1 observations, broker restarted 3 times and killed "
        f"once: {len(set(numbers)):,} stored, {missing} missing, {twice} stored twice; "
        f"{drill.delivered - count} delivered twice by the broker (kept once); "
        f"published in {drill.published_s:.1f} s, all stored after {drill.stored_s:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fault", choices=["mqtt"])
    parser.add_argument("-n", "--count", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(mqtt(args.count))


if __name__ == "__main__":
    main()

"""Benchmark of the bus wire codec: encode + decode round trips per second, by message type.

.venv/bin/python bench/bus_codec.py [--count 200000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from penworks.bus import Message
from penworks.bus.codec import decode, encode
from penworks.core import Command, DeadLetter, Observation, Quality

START = datetime(2026, 7, 1, tzinfo=UTC)


def samples(count: int) -> dict[str, list[Message]]:
    step = timedelta(milliseconds=250)
    return {
        "observation (float)": [
            Observation(
                f"b15.f{n % 8}.r{n % 400:04d}.zone_air_temp", START + n * step, 21.5 + n % 7
            )
            for n in range(count)
        ],
        "observation (bool)": [
            Observation(f"b15.f{n % 8}.r{n % 400:04d}.occupied", START + n * step, n % 2 == 0)
            for n in range(count)
        ],
        "dead letter (64 B)": [
            DeadLetter("mqtt", f"b15/f{n % 8}/raw", START + n * step, "not JSON", bytes(64))
            for n in range(count // 4)
        ],
        "command": [
            Command(f"b15.f{n % 8}.ahu.sp", 22.0, 8, "rules", "comfort", START + n * step)
            for n in range(count // 4)
        ],
        "event (dict)": [
            {"rule": f"r{n % 50}", "active": True, "ts": "2026-07-01T00:00:00+00:00", "n": n}
            for n in range(count // 4)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    print(f"{'message':<22}{'bytes':>7}{'encode/s':>13}{'decode/s':>13}{'round trips/s':>15}")
    for name, messages in samples(args.count).items():
        started = time.perf_counter()
        wire = [encode(m) for m in messages]
        encoded = time.perf_counter()
        back = [decode(b) for b in wire]
        decoded = time.perf_counter()
        assert back == messages
        n = len(messages)
        size = sum(map(len, wire)) / n
        enc, dec = encoded - started, decoded - encoded
        print(f"{name:<22}{size:>7.0f}{n / enc:>13,.0f}{n / dec:>13,.0f}{n / (enc + dec):>15,.0f}")
    quality = Observation("p", START, 1.0, Quality.UNCERTAIN)
    assert decode(encode(quality)) == quality


if __name__ == "__main__":
    main()

"""How fast the twin of Building 15 runs: a simulated day, stepped alone and served at speed.

    .venv/bin/python bench/twin_day.py                    # both figures, one day at 600x
    .venv/bin/python bench/twin_day.py --mode step        # stepping only, as fast as it goes
    .venv/bin/python bench/twin_day.py --mode serve --speed 600 --hours 24

Figures:
  step   wall seconds to step every system through one simulated day (2,880 steps of 30 s),
         and milliseconds per step: the twin's own cost, without protocols
  serve  the twin with all its device servers (MQTT through an embedded broker, Modbus,
         BACnet, OPC UA) on a clock at --speed for --hours of building time: wall seconds,
         how far the building lagged behind the clock at worst (0: it kept up), CPU seconds
         used by this process, and the servers' sync counts
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from penworks.broker import EmbeddedBroker  # noqa: E402
from penworks.core import SimClock  # noqa: E402
from penworks.demo import polling  # noqa: E402
from penworks.sim.building import SITE_TZ, STEP_S  # noqa: E402
from penworks.sim.run import RunningTwin  # noqa: E402
from penworks.sim.twin import building15  # noqa: E402

START = datetime(2026, 7, 15, tzinfo=SITE_TZ).astimezone(UTC)  # a Wednesday, midnight


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_step(hours: float) -> None:
    building = building15(START)
    begin, cpu = time.perf_counter(), cpu_s()
    building.advance_to(START + timedelta(hours=hours))
    wall = time.perf_counter() - begin
    steps = int(hours * 3600 / STEP_S)
    print(f"step   {hours:g} h of building time in {wall:.1f} s wall ({cpu_s() - cpu:.1f} s CPU)")
    devices, systems = len(building.devices()), len(building.systems)
    print(
        f"       {1000 * wall / steps:.2f} ms per 30 s step, {devices} devices, {systems} systems"
    )


async def bench_serve(speed: float, hours: float) -> None:
    async with EmbeddedBroker() as broker:
        clock = SimClock(START, speed)
        building = building15(START)
        twin = RunningTwin(building, clock, broker.url, polling=polling(speed))
        begin_wall, begin_cpu = time.perf_counter(), cpu_s()
        await twin.start()
        started = time.perf_counter() - begin_wall
        end = START + timedelta(hours=hours)
        task = asyncio.create_task(twin.run())
        worst = 0.0
        try:
            while building.now < end - timedelta(minutes=1):
                await asyncio.sleep(1.0)
                worst = max(worst, twin.behind_s)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await twin.stop()
        wall = time.perf_counter() - begin_wall
        print(
            f"serve  {hours:g} h at {speed:g}x in {wall:.1f} s wall "
            f"(ideal {hours * 3600 / speed:.1f} s, servers up in {started:.1f} s), "
            f"{cpu_s() - begin_cpu:.1f} s CPU"
        )
        print(f"       worst lag behind the clock {worst:.0f} s of building time")
        print(f"       {twin.steps} sync rounds over {len(twin.servers)} servers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["step", "serve", "both"], default="both")
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    if args.mode in ("step", "both"):
        bench_step(args.hours)
    if args.mode in ("serve", "both"):
        asyncio.run(bench_serve(args.speed, args.hours))


if __name__ == "__main__":
    main()

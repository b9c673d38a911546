"""Benchmark of the rule engine: 5,000 rules over a stream of 10,000 observations a second.

    .venv/bin/python bench/rules.py [--rules 5000] [--rate 10000] [--seconds 10]

A generated site has one zone per rule (a temperature sensor and a setpoint). Each rule
watches its zone's temperature; the mix is a third each of
  - a threshold with hysteresis (active above 28 °C, clear below 27 °C),
  - a comparison with the zone's setpoint, found by placeholder, with a deadband,
  - a low limit that must hold 2 s to become active and 1 s to clear (timers),
and every rule raises an alarm. Temperatures swing across the limits, so that about a tenth
of the observations change an alarm. Publisher, bus and engine share one event loop, as in
the embedded configuration. Latency is from the publish of an observation to the call of
AlarmSink.condition, for rules without a duration. A second phase publishes as fast as the
engine takes observations, to show the headroom.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from penworks.bus import MemoryBus, observation_subject
from penworks.core import Observation, SimClock
from penworks.core.yamlfile import read_yaml
from penworks.model import SiteModel
from penworks.model.schema import SiteDef
from penworks.rules.engine import RuleEngine
from penworks.rules.loader import load_rule_file
from penworks.rules.sinks import AlarmCondition

START = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
SPACES_PER_FLOOR = 250
TICK_S = 0.01
SWING_PERIOD_S = 10.0


def make_site(zones: int) -> SiteModel:
    floors = []
    for f in range(math.ceil(zones / SPACES_PER_FLOOR)):
        count = min(SPACES_PER_FLOOR, zones - f * SPACES_PER_FLOOR)
        spaces = [{"id": f"z{s:03d}", "template": "zone"} for s in range(count)]
        floors.append({"id": f"f{f + 1:02d}", "level": f, "spaces": spaces})
    zone = {
        "points": [
            {"id": "temp", "brick": "Zone_Air_Temperature_Sensor", "unit": "degC"},
            {"id": "sp", "brick": "Zone_Air_Temperature_Setpoint", "unit": "degC"},
        ]
    }
    site = {
        "id": "bench",
        "name": "Generated site",
        "templates": {"zone": zone},
        "buildings": [{"id": "b1", "floors": floors}],
    }
    return SiteModel.from_def(SiteDef.model_validate(site), source="<bench>")


def zone_points(model: SiteModel) -> list[str]:
    return [p.id for p in model.find_points(brick="Zone_Air_Temperature_Sensor")]


def rule_file(points: list[str]) -> dict[str, object]:
    rules: list[dict[str, object]] = []
    for i, point in enumerate(points):
        rule: dict[str, object] = {"id": f"r{i:05d}", "for_each": {"point": point}}
        kind = i % 3
        if kind == 0:
            rule.update(when="value > 28", clear_when="value < 27")
        elif kind == 1:
            rule.update(
                inputs={"sp": {"brick": "Zone_Air_Temperature_Setpoint", "within": "{space}"}},
                when="value > sp + 4",
                clear_when="value < sp + 3",
                deadband=0.05,
            )
        else:
            rule.update(when="value < 20", clear_when="value > 21", clear_for="1s")
            rule["for"] = "2s"
        rule["alarm"] = {"priority": "low", "message": "{point} is {value:.1f}"}
        rules.append(rule)
    return {"rules": rules}


@dataclass
class Recorder:
    """An AlarmSink noting how long each condition took from its observation's publish."""

    published: dict[str, float]
    immediate: set[str]
    latencies: list[float] = field(default_factory=list)
    delayed: int = 0

    async def condition(self, change: AlarmCondition) -> None:
        if change.rule in self.immediate and change.point is not None:
            self.latencies.append(time.perf_counter() - self.published[change.point])
        else:
            self.delayed += 1


def value_at(index: int, t: float) -> float:
    """24 °C ± 6 °C, each zone with its own phase."""
    return 24.0 + 6.0 * math.sin(2 * math.pi * (t / SWING_PERIOD_S + index / 97))


async def publish_for(
    bus: MemoryBus, points: list[str], rate: float, seconds: float, published: dict[str, float]
) -> int:
    """Publish round-robin over the points at `rate` a second (as fast as the bus takes
    them if rate is 0) for `seconds`; the count published."""
    started = time.perf_counter()
    count = 0
    clock_ts = START
    while (elapsed := time.perf_counter() - started) < seconds:
        target = int(elapsed * rate) + int(rate * TICK_S) if rate else count + 1_000
        while count < target:
            index = count % len(points)
            point = points[index]
            published[point] = time.perf_counter()
            observation = Observation(point, clock_ts, value_at(index, elapsed))
            await bus.publish(observation_subject(point), observation)
            count += 1
        await asyncio.sleep(TICK_S if rate else 0)
    return count


async def drained(bus: MemoryBus, engine: RuleEngine) -> None:
    while any(s.depth for s in bus.stats()) or engine.stats().pending_work:  # noqa: ASYNC110
        await asyncio.sleep(0.001)  # no event says "drained": poll


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


async def main(rule_count: int, rate: float, seconds: float) -> None:
    began = time.perf_counter()
    model = make_site(rule_count)
    points = zone_points(model)
    with tempfile.TemporaryDirectory(prefix="penworks-bench-") as folder:
        path = Path(folder) / "rules.yaml"
        path.write_text(yaml.safe_dump(rule_file(points), sort_keys=False), encoding="utf-8")
        started = time.perf_counter()
        rule_set = load_rule_file(path, model)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        read_yaml(path)
        parsed = time.perf_counter() - started
    print(
        f"site: {len(model.points()):,} points; {len(rule_set):,} rules loaded in {loaded:.1f} s "
        f"(of which reading the YAML {parsed:.1f} s)"
    )

    bus = MemoryBus()
    clock = SimClock(START)
    published: dict[str, float] = {}
    immediate = {r.id for r in rule_set if not r.definition.hold}
    recorder = Recorder(published, immediate)
    engine = RuleEngine(
        model, bus, clock, alarms=recorder, commands=None, notify=None, schedules=None
    )
    engine.replace(rule_set)
    task = asyncio.create_task(engine.run())
    await asyncio.sleep(0.05)
    for point in points:  # the setpoints, once
        sp = point.replace(".temp", ".sp")
        await bus.publish(observation_subject(sp), Observation(sp, START, 22.0))
    await drained(bus, engine)

    before = engine.stats()
    started = time.perf_counter()
    sent = await publish_for(bus, points, rate, seconds, published)
    await drained(bus, engine)
    elapsed = time.perf_counter() - started
    after = engine.stats()
    evaluations = after.evaluations - before.evaluations
    taken = after.observations - before.observations
    print(f"stream: {sent:,} observations in {elapsed:.1f} s (asked {rate:,.0f}/s)")
    print(f"  kept up with:      {taken / elapsed:>10,.0f} observations/s")
    print(f"  rule evaluations:  {evaluations / elapsed:>10,.0f} /s ({evaluations:,})")
    print(f"  alarm conditions:  {len(recorder.latencies) + recorder.delayed:>10,}")
    print(
        f"  latency observation -> AlarmSink.condition: p50 "
        f"{percentile(recorder.latencies, 50) * 1e3:.2f} ms, p99 "
        f"{percentile(recorder.latencies, 99) * 1e3:.2f} ms "
        f"({len(recorder.latencies):,} conditions without a duration)"
    )
    print(f"  expression errors: {after.errors}, alarm sink errors: {after.action_errors}")

    recorder.latencies.clear()
    before = engine.stats()
    started = time.perf_counter()
    sent = await publish_for(bus, points, 0, min(seconds, 5.0), published)
    await drained(bus, engine)
    elapsed = time.perf_counter() - started
    after = engine.stats()
    print(f"saturation: {sent:,} observations as fast as taken in {elapsed:.1f} s")
    print(f"  observations:      {(after.observations - before.observations) / elapsed:>10,.0f} /s")
    rate_eval = (after.evaluations - before.evaluations) / elapsed
    print(f"  rule evaluations:  {rate_eval:>10,.0f} /s")
    print(
        f"  latency p50 {percentile(recorder.latencies, 50) * 1e3:.2f} ms, "
        f"p99 {percentile(recorder.latencies, 99) * 1e3:.2f} ms"
    )
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=5_000, help="rules, one zone each")
    parser.add_argument("--rate", type=float, default=10_000, help="observations per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the stream")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rules, arguments.rate, arguments.seconds))

"""Catching up from history at start: what the app would have seen, replayed.

The meters' cumulative registers, the outdoor temperature, the building's schedule and the
zones' presence and people counts are read back from history over the last
`catch_up_days` and replayed in time order, one sample every `sample_s`, through the same
counters, occupancy memory and sampler the live stream feeds. A restart therefore keeps
hourly consumption, the baseline period with its fit, and the learnt first arrivals and last
departures. Comfort tallies and anomaly samples (which keep days, not weeks) start afresh.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from penworks.apps.api import AppContext, Observation, Value

PAGE = 50_000  # observations per history query
SAMPLES_PER_TURN = 500  # then the event loop runs others: weeks take seconds to replay


@dataclass(frozen=True, slots=True)
class Replayed:
    """What a catch-up read back."""

    observations: int
    samples: int
    first: datetime | None  # the oldest observation replayed


async def read_back(
    ctx: AppContext, points: Iterable[str], start: datetime, end: datetime
) -> list[list[Observation]]:
    """Every stored observation of each point with start <= ts < end, oldest first."""
    found = []
    for point in sorted(set(points)):
        rows: list[Observation] = []
        since = start
        while True:
            page = await ctx.range(point, since, end, limit=PAGE)
            rows.extend(page)
            if len(page) < PAGE:
                break
            since = page[-1].ts + timedelta(microseconds=1)
        found.append(rows)
    return found


async def replay(
    histories: Sequence[Sequence[Observation]],
    end: datetime,
    step: timedelta,
    on_observation: Callable[[Observation], None],
    on_sample: Callable[[Mapping[str, Value], datetime], None],
) -> Replayed:
    """Feed every observation in time order, and sample the values held at every `step`
    from the oldest observation up to `end` (exclusive): as the live loop would have. It
    gives the event loop back every SAMPLES_PER_TURN samples: the platform it shares a
    process with goes on meanwhile."""
    merged: Iterator[Observation] = heapq.merge(*histories, key=lambda o: o.ts)
    values: dict[str, Value] = {}
    pending = next(merged, None)
    if pending is None:
        return Replayed(0, 0, None)
    first = pending.ts
    count = samples = 0
    when = first
    while when < end:
        while pending is not None and pending.ts <= when:
            values[pending.point] = pending.value
            on_observation(pending)
            count += 1
            pending = next(merged, None)
        on_sample(values, when)
        samples += 1
        when += step
        if samples % SAMPLES_PER_TURN == 0:
            await asyncio.sleep(0)
    return Replayed(count, samples, first)

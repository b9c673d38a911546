"""What the power and water tests share: a recorder stepped after the systems it watches.

Not a test module (it holds no tests). `watch` builds a building of the systems under test
and a `Recorder` that keeps, each step, what its `take` reads from the world and the
devices; `run` steps it for some hours. The settling step (no time passes) is not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from penworks.sim.building import Building
from penworks.sim.devices import SimDevice
from penworks.sim.world import System, World
from tests.unit.sim.probing import Passive

T = TypeVar("T")
Row = dict[str, float]


@dataclass
class Recorder(Passive, Generic[T]):
    """Stepped last: keeps what `take` reads after every step in which time passed."""

    take: Callable[[World], T]
    name: str = "recorder"
    rows: list[T] = field(default_factory=list)

    def step(self, world: World) -> None:
        if world.dt > 0:
            self.rows.append(self.take(world))


def watch(
    start: datetime, systems: Sequence[System], take: Callable[[World], T], seed: int = 15
) -> tuple[Building, Recorder[T]]:
    """The systems at `start`, with a recorder of `take` stepped after them."""
    recorder = Recorder(take)
    return Building(start, [*systems, recorder], seed=seed), recorder


def run(
    start: datetime,
    hours: float,
    systems: Sequence[System],
    take: Callable[[World], T],
    seed: int = 15,
) -> list[T]:
    """What `take` read after each step of `hours` from `start`."""
    building, recorder = watch(start, systems, take, seed)
    building.advance_to(start + timedelta(hours=hours))
    return recorder.rows


def moment(world: World) -> Row:
    """A row's time: the local hour of the day and the step's length (s)."""
    return {"hour": world.hour, "dt": world.dt}


def readings(prefix: str, device: SimDevice) -> Row:
    """Every value of a device, as numbers keyed '<prefix>.<point>'."""
    return {f"{prefix}.{key}": float(value) for key, value in device.values.items()}


def mean(rows: Sequence[Row], key: str, start: float, end: float) -> float:
    """The mean of `key` over the rows whose hour lies in [start, end)."""
    values = [r[key] for r in rows if start <= r["hour"] < end]
    return sum(values) / len(values)

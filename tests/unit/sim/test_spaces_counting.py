"""Counting: the entrance counters count the people crossing, missing a few, as real ones do."""

from __future__ import annotations

import math

import pytest

from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.layout import ENTRANCES
from penworks.sim.people import CARPARK, OUTSIDE
from penworks.sim.systems.counting import MISS_RATE, Counting
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, at, working_day

DEVICE = {
    "main": "counter_main_f1_lobby",
    "side": "counter_side_f1_lobby",
    "carpark": "counter_b1_carpark",
}
OUTER = {"main": OUTSIDE, "side": OUTSIDE, "carpark": CARPARK}


def crossings(entrance: str) -> tuple[int, int]:
    """People who really went in and out through an entrance during the recorded day."""
    moves = [m for m in working_day().moves() if m.entrance == entrance]
    ins = sum(m.origin == OUTER[entrance] for m in moves)
    outs = sum(m.to == OUTER[entrance] for m in moves)
    assert ins + outs == len(moves)
    return ins, outs


def within_error(counted: int, true: int, miss_rate: float) -> bool:
    """Counted at most the truth, and no more missed than the rate allows (3 sigma)."""
    slack = miss_rate * true + 3 * math.sqrt(true * miss_rate * (1 - miss_rate)) + 1
    return true - slack <= counted <= true


@pytest.mark.parametrize("entrance", ENTRANCES)
def test_each_counter_counts_its_entrance_within_its_miss_rate(entrance: str) -> None:
    counting = working_day().system("counting")
    assert isinstance(counting, Counting)
    rate = counting.miss_rate(entrance)
    assert MISS_RATE[0] <= rate <= MISS_RATE[1]
    true_in, true_out = crossings(entrance)
    assert true_in > 20
    counter = working_day().building.device(DEVICE[entrance])
    assert within_error(int(counter.get("in_count")), true_in, rate)
    assert within_error(int(counter.get("out_count")), true_out, rate)


def test_the_counters_miss_a_few_over_a_day() -> None:
    day = working_day()
    true = sum(sum(crossings(e)) for e in ENTRANCES)
    counted = sum(
        int(day.building.device(DEVICE[e]).get(k))
        for e in ENTRANCES
        for k in ("in_count", "out_count")
    )
    assert 0 < true - counted < 0.03 * true + 10


def test_occupancy_is_in_less_out_since_the_reset_at_three() -> None:
    for step, values, _ in working_day().snapshots:
        for name in DEVICE.values():
            occupancy = int(values[name]["occupancy"])
            assert occupancy >= 0
            assert occupancy <= int(values[name]["in_count"])
            if step.local.hour == 3 and step.local.minute < 5:
                assert occupancy == 0
    main = working_day().snapshots
    busiest = max(int(v[DEVICE["main"]]["occupancy"]) for _, v, _ in main)
    assert busiest > 20


def test_counters_are_read_only_and_where_the_entrances_are() -> None:
    building = Building(at(WEDNESDAY, 1), [Counting(SEED)], seed=SEED)
    addresses = sorted(str(d.address) for d in building.devices())
    assert addresses == [
        "b15/b1/carpark/counter",
        "b15/f1/lobby/counter_main",
        "b15/f1/lobby/counter_side",
    ]
    with pytest.raises(Refused) as refused:
        building.device(DEVICE["main"]).write("in_count", 0)
    assert refused.value.refusal is Refusal.READ_ONLY

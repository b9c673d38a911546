"""The car park's EV chargers: sessions start with arriving cars and end when they leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ
from penworks.sim.devices import Refusal, Refused
from penworks.sim.people import CARPARK, OUTSIDE
from penworks.sim.systems.ev import MAX_A, PHASE_V, Ev, Status
from penworks.sim.world import World
from tests.unit.sim.power_support import run

TUESDAY = datetime(2026, 3, 10, tzinfo=SITE_TZ)


@dataclass
class Step:
    hour: float
    arrived: set[str]  # EV drivers who drove in this step
    left: set[str]  # drivers who drove out
    status: list[str]
    person: list[str | None]
    power: list[float]
    session: list[float]
    total: list[float]
    ledger_kw: float


def charging(start: datetime, hours: float, ev: Ev | None = None) -> list[Step]:
    """What the chargers and the cars did, step by step."""
    system = ev or Ev(15)
    chargers = system.chargers

    def take(world: World) -> Step:
        cars = [m for m in world.moves if m.by_car]
        return Step(
            hour=world.hour,
            arrived={m.person for m in cars if m.to == CARPARK and system.owns_ev(m.person)},
            left={m.person for m in cars if m.origin == CARPARK and m.to == OUTSIDE},
            status=[str(c.device.get("status")) for c in chargers],
            person=[c.session.person if c.session else None for c in chargers],
            power=[float(c.device.get("power")) for c in chargers],
            session=[float(c.device.get("session_energy")) for c in chargers],
            total=[float(c.device.get("energy_total")) for c in chargers],
            ledger_kw=sum(x.kw for x in world.power.loads if x.system == "ev"),
        )

    return run(start, hours, [system], take)


@pytest.fixture(scope="module")
def day() -> list[Step]:
    return charging(TUESDAY, 24)


def test_sessions_start_with_arriving_cars_and_end_when_they_leave(day: list[Step]) -> None:
    started = 0
    for before, now in zip(day, day[1:], strict=False):
        for i, person in enumerate(now.person):
            if person is not None and before.person[i] != person:
                started += 1
                assert now.status[i] == Status.PREPARING
                waited = any(person in s.arrived for s in day if s.hour <= now.hour)
                assert waited, f"{person} plugged in without arriving"
            if before.person[i] is not None and person != before.person[i]:
                assert before.person[i] in now.left  # unplugged as the driver drove off
                assert person is None or now.status[i] == Status.PREPARING
    assert started >= 6  # more EV drivers than chargers come on a working day
    assert all(s == Status.AVAILABLE for s in day[-1].status)
    assert not any(p for s in day if s.hour < 6 for p in s.power)


def test_a_session_charges_then_finishes_when_the_car_is_full(day: list[Step]) -> None:
    seen = {str(s) for step in day for s in step.status}
    assert seen <= {s.value for s in Status}
    assert {Status.CHARGING, Status.FINISHING} <= seen
    for before, step in zip(day, day[1:], strict=False):
        for status, power in zip(step.status, step.power, strict=True):
            assert (power > 0) == (status == Status.CHARGING)
            assert power <= 3 * MAX_A * PHASE_V / 1000 + 1e-9
        counted_kwh = sum(step.total) - sum(before.total)
        assert step.ledger_kw * 30 / 3600 == pytest.approx(counted_kwh, abs=0.01)


def test_energy_counts_up_within_a_session_and_for_ever(day: list[Step]) -> None:
    for before, now in zip(day, day[1:], strict=False):
        for i in range(len(now.total)):
            assert now.total[i] >= before.total[i]
            if now.person[i] is not None and now.person[i] == before.person[i]:
                assert now.session[i] >= before.session[i]
                added = now.total[i] - before.total[i]
                assert now.session[i] - before.session[i] == pytest.approx(added, abs=0.002)


def test_a_current_limit_caps_the_power() -> None:
    ev = Ev(15)
    for charger in ev.chargers:
        charger.device.write("current_limit", 10)
    steps = charging(TUESDAY + timedelta(hours=7), 4, ev)
    powers = [p for s in steps for p in s.power]
    assert max(powers) > 0
    assert max(powers) <= 3 * 10 * PHASE_V / 1000 + 1e-9


def test_the_charger_refuses_limits_iec_61851_does_not_allow() -> None:
    charger = Ev(15).chargers[0].device
    for amps in (40, 5):
        with pytest.raises(Refused) as refused:
            charger.write("current_limit", amps)
        assert refused.value.refusal is Refusal.OUT_OF_RANGE
    with pytest.raises(Refused) as read_only:
        charger.write("power", 3.0)
    assert read_only.value.refusal is Refusal.READ_ONLY
    assert charger.write("current_limit", 16) == 16

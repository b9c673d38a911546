"""A three-phase energy meter of the twin: its register map and how it turns power into readings.

The product is modelled on the common DIN-rail three-phase meters (an SDM630-style map):
float32 input registers for voltages, currents, powers, power factor, frequency and demand,
and the energy counters as uint32 in units of 10 Wh, so they keep their resolution however
large they grow. A meter is told the true active and reactive power of its circuit each
step; it reports them through its current transformers' gain (1 unless a scenario makes it
drift), splits them over the phases with the circuit's own imbalance, integrates energy
and keeps the 15-minute block demand and the month's peak.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.systems.power_points import reading

METER_MODEL = "PM-630 three-phase energy meter"
PHASES = ("l1", "l2", "l3")
COUNTS_PER_KWH = 100  # the energy registers count 10 Wh
VOLT_DROP_V_PER_KW = 0.01
MAX_DROP_V = 6.0
_PHASE_KEYS = tuple((f"voltage_{p}", f"current_{p}", f"power_{p}") for p in PHASES)


def _counter(key: str, address: int, description: str) -> PointSpec:
    return reading(key, "kWh", address, description, kind="uint32", scale=1 / COUNTS_PER_KWH)


METER = DeviceType(
    METER_MODEL,
    "modbus",
    (
        reading("voltage_l1", "V", 0, "Phase 1 line to neutral voltage"),
        reading("voltage_l2", "V", 2, "Phase 2 line to neutral voltage"),
        reading("voltage_l3", "V", 4, "Phase 3 line to neutral voltage"),
        reading("current_l1", "A", 6, "Phase 1 current"),
        reading("current_l2", "A", 8, "Phase 2 current"),
        reading("current_l3", "A", 10, "Phase 3 current"),
        reading("power_l1", "kW", 12, "Phase 1 active power (negative: export)"),
        reading("power_l2", "kW", 14, "Phase 2 active power (negative: export)"),
        reading("power_l3", "kW", 16, "Phase 3 active power (negative: export)"),
        reading("power", "kW", 52, "Total active power (negative: export)"),
        reading("reactive_power", "kvar", 60, "Total reactive power"),
        reading("power_factor", None, 62, "Total power factor (0..1)"),
        reading("frequency", "Hz", 70, "Supply frequency"),
        _counter("energy_import", 72, "Active energy imported"),
        _counter("energy_export", 74, "Active energy exported"),
        reading("demand", "kW", 84, "Active power demand of the last 15-minute block"),
        reading("peak_demand", "kW", 86, "Highest 15-minute demand this month"),
    ),
)


@dataclass(frozen=True, slots=True)
class Clock:
    """Which 15-minute demand block and which billing month a step ends in."""

    block: int
    month: int


@dataclass(frozen=True, slots=True)
class Supply:
    """The supply as every meter sees it this step: voltage per phase and frequency."""

    volts: tuple[float, float, float]
    hz: float


@dataclass(slots=True)
class ElectricityMeter:
    """One installed meter's state: what it has counted, and how its phases share the load."""

    device: SimDevice
    shares: tuple[float, float, float]  # of the circuit's power per phase, summing to 1
    imported_kwh: float
    exported_kwh: float = 0.0
    block_kwh: float = 0.0
    block_s: float = 0.0
    block: int | None = None  # the 15-minute block being counted
    peak_kw: float = 0.0
    month: int = 0
    gain: float = 1.0  # what the CTs report per unit of true current (drift scenario)

    @classmethod
    def install(cls, device: SimDevice, rng: random.Random) -> ElectricityMeter:
        """A meter with its circuit's phase imbalance and years of energy already counted."""
        a, b = rng.uniform(-0.06, 0.06), rng.uniform(-0.06, 0.06)
        shares = ((1 + a) / 3, (1 + b) / 3, (1 - a - b) / 3)
        return cls(device, shares, imported_kwh=round(rng.uniform(2e4, 8e5), 1))

    def measure(self, kw: float, kvar: float, supply: Supply, dt: float, clock: Clock) -> None:
        """Report a step of the circuit's true power (kW, negative: export; kvar)."""
        kw, kvar = kw * self.gain, kvar * self.gain
        hours = dt / 3600
        if kw >= 0:
            self.imported_kwh += kw * hours
        else:
            self.exported_kwh -= kw * hours
        self._demand(kw, dt, clock)
        apparent = math.hypot(kw, kvar)
        pf = abs(kw) / apparent if apparent > 1e-9 else 1.0
        drop = min(MAX_DROP_V, VOLT_DROP_V_PER_KW * max(kw, 0.0))  # the feeder sags under load
        put = self.device.set  # float32 registers: no rounding needed
        for (volt_key, amp_key, kw_key), share, volts in zip(
            _PHASE_KEYS, self.shares, supply.volts, strict=True
        ):
            put(volt_key, volts - drop)
            put(amp_key, apparent * share * 1000 / (volts - drop))
            put(kw_key, kw * share)
        put("power", kw)
        put("reactive_power", kvar)
        put("power_factor", pf)
        put("frequency", supply.hz)
        put("energy_import", _counted(self.imported_kwh))
        put("energy_export", _counted(self.exported_kwh))

    def _demand(self, kw: float, dt: float, clock: Clock) -> None:
        """Close the block when a new one starts; the month's peak restarts each month."""
        if clock.block != self.block:
            if self.block_s > 0:
                demand = self.block_kwh * 3600 / self.block_s
                if clock.month != self.month:
                    self.month, self.peak_kw = clock.month, 0.0
                self.peak_kw = max(self.peak_kw, demand)
                self.device.set("demand", round(demand, 3))
                self.device.set("peak_demand", round(self.peak_kw, 3))
            self.block, self.block_kwh, self.block_s = clock.block, 0.0, 0.0
        self.block_kwh += kw * dt / 3600
        self.block_s += dt


def _counted(kwh: float) -> float:
    """What the counter register shows: whole counts, never rounded up."""
    return math.floor(kwh * COUNTS_PER_KWH) / COUNTS_PER_KWH

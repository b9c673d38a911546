"""The electricity meters of Building 15: the main incomer and its submeters, over Modbus TCP.

The power system steps last, when every system has drawn its loads on the ledger, and
meters them the way the building is wired: the main incomer sees the whole load plus the
distribution losses, less what the rooftop PV feeds in (a negative import is an export);
each floor's distribution board, each system's (hvac, lighting, plug, lifts, ev, water, it,
security) and each tenant's submeter sees its share. So each partition (floors, systems)
adds up to the main meter's load less the losses, and the tenant meters to at most it.

METER_DRIFT at a meter: its current transformers drift, a gain error that grows slowly
while the scenario lasts, so its readings (and the energy it counts) part from the truth
while the true loads, and so every other meter, keep the balance.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from penworks.sim.devices import SimDevice
from penworks.sim.layout import FLOOR_LEVELS, TENANT_FLOORS
from penworks.sim.physics import DISTRIBUTION_LOSS
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.power_meter import METER, Clock, ElectricityMeter, Supply
from penworks.sim.world import World

GATEWAY = "gw_power"
SWITCHROOM = "b1/elec"
NOMINAL_V = 230.0
NOMINAL_HZ = 50.0
DRIFT_GAIN_PER_H = 0.005  # a drifting meter over-reads 0.5 % more each hour
PV_SYSTEM = "pv"

# Power factor of each kind of load (what the reactive power follows).
POWER_FACTOR: dict[str, float] = {
    "hvac": 0.86,
    "lighting": 0.95,
    "plug": 0.92,
    "lifts": 0.82,
    "ev": 0.99,
    "water": 0.85,
    "it": 0.98,
    "security": 0.93,
}
DEFAULT_POWER_FACTOR = 0.9
SYSTEMS: tuple[str, ...] = tuple(POWER_FACTOR)
FLOORS: tuple[str, ...] = tuple(FLOOR_LEVELS)
TENANTS: tuple[str, ...] = tuple(TENANT_FLOORS)
_KVAR_PER_KW = {s: math.tan(math.acos(pf)) for s, pf in POWER_FACTOR.items()}
_DEFAULT_KVAR_PER_KW = math.tan(math.acos(DEFAULT_POWER_FACTOR))


@dataclass(frozen=True, slots=True)
class MeterSpec:
    """Where a meter is wired: the main incomer, or a floor, system or tenant circuit."""

    name: str
    label: str
    unit: int  # Modbus unit id on the gateway
    partition: str  # main, floor, system, tenant
    circuit: str  # the floor, system or tenant it meters ('' for the main incomer)
    location: str


def meter_specs() -> list[MeterSpec]:
    specs = [MeterSpec("power_meter_main", "Main incomer meter", 1, "main", "", SWITCHROOM)]
    specs += [
        MeterSpec(f"power_meter_{f}", f"Floor {f} board meter", 2 + i, "floor", f, SWITCHROOM)
        for i, f in enumerate(FLOORS)
    ]
    specs += [
        MeterSpec(f"power_meter_{s}", f"{s} submeter", 11 + i, "system", s, SWITCHROOM)
        for i, s in enumerate(SYSTEMS)
    ]
    specs += [
        MeterSpec(f"power_meter_{t}", f"Tenant {t} meter", 21 + i, "tenant", t, TENANT_FLOORS[t])
        for i, t in enumerate(TENANTS)
    ]
    return specs


@dataclass(slots=True)
class _Sums:
    """The ledger of one step, summed the ways the meters are wired."""

    load_kw: float = 0.0
    load_kvar: float = 0.0
    pv_kw: float = 0.0  # generated (positive)
    kw: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    kvar: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))


class Power:
    """The meters: main incomer, floor, system and tenant submeters (Modbus, gw_power)."""

    name = "power"

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:power")
        self.specs = meter_specs()
        self.meters: dict[str, ElectricityMeter] = {}
        for spec in self.specs:
            device = SimDevice(
                name=spec.name,
                label=spec.label,
                type=METER,
                address=spec.unit,
                gateway=GATEWAY,
                location=spec.location,
            )
            self.meters[spec.name] = ElectricityMeter.install(device, rng)
        self._phase_offsets = tuple(rng.uniform(-1.5, 1.5) for _ in range(3))
        self._volts = NOMINAL_V + rng.uniform(-2, 2)
        self._hz = NOMINAL_HZ

    def devices(self) -> list[SimDevice]:
        return [m.device for m in self.meters.values()]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.METER_DRIFT: [s.name for s in self.specs]}

    def step(self, world: World) -> None:
        sums = _sum_ledger(world)
        main_kw = sums.load_kw * (1 + DISTRIBUTION_LOSS) - sums.pv_kw
        main_kvar = sums.load_kvar * (1 + DISTRIBUTION_LOSS)  # the inverter runs at unity PF
        self._grid(world.rng)
        middle = world.local - timedelta(seconds=world.dt / 2)  # the step counts where it lies
        clock = Clock(block=(middle.hour * 60 + middle.minute) // 15, month=middle.month)
        supply = self._supply(world.rng)
        for spec in self.specs:
            meter = self.meters[spec.name]
            if spec.partition == "main":
                kw, kvar = main_kw, main_kvar
            else:
                kw = sums.kw.get((spec.partition, spec.circuit), 0.0)
                kvar = sums.kvar.get((spec.partition, spec.circuit), 0.0)
            meter.gain = _drift_gain(world, spec.name)
            meter.measure(kw, kvar, supply, world.dt, clock)
        world.shared["grid.import_kw"] = round(main_kw, 3)
        world.shared["grid.voltage_v"] = round(self._volts, 1)
        world.shared["grid.freq_hz"] = round(self._hz, 3)
        world.shared["power.load_kw"] = round(sums.load_kw, 3)

    def _grid(self, rng: random.Random) -> None:
        """The utility's voltage and frequency wander a little around nominal."""
        self._volts = NOMINAL_V + 0.97 * (self._volts - NOMINAL_V) + rng.gauss(0, 0.3)
        self._volts = min(NOMINAL_V * 1.05, max(NOMINAL_V * 0.95, self._volts))
        self._hz = NOMINAL_HZ + 0.9 * (self._hz - NOMINAL_HZ) + rng.gauss(0, 0.006)
        self._hz = min(NOMINAL_HZ + 0.2, max(NOMINAL_HZ - 0.2, self._hz))

    def _supply(self, rng: random.Random) -> Supply:
        """Each phase of the switchboard: the grid's voltage, its own offset, a little noise."""
        a, b, c = self._phase_offsets
        v, noise = self._volts, rng.gauss
        return Supply(
            (v + a + noise(0, 0.1), v + b + noise(0, 0.1), v + c + noise(0, 0.1)), self._hz
        )


def _sum_ledger(world: World) -> _Sums:
    sums = _Sums()
    for load in world.power.loads:
        if load.system == PV_SYSTEM:
            sums.pv_kw -= load.kw
            continue
        kvar = load.kw * _KVAR_PER_KW.get(load.system, _DEFAULT_KVAR_PER_KW)
        sums.load_kw += load.kw
        sums.load_kvar += kvar
        keys = [("floor", load.floor), ("system", load.system)]
        if load.tenant is not None:
            keys.append(("tenant", load.tenant))
        for key in keys:
            sums.kw[key] += load.kw
            sums.kvar[key] += kvar
    return sums


def _drift_gain(world: World, meter: str) -> float:
    injection = world.scenarios.at(ScenarioKind.METER_DRIFT, meter)
    if injection is None:
        return 1.0
    rate = float(injection.params.get("gain_per_h", DRIFT_GAIN_PER_H))
    return 1.0 + rate * injection.elapsed_s(world.now) / 3600

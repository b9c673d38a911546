"""The rooftop PV array (80 kWp) and its three-phase string inverter, a SunSpec device.

Output follows the irradiance on the roof: the array's DC power falls with cell temperature
(-0.37 %/K above 25 C; cells run warmer than the air in the sun), the inverter loses a
little at every load and more at low load, clips at its 75 kW rating and honours a power
limit written to its controls (SunSpec model 123). The map is the one SunSpec documents:
"SunS" at 40000, the common model 1 (manufacturer, model, version, serial), the
three-phase inverter model 103 with integer values and scale factors, model 123, and the
end marker, as `penworks.connectors.modbus.sunspec` reads it. What it feeds in is drawn on
the ledger as a negative 'pv' load on the roof.
"""

from __future__ import annotations

import math
import random
from enum import IntEnum

from penworks.core import PointKind
from penworks.sim.devices import DeviceType, ModbusRegister, ModbusType, PointSpec, SimDevice
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems import power_sunspec as sunspec
from penworks.sim.world import World

GATEWAY = "gw_power"
UNIT_ID = 30
MANUFACTURER = "Penworks Twin"
MODEL_NAME = "PV-75K3 string inverter"
FIRMWARE = "2.4.1"

ARRAY_KWP = 80.0
RATED_AC_KW = 75.0
TEMP_COEFF_PER_K = -0.0037
NOCT_C = 45.0  # cell temperature at 800 W/m2, 20 C air
WIRING_AND_SOILING = 0.05
VMP_STC_V = 620.0  # array voltage at the maximum power point, 25 C
VOC_STC_V = 760.0
VOLTAGE_COEFF_PER_K = -0.0032
WAKE_W_M2 = 3.0  # below this the inverter sleeps
START_DC_KW = 0.3  # the inverter feeds in from this much DC power
THERMAL_TAU_S = 900.0

COMMON_HEADER = sunspec.BASE + 2
COMMON_LENGTH = 66
INVERTER_HEADER = COMMON_HEADER + 2 + COMMON_LENGTH  # 40070
INVERTER_LENGTH = 50
CONTROLS_HEADER = INVERTER_HEADER + 2 + INVERTER_LENGTH  # 40122
CONTROLS_LENGTH = 24
END = CONTROLS_HEADER + 2 + CONTROLS_LENGTH  # 40148


class OperatingState(IntEnum):
    """SunSpec inverter operating states (model 103, St)."""

    OFF = 1
    SLEEPING = 2
    STARTING = 3
    MPPT = 4
    THROTTLED = 5
    SHUTTING_DOWN = 6
    FAULT = 7
    STANDBY = 8


def _value(
    key: str,
    offset: int,
    kind: ModbusType,
    scale: float,
    unit: str | None,
    description: str,
    header: int = INVERTER_HEADER,
) -> PointSpec:
    return PointSpec(
        key,
        PointKind.NUMBER,
        unit,
        description,
        modbus=ModbusRegister(3, header + 2 + offset, kind, scale),
    )


def _scale_factor(name: str, offset: int, power: int, header: int = INVERTER_HEADER) -> PointSpec:
    return sunspec.fixed(name, header + 2 + offset, power, "int16", f"SunSpec {name}")


def _inverter_model() -> list[PointSpec]:
    points = [
        _value("ac_current", 0, "uint16", 0.1, "A", "AC current, sum of phases"),
        _value("ac_current_phase_a", 1, "uint16", 0.1, "A", "AC current phase A"),
        _value("ac_current_phase_b", 2, "uint16", 0.1, "A", "AC current phase B"),
        _value("ac_current_phase_c", 3, "uint16", 0.1, "A", "AC current phase C"),
        _scale_factor("a_sf", 4, -1),
        _value("ac_voltage_ab", 5, "uint16", 0.1, "V", "AC voltage AB"),
        _value("ac_voltage_bc", 6, "uint16", 0.1, "V", "AC voltage BC"),
        _value("ac_voltage_ca", 7, "uint16", 0.1, "V", "AC voltage CA"),
        _value("ac_voltage_an", 8, "uint16", 0.1, "V", "AC voltage AN"),
        _value("ac_voltage_bn", 9, "uint16", 0.1, "V", "AC voltage BN"),
        _value("ac_voltage_cn", 10, "uint16", 0.1, "V", "AC voltage CN"),
        _scale_factor("v_sf", 11, -1),
        _value("ac_power", 12, "int16", 0.01, "kW", "AC power fed in (W, scale factor 1)"),
        _scale_factor("w_sf", 13, 1),
        _value("ac_frequency", 14, "uint16", 0.01, "Hz", "AC frequency"),
        _scale_factor("hz_sf", 15, -2),
        _value("ac_apparent_power", 16, "int16", 0.01, "kVA", "AC apparent power"),
        _scale_factor("va_sf", 17, 1),
        _value("ac_reactive_power", 18, "int16", 0.01, "kvar", "AC reactive power"),
        _scale_factor("var_sf", 19, 1),
        _value("ac_power_factor", 20, "int16", 0.1, "%", "AC power factor"),
        _scale_factor("pf_sf", 21, -1),
        _value("ac_energy", 22, "uint32", 0.001, "kWh", "AC energy fed in, lifetime (Wh)"),
        _scale_factor("wh_sf", 24, 0),
        _value("dc_current", 25, "uint16", 0.1, "A", "DC current"),
        _scale_factor("dca_sf", 26, -1),
        _value("dc_voltage", 27, "uint16", 0.1, "V", "DC voltage"),
        _scale_factor("dcv_sf", 28, -1),
        _value("dc_power", 29, "int16", 0.01, "kW", "DC power"),
        _scale_factor("dcw_sf", 30, 1),
        _value("cabinet_temperature", 31, "int16", 0.1, "degC", "Cabinet temperature"),
        _value("heat_sink_temperature", 32, "int16", 0.1, "degC", "Heat sink temperature"),
        sunspec.fixed("tmp_trns", INVERTER_HEADER + 2 + 33, sunspec.NOT_IMPLEMENTED_INT16, "int16"),
        sunspec.fixed("tmp_ot", INVERTER_HEADER + 2 + 34, sunspec.NOT_IMPLEMENTED_INT16, "int16"),
        _scale_factor("tmp_sf", 35, -1),
        _value("operating_state", 36, "uint16", 1.0, None, "Operating state (SunSpec St)"),
        _value("event_flags", 38, "uint32", 1.0, None, "Event flags (SunSpec Evt1)"),
    ]
    return sunspec.model("inverter", 103, INVERTER_HEADER, INVERTER_LENGTH, points)


def _controls_model() -> list[PointSpec]:
    data = CONTROLS_HEADER + 2

    def switch(key: str, offset: int, default: bool, what: str) -> PointSpec:
        register = ModbusRegister(3, data + offset, "uint16")  # an enum16 of 0 and 1
        return PointSpec(key, PointKind.BOOL, None, what, True, default=default, modbus=register)

    points = [
        sunspec.fixed("conn_win_tms", data + 0, 0),
        sunspec.fixed("conn_rvrt_tms", data + 1, 0),
        switch("connect", 2, True, "Connected to the grid (SunSpec Conn)"),
        PointSpec(
            "power_limit",
            PointKind.NUMBER,
            "%",
            "Power limit, % of rating (SunSpec WMaxLimPct)",
            writable=True,
            min=0,
            max=100,
            default=100.0,
            modbus=ModbusRegister(3, data + 3, "uint16"),
        ),
        sunspec.fixed("wmaxlimpct_win_tms", data + 4, 0),
        sunspec.fixed("wmaxlimpct_rvrt_tms", data + 5, 0),
        sunspec.fixed("wmaxlimpct_rmp_tms", data + 6, 0),
        switch("power_limit_enabled", 7, False, "Power limit in force (SunSpec WMaxLim_Ena)"),
        sunspec.fixed("wmaxlimpct_sf", data + 21, 0, "int16"),
    ]
    return sunspec.model("controls", 123, CONTROLS_HEADER, CONTROLS_LENGTH, points)


def _common_model() -> list[PointSpec]:
    data = COMMON_HEADER + 2
    points = [
        *sunspec.text("mn", data, MANUFACTURER, 16),
        *sunspec.text("md", data + 16, MODEL_NAME, 16),
        *sunspec.text("opt", data + 32, "", 8),
        *sunspec.text("vr", data + 40, FIRMWARE, 8),
        *sunspec.text("sn", data + 48, "", 16),  # each unit writes its own
        sunspec.fixed("da", data + 64, UNIT_ID),
        sunspec.fixed("pad", data + 65, 0x8000),
    ]
    return sunspec.model("common", 1, COMMON_HEADER, COMMON_LENGTH, points)


INVERTER = DeviceType(
    MODEL_NAME,
    "modbus",
    (
        *sunspec.marker(),
        *_common_model(),
        *_inverter_model(),
        *_controls_model(),
        *sunspec.end(END),
    ),
    vendor=MANUFACTURER,
)


def cell_temperature(air_c: float, irradiance: float) -> float:
    return air_c + irradiance * (NOCT_C - 20.0) / 800.0


def dc_power_kw(irradiance: float, air_c: float) -> float:
    """What the array gives at its maximum power point."""
    cell = cell_temperature(air_c, irradiance)
    derate = 1 + TEMP_COEFF_PER_K * (cell - 25.0)
    return max(0.0, ARRAY_KWP * irradiance / 1000 * derate * (1 - WIRING_AND_SOILING))


def inverter_loss_kw(dc_kw: float) -> float:
    """Standby, switching and conduction losses: about 97.5 % at half load, less when low."""
    return 0.15 + 0.012 * dc_kw + 0.00012 * dc_kw**2


class Pv:
    """The PV inverter on gw_power (SunSpec); draws its output as negative 'pv' load."""

    name = "pv"

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:pv")
        self.inverter = SimDevice(
            name="pv_inverter",
            label=f"{MANUFACTURER} {MODEL_NAME}",
            type=INVERTER,
            address=UNIT_ID,
            gateway=GATEWAY,
            location="roof/roof",
        )
        serial = f"PV75K{rng.randint(100000, 999999)}"
        for i, word in enumerate(sunspec.text_words(serial, 16)):
            self.inverter.set(f"{sunspec.STRUCTURE_PREFIX}sn_{i}", word)
        self.serial = serial
        self.energy_kwh = round(rng.uniform(150_000, 250_000), 3)  # years on the roof
        self.state = OperatingState.SLEEPING
        self.cabinet_c = math.nan  # settles on the first step
        self.heat_sink_c = math.nan

    def devices(self) -> list[SimDevice]:
        return [self.inverter]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def step(self, world: World) -> None:
        irradiance = max(0.0, world.weather.solar_w_m2)
        air = world.weather.temp_c
        dc_kw, ac_kw, state = self._operate(irradiance, air)
        self.state = state
        self.energy_kwh += ac_kw * world.dt / 3600
        self._temperatures(air, ac_kw, world.dt)
        self._publish(world, irradiance, air, dc_kw, ac_kw)
        if ac_kw > 0:
            world.power.draw(-ac_kw, "pv", "roof")
        world.shared["pv.power_kw"] = round(ac_kw, 3)

    def _operate(self, irradiance: float, air: float) -> tuple[float, float, OperatingState]:
        """(DC kW, AC kW, state) for this step."""
        device = self.inverter
        if not device.get("connect"):
            return 0.0, 0.0, OperatingState.OFF
        if irradiance < WAKE_W_M2:
            return 0.0, 0.0, OperatingState.SLEEPING
        available = dc_power_kw(irradiance, air)
        if available < START_DC_KW:
            return 0.0, 0.0, OperatingState.STANDBY
        if self.state in (OperatingState.SLEEPING, OperatingState.STANDBY, OperatingState.OFF):
            return 0.0, 0.0, OperatingState.STARTING  # grid checks before it feeds in
        ac = available - inverter_loss_kw(available)
        ceiling = RATED_AC_KW
        if device.get("power_limit_enabled"):
            ceiling = min(ceiling, RATED_AC_KW * float(device.get("power_limit")) / 100)
        if ac <= ceiling:
            return available, max(0.0, ac), OperatingState.MPPT
        ac = ceiling  # off the maximum power point: the array gives only what is fed in
        return ac + inverter_loss_kw(ac), ac, OperatingState.THROTTLED

    def _temperatures(self, air: float, ac_kw: float, dt: float) -> None:
        load = ac_kw / RATED_AC_KW
        cabinet_target = air + 4.0 + 12.0 * load
        sink_target = air + 3.0 + 28.0 * load
        if math.isnan(self.cabinet_c):
            self.cabinet_c, self.heat_sink_c = cabinet_target, sink_target
        k = 1 - math.exp(-dt / THERMAL_TAU_S)
        self.cabinet_c += (cabinet_target - self.cabinet_c) * k
        self.heat_sink_c += (sink_target - self.heat_sink_c) * k

    def _publish(
        self, world: World, irradiance: float, air: float, dc_kw: float, ac_kw: float
    ) -> None:
        device = self.inverter
        grid_v = float(world.shared.get("grid.voltage_v", 230.0))
        volts = grid_v + 0.02 * ac_kw  # feeding in lifts the voltage at the terminals a little
        feeding = ac_kw > 0
        phase_a = ac_kw * 1000 / (3 * volts) if feeding else 0.0
        hz = float(world.shared.get("grid.freq_hz", 50.0)) if feeding else 0.0
        device.set("ac_current", round(3 * phase_a, 1))
        for phase, skew in (("a", 1.004), ("b", 0.998), ("c", 0.998)):
            device.set(f"ac_current_phase_{phase}", round(phase_a * skew, 1))
        for phase in ("an", "bn", "cn"):
            device.set(f"ac_voltage_{phase}", round(volts, 1))
        for pair in ("ab", "bc", "ca"):
            device.set(f"ac_voltage_{pair}", round(volts * math.sqrt(3), 1))
        device.set("ac_power", round(ac_kw, 2))
        device.set("ac_apparent_power", round(ac_kw, 2))
        device.set("ac_reactive_power", 0.0)
        device.set("ac_power_factor", 100.0 if feeding else 0.0)
        device.set("ac_frequency", round(hz, 2))
        device.set("ac_energy", round(self.energy_kwh, 3))
        dc_v = self._dc_voltage(irradiance, air)
        device.set("dc_voltage", round(dc_v, 1))
        device.set("dc_current", round(dc_kw * 1000 / dc_v, 1) if dc_v > 0 else 0.0)
        device.set("dc_power", round(dc_kw, 2))
        device.set("cabinet_temperature", round(self.cabinet_c, 1))
        device.set("heat_sink_temperature", round(self.heat_sink_c, 1))
        device.set("operating_state", int(self.state))

    def _dc_voltage(self, irradiance: float, air: float) -> float:
        if irradiance < WAKE_W_M2:
            return 0.0
        cell = cell_temperature(air, irradiance)
        factor = 1 + VOLTAGE_COEFF_PER_K * (cell - 25.0)
        if self.state in (OperatingState.MPPT, OperatingState.THROTTLED):
            return VMP_STC_V * factor
        return VOC_STC_V * factor * min(1.0, 0.85 + irradiance / 2000)  # open circuit

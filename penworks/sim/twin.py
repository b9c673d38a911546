"""The Building 15 twin's state: zones, AHU and meters advanced in fixed steps of simulated time.

``advance_to`` steps the physics up to an instant; ``payloads`` gives what every device would
publish then; ``apply_command`` is what a device does with a command it receives.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from penworks.core import utc
from penworks.sim.layout import AHU_TOPIC, METERS, ZONES, ZoneSpec
from penworks.sim.occupancy import Occupancy
from penworks.sim.physics import (
    COOLING_SUPPLY_C,
    HEATING_BELOW_DAILY_MEAN_C,
    HEATING_SUPPLY_C,
    Ahu,
    Meters,
    Zone,
    step_zone,
    update_lights,
    update_meters,
)
from penworks.sim.weather import Weather

SITE_TZ = ZoneInfo("Asia/Shanghai")
STEP_S = 30.0
AHU_ON_HOUR = 7.0
AHU_OFF_HOUR = 20.0
SETPOINT_RANGE = (16.0, 30.0)
LEVEL_RANGE = (0.0, 100.0)


@dataclass(frozen=True, slots=True)
class CommandResult:
    ok: bool
    detail: str


class Twin:
    """Deterministic for a seed and a start time."""

    def __init__(self, start: datetime, seed: int = 15, zones: tuple[ZoneSpec, ...] = ZONES):
        self.now = utc(start)
        self.weather = Weather(seed)
        self.occupancy = Occupancy(zones, seed)
        rng = random.Random(seed)
        outdoor = self.weather.at(self.now.astimezone(SITE_TZ))
        indoor = min(28.0, max(17.0, outdoor.daily_mean_c + 3))  # a building left to itself
        self.zones = [Zone(z, temp_c=indoor + rng.uniform(-1, 1)) for z in zones]
        self._by_topic = {z.spec.topic: z for z in self.zones}
        self.ahu = Ahu()
        self.meters = Meters()
        self._settle(self.now)

    def advance_to(self, when: datetime) -> None:
        """Step the physics from the current instant up to `when` in fixed steps."""
        step = timedelta(seconds=STEP_S)
        while self.now + step <= when:
            self.now += step
            self._step(self.now, STEP_S)

    def _step(self, now: datetime, dt: float) -> None:
        local = now.astimezone(SITE_TZ)
        weather = self.weather.at(local)
        self._run_ahu(local, weather.daily_mean_c)
        reheat_w = 0.0
        for zone in self.zones:
            occupied_before = zone.people > 0
            zone.people = self.occupancy.people(zone.spec, local)
            update_lights(zone, occupied_before, weather)
            reheat_w += step_zone(zone, self.ahu, weather, dt)
        update_meters(self.meters, self.zones, self.ahu, reheat_w, weather.temp_c, dt)

    def _settle(self, now: datetime) -> None:
        """Initial occupancy, lights and meter powers, without advancing time."""
        self._step(now, 0.0)

    def _run_ahu(self, local: datetime, daily_mean_c: float) -> None:
        hour = local.hour + local.minute / 60
        self.ahu.fan_on = local.weekday() < 5 and AHU_ON_HOUR <= hour < AHU_OFF_HOUR
        self.ahu.heating = daily_mean_c < HEATING_BELOW_DAILY_MEAN_C
        self.ahu.supply_c = HEATING_SUPPLY_C if self.ahu.heating else COOLING_SUPPLY_C

    def payloads(self) -> dict[str, dict[str, Any]]:
        """Topic -> JSON object that every device publishes at the current instant."""
        ts = self.now.isoformat()
        out: dict[str, dict[str, Any]] = {}
        for z in self.zones:
            out[f"{z.spec.topic}/hvac"] = {
                "ts": ts,
                "temp": round(z.temp_c, 2),
                "setpoint": z.setpoint_c,
                "damper": round(z.damper_pct, 1),
                "airflow": round(z.airflow_ls, 1),
                "co2": round(z.co2_ppm),
            }
            out[f"{z.spec.topic}/light"] = {
                "ts": ts,
                "level": round(z.light_pct, 1),
                "occupied": z.people > 0,
                "lux": round(z.lux),
            }
        weather = self.weather.at(self.now.astimezone(SITE_TZ))
        out[AHU_TOPIC] = {
            "ts": ts,
            "sat": self.ahu.supply_c if self.ahu.fan_on else round(weather.temp_c, 2),
            "fan": self.ahu.fan_on,
            "oat": round(weather.temp_c, 2),
        }
        for meter in METERS:
            out[f"b15/meter/{meter}"] = {
                "ts": ts,
                "power": round(self.meters.power_kw.get(meter, 0.0), 3),
                "energy": round(self.meters.energy_kwh.get(meter, 0.0), 3),
            }
        return out

    def apply_command(self, topic: str, payload: bytes) -> CommandResult:
        """What a zone controller does with a command on `<zone>/hvac/set` or `<zone>/light/set`."""
        base, _, device = topic.removesuffix("/set").rpartition("/")
        zone = self._by_topic.get(base)
        if zone is None or device not in ("hvac", "light"):
            return CommandResult(False, f"no device at {topic}")
        try:
            body = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return CommandResult(False, "payload is not JSON")
        key, limits = ("setpoint", SETPOINT_RANGE) if device == "hvac" else ("level", LEVEL_RANGE)
        if not isinstance(body, dict) or key not in body:
            return CommandResult(False, f"expected a JSON object with {key!r}")
        value = body[key]
        if device == "light" and value is None:  # relinquish: back to automatic control
            zone.light_override = None
            return CommandResult(True, "level relinquished")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return CommandResult(False, f"{key} must be a number")
        if not limits[0] <= value <= limits[1]:
            return CommandResult(False, f"{key} {value} outside {limits[0]}..{limits[1]}")
        if device == "hvac":
            zone.setpoint_c = float(value)
        else:
            zone.light_override = float(value)
            zone.light_pct = float(value)
        return CommandResult(True, f"{key} set to {value}")

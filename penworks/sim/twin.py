"""Building 15, the twin: every vertical system, in the order its physics needs.

Fire first (everyone reacts to an alarm), then the air and water sides of HVAC (zone
temperatures, CO2 and humidity that the sensors read), the loads of people and lights, the
people-facing and security systems, and the meters last, when every load has been drawn.
`controls` chooses how the local controllers run the building (see controls.Controls); the
weather and the people are the same whichever it is.
"""

from __future__ import annotations

from datetime import datetime

from penworks.sim.building import SITE_TZ, STEP_S, Building
from penworks.sim.controls import Controls
from penworks.sim.systems.access import Access
from penworks.sim.systems.backup import Backup
from penworks.sim.systems.blinds import Blinds
from penworks.sim.systems.cctv import Cctv
from penworks.sim.systems.counting import Counting
from penworks.sim.systems.elevators import Elevators
from penworks.sim.systems.environment import Environment
from penworks.sim.systems.ev import Ev
from penworks.sim.systems.fcu import Fcu
from penworks.sim.systems.fire import Fire
from penworks.sim.systems.hvac_air import HvacAir
from penworks.sim.systems.hvac_water import HvacWater
from penworks.sim.systems.intrusion import Intrusion
from penworks.sim.systems.lighting import Lighting
from penworks.sim.systems.meeting import Meeting
from penworks.sim.systems.parking import Parking
from penworks.sim.systems.plugs import Plugs
from penworks.sim.systems.positioning import Positioning
from penworks.sim.systems.power import Power
from penworks.sim.systems.pv import Pv
from penworks.sim.systems.screens import Screens
from penworks.sim.systems.ventilation import Ventilation
from penworks.sim.systems.water import Water
from penworks.sim.systems.weather_station import WeatherStation
from penworks.sim.truth import GroundTruth
from penworks.sim.world import System

__all__ = ["SITE_TZ", "STEP_S", "Controls", "building15", "systems"]


def systems(seed: int, controls: Controls = Controls.LOCAL) -> list[System]:
    """Every system of Building 15, in step order."""
    return [
        Fire(seed),
        HvacAir(seed, controls),
        HvacWater(seed),
        Ventilation(seed, controls),
        Fcu(seed),
        Plugs(seed),
        Lighting(seed, controls),
        Blinds(seed),
        Environment(seed),
        Elevators(seed),
        Access(seed),
        Intrusion(seed),
        Cctv(seed),
        Counting(seed),
        Positioning(seed),
        Parking(seed),
        Ev(seed),
        Meeting(seed),
        Screens(seed),
        WeatherStation(seed),
        Water(seed),
        Pv(seed),
        Backup(seed),
        Power(seed),
    ]


def building15(
    start: datetime,
    seed: int = 15,
    truth: GroundTruth | None = None,
    controls: Controls = Controls.LOCAL,
) -> Building:
    """Building 15 at `start`, deterministic for the seed (and the controls)."""
    return Building(start, systems(seed, controls), seed=seed, truth=truth)

"""A system that owns no devices and acts out no scenarios: what test probes build on."""

from __future__ import annotations

from penworks.sim.devices import SimDevice
from penworks.sim.scenarios import ScenarioKind


class Passive:
    """Mix into a probe: it reads other systems each step and has nothing of its own."""

    def devices(self) -> list[SimDevice]:
        return []

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

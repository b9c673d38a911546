"""Screens: the lobby's information screen and the exhibition hall's media.

The lobby screen ('b15/f1/lobby/screen'), two laser projectors ('b15/f1/hall/projector1',
'projector2'), a video wall ('.../videowall') and the audio system ('.../audio'), all MQTT.
A schedule switches them on when the hall opens (09:00 on working days) and off when it
closes (18:00); in between, what the platform writes (power, content, volume) holds until
the next switch of the schedule. Projectors warm up before showing and cool down before
standby, and count their light-source hours. Everything draws on the ground floor's plug
circuit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from penworks.core import PointKind, Value
from penworks.sim.devices import DeviceType, PointSpec, Refusal, Refused, SimDevice
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.spaces_common import mqtt_device, working_hours
from penworks.sim.world import World

OPEN_H = (9.0, 18.0)
WARM_UP_S = 45.0
COOL_DOWN_S = 90.0
CONTENT_MAX_CHARS = 64


def _power() -> PointSpec:
    return PointSpec(
        "power", PointKind.BOOL, description="On (true) or standby", writable=True, default=False
    )


def _content(default: str) -> PointSpec:
    return PointSpec(
        "content",
        PointKind.TEXT,
        description="Playlist or source shown",
        writable=True,
        default=default,
    )


def _status(states: str) -> PointSpec:
    return PointSpec("status", PointKind.TEXT, description=states, default="standby")


def _power_w() -> PointSpec:
    return PointSpec("power_w", unit="W", description="Power drawn")


SIGNAGE = DeviceType(
    "DS-86 digital signage display",
    "mqtt",
    (_power(), _content("welcome"), _status("on or standby"), _power_w()),
    vendor="Vivid Media",
)
VIDEO_WALL = DeviceType(
    "VW-3x3 video wall controller",
    "mqtt",
    (_power(), _content("park_showcase"), _status("on or standby"), _power_w()),
    vendor="Vivid Media",
)
PROJECTOR = DeviceType(
    "LP-7000 laser projector",
    "mqtt",
    (
        _power(),
        _content("exhibition_loop"),
        _status("warming, on, cooling or standby"),
        PointSpec("lamp_hours", unit="h", description="Light-source hours"),
        _power_w(),
    ),
    vendor="Vivid Media",
)
AUDIO = DeviceType(
    "AS-400 hall audio system",
    "mqtt",
    (
        _power(),
        _content("ambient"),
        _status("playing or standby"),
        PointSpec(
            "volume",
            unit="%",
            description="Master volume",
            writable=True,
            min=0.0,
            max=100.0,
            default=35.0,
        ),
        _power_w(),
    ),
    vendor="Vivid Media",
)

# Watts on, and in standby.
_ON_W = {"screen": 300.0, "videowall": 1800.0, "projector": 420.0, "audio": 120.0}
_STANDBY_W = {"screen": 0.5, "videowall": 5.0, "projector": 0.5, "audio": 2.0}
PROJECTOR_COOLING_W = 120.0
AUDIO_W_PER_VOLUME_PCT = 3.0


@dataclass(slots=True)
class _Screen:
    kind: str  # screen, videowall, projector, audio
    device: SimDevice
    on: bool = False  # what the device is doing (power is what it was told)
    since_s: float = 1e9  # since it last switched
    lamp_hours: float = 0.0


class Screens:
    name = "screens"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = random.Random(f"{seed}:screens")
        lobby, hall = ("f1", "lobby"), ("f1", "hall")
        self._screens = [
            _Screen("screen", mqtt_device(lobby, "screen", "Lobby information screen", SIGNAGE)),
            _Screen("projector", mqtt_device(hall, "projector1", "Hall projector 1", PROJECTOR)),
            _Screen("projector", mqtt_device(hall, "projector2", "Hall projector 2", PROJECTOR)),
            _Screen("videowall", mqtt_device(hall, "videowall", "Hall video wall", VIDEO_WALL)),
            _Screen("audio", mqtt_device(hall, "audio", "Hall audio system", AUDIO)),
        ]
        for screen in self._screens:
            screen.device.on_write = _check_content
            if screen.kind == "projector":
                screen.lamp_hours = rng.uniform(800.0, 4000.0)
        self._open: bool | None = None

    def devices(self) -> list[SimDevice]:
        return [s.device for s in self._screens]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def step(self, world: World) -> None:
        is_open = working_hours(world.local, *OPEN_H)
        if is_open != self._open:  # the schedule switches; writes in between hold
            self._open = is_open
            for screen in self._screens:
                screen.device.set("power", is_open)
        watts = sum(self._step_screen(s, world.dt) for s in self._screens)
        world.power.draw(watts / 1000, "plug", "f1")

    def _step_screen(self, s: _Screen, dt: float) -> float:
        """Follow the power command; the watts drawn."""
        wanted = bool(s.device.get("power"))
        if wanted != s.on:
            s.on, s.since_s = wanted, 0.0
        else:
            s.since_s += dt
        status, watts = self._state(s)
        if s.kind == "projector":
            if s.on:
                s.lamp_hours += dt / 3600
            s.device.set("lamp_hours", round(s.lamp_hours, 2))
        s.device.set("status", status)
        s.device.set("power_w", round(watts, 1))
        return watts

    @staticmethod
    def _state(s: _Screen) -> tuple[str, float]:
        if s.kind == "projector":
            if s.on:
                return ("warming" if s.since_s < WARM_UP_S else "on"), _ON_W["projector"]
            if s.since_s < COOL_DOWN_S:
                return "cooling", PROJECTOR_COOLING_W
            return "standby", _STANDBY_W["projector"]
        if not s.on:
            return "standby", _STANDBY_W[s.kind]
        if s.kind == "audio":
            volume = float(s.device.get("volume"))
            return "playing", _ON_W["audio"] + AUDIO_W_PER_VOLUME_PCT * volume
        return "on", _ON_W[s.kind]


def _check_content(key: str, value: Value | None) -> None:
    if key != "content" or value is None:
        return
    if not str(value).strip() or len(str(value)) > CONTENT_MAX_CHARS:
        raise Refused(
            Refusal.OUT_OF_RANGE, f"content takes a name of 1-{CONTENT_MAX_CHARS} characters"
        )

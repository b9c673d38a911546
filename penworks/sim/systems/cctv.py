"""CCTV: the smart cameras of Building 15 as the video management system reports them.

Each camera counts the people in its space (missing a few in a crowd), raises a person
detection for everyone who walks into view, a vehicle detection at the car park gate for
every car through it, smoke and then fire when a room it watches burns (steam from a
nuisance fools its smoke analytics at low confidence), and an intrusion alert for anyone in
view of an armed restricted area (the intruder included). Streams are 25 fps; the bitrate
follows what moves in the picture and the sensor noise at night. Cameras drop off the
network now and then, and someone knocks one askew (tamper) more rarely. Frames come later.

Reads '<place>.armed' (intrusion). Draws the cameras, the NVR and the PoE switch on f1.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from penworks.sim.devices import SimDevice
from penworks.sim.layout import CAMERAS
from penworks.sim.people import place
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.security_products import CAMERA
from penworks.sim.world import World

FPS = 25.0
BASE_KBPS, PER_PERSON_KBPS, NIGHT_KBPS, MAX_KBPS = 2048.0, 90.0, 700.0, 8192.0
SMOKE_SEEN_S, FLAME_SEEN_S = 90.0, 300.0  # after ignition
STEAM_SEEN_S = 120.0
GATE_CAMERA = "carpark_gate"
MEAN_OFFLINE_INTERVAL_S = 5 * 86400.0
OFFLINE_MIN = (5.0, 90.0)
MEAN_TAMPER_INTERVAL_S = 20 * 86400.0
TAMPER_MIN = (2.0, 20.0)
CAMERA_KW, NVR_KW, SWITCH_KW = 0.012, 0.18, 0.06


@dataclass(slots=True)
class Camera:
    id: str
    place: str
    device: SimDevice
    detections: int = 0
    alert: str = ""
    intruder_seen: bool = False
    offline_until: datetime | None = None
    tamper_until: datetime | None = None
    armed_key: str = field(init=False)  # the intrusion area's shared reading, if any

    def __post_init__(self) -> None:
        self.armed_key = f"{self.place}.armed"


class Cctv:
    name = "cctv"

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"{seed}:cctv")
        self.cameras = [
            Camera(
                cam,
                place(floor, space),
                SimDevice(
                    f"camera_{cam}",
                    f"Camera {cam}",
                    CAMERA,
                    f"b15/{floor}/{space}/camera_{cam}",
                    location=place(floor, space),
                ),
            )
            for cam, floor, space in CAMERAS
        ]

    def devices(self) -> list[SimDevice]:
        return [c.device for c in self.cameras]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}  # it sees the fire, nuisance and intruder scenarios of other systems

    def step(self, world: World) -> None:
        self._mishaps(world)
        walked_in = Counter(m.to for m in world.moves)
        cars = sum(1 for m in world.moves if m.by_car)
        night = world.hour >= 19 or world.hour < 6
        for camera in self.cameras:
            if camera.offline_until is not None:
                self._offline(camera)
                continue
            self._see(camera, walked_in[camera.place], cars, night, world)
        world.power.draw(CAMERA_KW * len(self.cameras) + NVR_KW + SWITCH_KW, "security", "f1")

    def _mishaps(self, world: World) -> None:
        for camera in self.cameras:
            if camera.offline_until is not None and camera.offline_until <= world.now:
                camera.offline_until = None
            if camera.tamper_until is not None and camera.tamper_until <= world.now:
                camera.tamper_until = None
        if world.dt <= 0:
            return
        if self._rng.random() < world.dt / MEAN_OFFLINE_INTERVAL_S:
            camera = self._rng.choice(self.cameras)
            camera.offline_until = world.now + timedelta(minutes=self._rng.uniform(*OFFLINE_MIN))
        if self._rng.random() < world.dt / MEAN_TAMPER_INTERVAL_S:
            camera = self._rng.choice(self.cameras)
            camera.tamper_until = world.now + timedelta(minutes=self._rng.uniform(*TAMPER_MIN))

    def _offline(self, camera: Camera) -> None:
        d = camera.device
        d.set("online", False)
        d.set("recording", False)
        d.set("fps", 0.0)
        d.set("bitrate", 0)
        d.set("people", 0)

    def _see(self, camera: Camera, walked_in: int, cars: int, night: bool, world: World) -> None:
        d, rng = camera.device, world.rng
        intruder = world.scenarios.at(ScenarioKind.INTRUDER, camera.place) is not None
        present = world.people.in_place(camera.place) + (1 if intruder else 0)
        seen = present - int(present * rng.uniform(0.0, 0.08)) if present > 3 else present
        new_people = walked_in + (1 if intruder and not camera.intruder_seen else 0)
        camera.intruder_seen = intruder
        if new_people:
            self._detect(camera, "person", rng.uniform(0.82, 0.98), new_people)
        if camera.id == GATE_CAMERA and cars:
            self._detect(camera, "vehicle", rng.uniform(0.9, 0.99), cars)
        smoke, flame = self._fire(camera, world)
        armed = world.shared.get(camera.armed_key) is True
        alert = "fire" if flame else "smoke" if smoke else "intrusion" if armed and seen > 0 else ""
        camera.alert = alert
        kbps = BASE_KBPS + PER_PERSON_KBPS * min(seen, 40) + (NIGHT_KBPS if night else 0.0)
        kbps += 800.0 if smoke else 0.0  # smoke and flicker defeat the encoder's prediction
        d.set("online", True)
        d.set("recording", True)
        d.set("fps", FPS)
        d.set("bitrate", int(min(MAX_KBPS, kbps * rng.uniform(0.93, 1.07))))
        d.set("people", seen)
        d.set("alert", alert)
        d.set("tamper", camera.tamper_until is not None)

    def _fire(self, camera: Camera, world: World) -> tuple[bool, bool]:
        """Whether the camera sees smoke, and flames, in its space now (raising detections)."""
        smoke = flame = False
        fire = world.scenarios.at(ScenarioKind.FIRE, camera.place)
        if fire is not None:
            elapsed = fire.elapsed_s(world.now)
            smoke, flame = elapsed >= SMOKE_SEEN_S, elapsed >= FLAME_SEEN_S
            confidence = min(0.97, 0.55 + elapsed / 1000.0)
            if flame and camera.alert != "fire":
                self._detect(camera, "fire", confidence, 1)
            elif smoke and camera.alert not in ("smoke", "fire"):
                self._detect(camera, "smoke", confidence, 1)
        steam = world.scenarios.at(ScenarioKind.NUISANCE_SMOKE, camera.place)
        if steam is not None and steam.elapsed_s(world.now) >= STEAM_SEEN_S:
            if not smoke and camera.alert not in ("smoke", "fire"):
                self._detect(camera, "smoke", world.rng.uniform(0.35, 0.55), 1)
            smoke = True
        return smoke, flame

    def _detect(self, camera: Camera, label: str, confidence: float, count: int) -> None:
        camera.detections += count
        d = camera.device
        d.set("last_detection", label)
        d.set("confidence", round(confidence, 2))
        d.set("detections", camera.detections)

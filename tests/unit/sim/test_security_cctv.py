"""Smart cameras: people counted in their space, vehicles at the gate, smoke and fire seen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.sim.devices import Refusal, Refused
from penworks.sim.systems import cctv as cctv_module
from penworks.sim.systems.cctv import Cctv
from penworks.sim.world import World
from tests.unit.sim.test_security_support import MONDAY, Probe, at, building, logged_day, run_until


def test_cameras_count_the_people_in_their_space_and_detect_who_walks_in() -> None:
    cctv = Cctv(15)
    peaks: dict[str, int] = {}
    detections = {c.id: 0 for c in cctv.cameras}
    expected = {c.id: 0 for c in cctv.cameras}

    def look(world: World) -> None:
        for camera in cctv.cameras:
            d = camera.device
            if d.get("online") is not True:
                continue
            true = world.people.in_place(camera.place)
            seen = int(d.get("people"))
            assert true - max(1, true // 10) <= seen <= true
            peaks[camera.id] = max(peaks.get(camera.id, 0), seen)
            expected[camera.id] += sum(1 for m in world.moves if m.to == camera.place)
            if camera.id == "carpark_gate":
                expected[camera.id] += sum(1 for m in world.moves if m.by_car)
            detections[camera.id] = int(d.get("detections"))

    b = building([cctv], at(MONDAY, 6.0), probe=Probe(look))
    run_until(b, at(MONDAY, 20.0))
    assert peaks["f4"] > 20
    assert peaks["lobby"] > 3
    assert detections == expected
    gate = next(c for c in cctv.cameras if c.id == "carpark_gate").device
    assert gate.get("last_detection") in ("vehicle", "person")


@pytest.mark.parametrize("place", ["f1/hall", "b1/carpark", "f3/r301"])
def test_a_fire_in_view_shows_smoke_then_flames_and_clears_after(place: str) -> None:
    cctv = Cctv(15)
    b = building([cctv], at(MONDAY, 2.8))
    start = at(MONDAY, 3.0)
    fire = b.inject("fire", place, start, duration_s=900)
    cameras = [c.device for c in cctv.cameras if c.place == place]
    run_until(b, start + timedelta(seconds=150))
    for d in cameras:
        assert (d.get("last_detection"), d.get("alert")) == ("smoke", "smoke")
    run_until(b, start + timedelta(minutes=6))
    for d in cameras:
        assert (d.get("last_detection"), d.get("alert")) == ("fire", "fire")
        assert float(d.get("confidence")) > 0.8
    run_until(b, fire.end + timedelta(minutes=1))
    assert all(d.get("alert") == "" for d in cameras)
    others = [c.device for c in cctv.cameras if c.place != place]
    assert all(d.get("last_detection") not in ("smoke", "fire") for d in others)


def test_steam_fools_the_smoke_analytics_only_at_low_confidence() -> None:
    cctv = Cctv(15)
    b = building([cctv], at(MONDAY, 12.0))
    start = at(MONDAY, 12.1)
    steam = b.inject("nuisance_smoke", "f1/lobby", start, duration_s=600)
    run_until(b, start + timedelta(minutes=3))
    lobby = [c.device for c in cctv.cameras if c.place == "f1/lobby"]
    for d in lobby:
        assert d.get("alert") == "smoke"
    run_until(b, steam.end + timedelta(minutes=1))
    assert all(d.get("alert") == "" for d in lobby)


def test_cameras_drop_off_the_network_and_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cctv_module, "MEAN_OFFLINE_INTERVAL_S", 3 * 3600.0)
    monkeypatch.setattr(cctv_module, "MEAN_TAMPER_INTERVAL_S", 6 * 3600.0)
    cctv = Cctv(15)
    states: list[tuple[int, int]] = []

    def look(world: World) -> None:
        offline = [c.device for c in cctv.cameras if c.device.get("online") is False]
        for d in offline:
            assert (d.get("recording"), d.get("fps"), d.get("bitrate")) == (False, 0.0, 0)
        tampered = sum(1 for c in cctv.cameras if c.device.get("tamper") is True)
        states.append((len(offline), tampered))

    logged_day(cctv, look)
    assert max(n for n, _ in states) >= 1
    assert max(t for _, t in states) >= 1
    assert states[-1][0] < len(cctv.cameras)
    assert sum(1 for n, _ in states if n == 0) > len(states) // 4


def test_streams_and_loads() -> None:
    cctv = Cctv(15)
    loads: list[float] = []
    bitrates: list[int] = []

    def look(world: World) -> None:
        loads.append(
            sum(x.kw for x in world.power.loads if (x.system, x.floor) == ("security", "f1"))
        )
        bitrates.extend(int(c.device.get("bitrate")) for c in cctv.cameras)

    b = building([cctv], at(MONDAY, 8.0), probe=Probe(look))
    run_until(b, at(MONDAY, 10.0))
    assert all(0.3 < kw < 0.5 for kw in loads)
    assert all(1500 < kbps < 8192 for kbps in bitrates)
    assert all(c.device.get("fps") == 25.0 for c in cctv.cameras)
    with pytest.raises(Refused) as refused:
        cctv.cameras[0].device.write("recording", False)
    assert refused.value.refusal is Refusal.READ_ONLY

"""Intrusion areas: armed by schedule when empty, disarmed by a granted badge, intruders alarm."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from penworks.core import Value
from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.systems.access import Access
from penworks.sim.systems.cctv import Cctv
from penworks.sim.systems.intrusion import Intrusion
from tests.unit.sim.test_security_support import MONDAY, SATURDAY, at, building, run_until

AREAS = ("b1/plant", "b1/elec", "f1/srv", "roof/roof")


def _security(start: datetime) -> tuple[Building, Access, Intrusion, Cctv]:
    access, intrusion, cctv = Access(15), Intrusion(15), Cctv(15)
    return building([access, intrusion, cctv], start), access, intrusion, cctv


def _area(intrusion: Intrusion, place: str) -> dict[str, Value]:
    return next(a.device.values for a in intrusion.areas if a.place == place)


def test_areas_arm_at_night_and_weekends_and_disarm_in_the_morning() -> None:
    b, _, intrusion, _ = _security(at(MONDAY, 3.0))
    assert all(_area(intrusion, p)["armed"] is True for p in AREAS)
    run_until(b, at(MONDAY, 6.1))
    assert all(_area(intrusion, p)["state"] == "disarmed" for p in AREAS)
    assert _area(intrusion, "b1/plant")["last_event"] == "disarmed by schedule"
    run_until(b, at(MONDAY, 22.2))
    assert all(_area(intrusion, p)["state"] == "armed" for p in AREAS)
    assert b.shared["b1/plant.armed"] is True
    _, _, weekend, _ = _security(at(SATURDAY, 13.0))
    assert all(_area(weekend, p)["armed"] is True for p in AREAS)


@pytest.mark.parametrize("place", AREAS)
def test_an_intruder_at_night_raises_the_alarm_until_after_he_leaves(place: str) -> None:
    b, access, intrusion, cctv = _security(at(MONDAY, 1.5))
    start = at(MONDAY, 2.0)
    intruder = b.inject("intruder", place, start)
    door = next(d for d in access.doors.values() if f"{d.spec.floor}/{d.spec.into}" == place)
    granted = door.granted
    run_until(b, start + timedelta(minutes=1))
    area = _area(intrusion, place)
    assert (area["alarm"], area["state"], area["armed"]) == (True, "alarm", True)
    assert b.shared[f"{place}.intrusion"] is True
    assert door.controller.get("forced_open") is True
    assert str(door.controller.get("last_event")) == "forced open"
    motion = []
    run_until(b, intruder.end - timedelta(seconds=30), lambda: motion.append(area["motion"]))
    assert sum(1 for m in motion if m) > len(motion) // 2
    assert area["alarm"] is True
    assert door.granted == granted  # nobody badged in
    camera = next((c for c in cctv.cameras if c.place == place), None)
    if camera is not None:
        assert camera.device.get("alert") == "intrusion"
        assert int(camera.device.get("people")) >= 1
        assert camera.device.get("last_detection") == "person"
    run_until(b, intruder.end + timedelta(minutes=6))
    assert (area["alarm"], area["state"], area["armed"]) == (False, "armed", True)
    assert door.controller.get("forced_open") is False
    if camera is not None:
        assert camera.device.get("alert") == ""
        assert camera.device.get("people") == 0


def test_an_intruder_in_the_day_moves_but_raises_no_alarm() -> None:
    b, _, intrusion, _ = _security(at(MONDAY, 10.0))
    b.inject("intruder", "f1/srv", at(MONDAY, 10.1))
    seen = []
    run_until(
        b,
        at(MONDAY, 10.4),
        lambda: seen.append(
            (_area(intrusion, "f1/srv")["motion"], _area(intrusion, "f1/srv")["alarm"])
        ),
    )
    assert any(motion for motion, _ in seen)
    assert not any(alarm for _, alarm in seen)


def test_a_granted_badge_disarms_the_area_without_an_alarm_and_it_rearms_when_empty() -> None:
    b, access, intrusion, _ = _security(at(MONDAY, 2.9))
    start = at(MONDAY, 3.0)
    b.inject("tailgating", "plant", start)  # a holder badges in (with a follower)
    b.inject("intruder", "b1/plant", start)  # the follower walks about
    run_until(b, start)
    area = _area(intrusion, "b1/plant")
    assert access.doors["plant"].granted == 1
    assert (area["armed"], area["alarm"]) == (False, False)
    assert area["last_event"] == "disarmed by access at door plant"
    states: list[tuple[object, object]] = []
    run_until(
        b, start + timedelta(minutes=35), lambda: states.append((area["armed"], area["alarm"]))
    )
    assert not any(alarm for _, alarm in states)
    assert area["armed"] is True  # empty again: the schedule re-armed it
    assert _area(intrusion, "b1/plant")["last_event"] == "armed by schedule"


def test_the_platform_arms_and_disarms_and_an_area_refuses_to_arm_when_not_ready() -> None:
    b, access, intrusion, _ = _security(at(MONDAY, 10.0))
    srv = next(a for a in intrusion.areas if a.place == "f1/srv").device
    srv.write("armed", True)
    run_until(b, at(MONDAY, 10.2))
    assert (srv.get("armed"), srv.get("state")) == (True, "armed")
    srv.write("armed", None)
    run_until(b, at(MONDAY, 10.3))
    assert srv.get("armed") is False
    b.inject("intruder", "f1/srv", at(MONDAY, 10.4))
    run_until(b, at(MONDAY, 10.4))
    assert srv.get("ready") is False
    with pytest.raises(Refused) as refused:
        srv.write("armed", True)
    assert refused.value.refusal is Refusal.DEVICE_FAULT
    for key in ("motion", "alarm", "state"):
        with pytest.raises(Refused) as read_only:
            srv.write(key, False)
        assert read_only.value.refusal is Refusal.READ_ONLY
    with pytest.raises(Refused) as wrong:
        srv.write("armed", "on")
    assert wrong.value.refusal is Refusal.WRONG_TYPE


def test_glass_break_detectors_only_where_there_is_glass() -> None:
    intrusion = Intrusion(15)
    with_glass = {a.place for a in intrusion.areas if "glass_break" in a.device.values}
    assert with_glass == {"b1/plant", "roof/roof"}
    assert {a.device.address for a in intrusion.areas} == {
        "b15/b1/plant/intrusion",
        "b15/b1/elec/intrusion",
        "b15/f1/srv/intrusion",
        "b15/roof/roof/intrusion",
    }

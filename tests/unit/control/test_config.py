"""The control file: loaded with its errors located, and bound to the model with every
selector checked (the error names the policy or interlock and the reason)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from penworks.control import ActorKind, ControlConfig, ControlService, load_control_config
from penworks.control.binding import bind
from penworks.core import ConfigError
from penworks.model import SiteModel
from penworks.store import MemoryJournal
from tests.unit.control.support import ManualClock

EXAMPLE = Path(__file__).parent / "data" / "control.yaml"
LIFTS = "b15.roof.lift_room.lift_group.fire_recall_command"


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "control.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _fire(**changes: Any) -> dict[str, Any]:
    interlock: dict[str, Any] = {
        "id": "fire_response",
        "for_each": {"match": "b15.*.fire_zone"},
        "active_when": "value == 'alarm'",
        "actions": [{"select": {"point": LIFTS}, "value": True, "priority": 1}],
    }
    interlock.update(changes)
    return interlock


def test_the_example_file_loads_and_binds_to_building15(building15: SiteModel) -> None:
    config = load_control_config(EXAMPLE)
    assert config.idempotency_memory == timedelta(hours=24)
    assert config.policies[0].rate_limit is not None
    assert config.policies[0].rate_limit.per == timedelta(minutes=10)
    assert config.interlocks[0].retry == timedelta(seconds=30)
    assert config.permissions[ActorKind.RULE].highest == 12
    bound = bind(config, building15)
    zones = {p.trigger for p in bound.instances}
    assert len(zones) == 6
    setpoint = bound.rules["b15.f3.s301.fcu.setpoint"]
    assert (setpoint.low, setpoint.high) == (18, 28)
    assert bound.rules["b15.f2.door_f2.locked"].relinquish_default is True
    fans = bound.rules["b15.roof.roof.ahu2.supply_fan.start_stop"]
    assert [name for name, _ in fans.rate_limits] == ["supply_fans"]
    service = ControlService(
        building15, _unused_bus(), ManualClock(), MemoryJournal(), config, lambda _: None
    )
    assert service.priority_array("b15.f2.door_f2.locked").effective is True


def test_defaults_give_each_kind_its_levels() -> None:
    config = ControlConfig()
    assert config.confirm_timeout_s == 10
    levels = {k: (p.highest, p.lowest) for k, p in config.permissions.items()}
    assert levels == {
        ActorKind.INTERLOCK: (1, 16),
        ActorKind.SYSTEM: (1, 16),
        ActorKind.OPERATOR: (8, 16),
        ActorKind.APP: (10, 16),
        ActorKind.RULE: (12, 16),
        ActorKind.SCHEDULE: (14, 16),
    }


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"confirm_timeout": 3}, "confirm_timeout: Extra inputs are not permitted"),
        ({"permissions": {"rule": {"highest": 2}}}, "levels 1-2 are for interlock and system"),
        ({"permissions": {"robot": {"highest": 8}}}, "permissions.robot"),
        ({"permissions": {"app": {"highest": 12, "lowest": 10}}}, "less urgent than lowest"),
        ({"interlocks": [_fire(active_when="value >")]}, "syntax error"),
        ({"interlocks": [_fire(active_when="zone == 'alarm'")]}, "only 'value', not zone"),
        ({"interlocks": [_fire(active_when="__import__('os')")]}, "may be called"),
        ({"interlocks": [_fire(), _fire()]}, "repeated: fire_response"),
        ({"interlocks": [_fire(for_each={"within": "{floor}"})]}, "placeholders"),
        ({"interlocks": [_fire(actions=[])]}, "at least 1 item"),
        (
            {
                "interlocks": [
                    _fire(actions=[{"select": {"point": LIFTS}, "value": 1, "priority": 6}])
                ]
            },
            "level 6 is reserved",
        ),
        ({"interlocks": [_fire(retry="soon")]}, "is not a duration"),
        (
            {"policies": [{"id": "p", "select": {"within": "{floor}"}, "confirm": False}]},
            "placeholders are not allowed",
        ),
        (
            {
                "policies": [
                    {"id": "p", "select": {"point": LIFTS}, "rate_limit": {"count": 1, "per": 0}}
                ]
            },
            "longer than zero",
        ),
        ({"policies": [{"id": "p", "select": {}}]}, "give at least one of"),
    ],
)
def test_a_bad_file_is_refused_with_the_place_and_the_reason(
    tmp_path: Path, data: dict[str, Any], words: str
) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_control_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert words in message


def test_errors_give_the_line(tmp_path: Path) -> None:
    path = tmp_path / "control.yaml"
    path.write_text("confirm_timeout_s: 5\npolicies:\n  - id: p\n    selcet: {point: x}\n")
    with pytest.raises(ConfigError, match=r"control.yaml:4: policies\[0\].selcet"):
        load_control_config(path)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"policies": [{"id": "p", "select": {"point": "b15.nowhere"}}]},
            "policy p: unknown point",
        ),
        (
            {"policies": [{"id": "p", "select": {"point": "b15.f2.fire_zone"}}]},
            "policy p: selects no writable point",
        ),
        (
            {"policies": [{"id": "p", "select": {"brick": "Flux_Capacitor"}}]},
            "policy p:",
        ),
        (
            {"policies": [{"id": "p", "select": {"point": LIFTS}, "limits": {"min": 0}}]},
            "policy p: limits on",
        ),
        (
            {"policies": [{"id": "p", "select": {"point": LIFTS}, "relinquish_default": "up"}]},
            f"policy p: {LIFTS} cannot take 'up'",
        ),
        (
            {
                "policies": [
                    {"id": "a", "select": {"point": LIFTS}, "relinquish_default": True},
                    {"id": "b", "select": {"point": LIFTS}, "relinquish_default": False},
                ]
            },
            "policy b: relinquish default False",
        ),
        (
            {"interlocks": [_fire(for_each={"match": "b15.*.no_such_point"})]},
            "interlock fire_response: for_each selects no point",
        ),
        (
            {"interlocks": [_fire(actions=[{"select": {"point": LIFTS}, "value": "up"}])]},
            "interlock fire_response: actions[0]: " + LIFTS + " cannot take 'up'",
        ),
        (
            {
                "interlocks": [
                    _fire(
                        actions=[
                            {"select": {"within": "{floor}", "match": "*.fire_zone"}, "value": "x"}
                        ]
                    )
                ]
            },
            "actions[0]: b15.b1.fire_zone is not writable",
        ),
        (
            {
                "interlocks": [
                    _fire(
                        actions=[{"select": {"within": "{space}", "brick": "Command"}, "value": 1}]
                    )
                ]
            },
            "actions[0]: {space} needs an anchor point that has a space",
        ),
        (
            {
                "interlocks": [
                    _fire(
                        actions=[
                            {"select": {"point": LIFTS}, "value": True},
                            {"select": {"within": "{floor}", "match": "*.nothing"}, "value": 1},
                        ]
                    )
                ]
            },
            "actions[1] selects no point for any trigger",
        ),
        (
            {"permissions": {"interlock": {"highest": 3}}, "interlocks": [_fire()]},
            "interlocks may not command at level 1",
        ),
        (
            {
                "policies": [
                    {
                        "id": "comfort",
                        "select": {"point": "b15.f3.s301.fcu.setpoint"},
                        "limits": {"max": 26},
                    }
                ],
                "interlocks": [
                    _fire(actions=[{"select": {"point": "b15.f3.s301.fcu.setpoint"}, "value": 28}])
                ],
            },
            "the highest policy comfort allows",
        ),
    ],
)
def test_binding_checks_every_selector_against_the_model(
    building15: SiteModel, tmp_path: Path, data: dict[str, Any], words: str
) -> None:
    config = load_control_config(_write(tmp_path, data))
    with pytest.raises(ConfigError) as caught:
        bind(config, building15)
    assert words in str(caught.value)


def _unused_bus() -> Any:
    from penworks.bus import MemoryBus

    return MemoryBus()

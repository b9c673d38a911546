"""Bindings checked once at start: a mistake names the point; points grouped per object."""

from __future__ import annotations

import pytest

from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.points import bind_points, by_object, properties
from penworks.core import ConfigError
from tests.unit.connectors.bacnet.support import binding, point


def test_points_are_bound_to_their_objects() -> None:
    bound = bind_points(
        [
            (point("a.temp"), binding(1501, "analog-input,1")),
            (point("a.name"), binding(1501, "analog-input,1", property="object-name")),
            (point("a.fan"), binding(1501, "binary-output,2", cov=True)),
        ],
        [1501],
        "bacnet",
    )
    assert bound["a.temp"].obj == ObjectRef("analog-input", 1)
    assert bound["a.name"].channel == "1501/analog-input,1/object-name"
    grouped = by_object(bound.values())
    assert list(grouped) == [ObjectRef("analog-input", 1), ObjectRef("binary-output", 2)]
    assert properties(grouped[ObjectRef("analog-input", 1)]) == (
        "object-name",
        "present-value",
        "status-flags",
        "out-of-service",
    )


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (binding(1999, "analog-input,1"), "device 1999 is not one of the connector's devices"),
        (binding(1501, "analog-inptu,1"), "'analog-inptu' is not a BACnet object type"),
        (binding(1501, "analog-input,1", property="present-valu"), "not a BACnet property"),
        (binding(1501, "analog-input,1", property="units", cov=True), "COV notifications"),
    ],
)
def test_a_binding_that_cannot_work_names_the_point(bad: object, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as caught:
        bind_points([(point("b15.ahu.sat"), bad)], [1501], "bacnet")  # type: ignore[list-item]
    assert "b15.ahu.sat" in str(caught.value)


def test_a_point_bound_twice_is_refused() -> None:
    twice = [(point("a.temp"), binding(1501, "analog-input,1"))] * 2
    with pytest.raises(ConfigError, match="a.temp .* bound twice"):
        bind_points(twice, [1501], "bacnet")


def test_object_identifiers() -> None:
    assert str(ObjectRef.parse("multi-state-value,12")) == "multi-state-value,12"
    assert ObjectRef.parse("device,1501").info is None  # not a type points are made of
    with pytest.raises(ValueError, match="type,instance"):
        ObjectRef.parse("analog-input")

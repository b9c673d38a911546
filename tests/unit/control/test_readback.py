"""Read-back matching: numbers within the tolerances, bools and texts exactly, bad data never."""

from __future__ import annotations

import pytest

from penworks.control.readback import Readbacks, same_value
from penworks.core import Observation, Quality
from tests.unit.control.support import T0


@pytest.mark.parametrize(
    ("written", "seen", "same"),
    [
        (22.0, 22.0, True),
        (22.0, 22.009, True),
        (22.0, 22.05, False),
        (1000.0, 1000.9, True),  # within the relative tolerance
        (1000.0, 1002.0, False),
        (22, 22.0, True),
        (True, True, True),
        (True, 1, True),
        (False, True, False),
        (True, 2, False),
        (True, "true", False),
        (1, True, True),
        ("alarm", "alarm", True),
        ("alarm", "Alarm", False),
        ("1", 1, False),
    ],
)
def test_what_counts_as_the_same_value(written: object, seen: object, same: bool) -> None:
    assert same_value(written, seen, 0.01, 0.001) is same  # type: ignore[arg-type]


async def test_a_waiter_takes_only_good_observations_of_its_value() -> None:
    readbacks = Readbacks()
    waiter = readbacks.expect("p", 22.0, 0.01, 0.0)
    other = readbacks.expect("q", 1.0, 0.01, 0.0)
    readbacks.observe(Observation("p", T0, 22.0, Quality.BAD))
    readbacks.observe(Observation("p", T0, 21.0))
    assert waiter.confirmed is None
    assert "last seen 21.0" in waiter.missing()
    readbacks.observe(Observation("p", T0, 22.0))
    assert waiter.confirmed is not None
    assert readbacks.pending() == 1  # the confirmed one is gone, the other waits
    await waiter.wait(5.0)  # returns at once
    readbacks.replace("q", 2.0, "cmd-2")
    assert other.replaced_by == "cmd-2"
    readbacks.drop(other)
    assert readbacks.pending() == 0

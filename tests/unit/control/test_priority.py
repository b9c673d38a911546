"""The priority array: sixteen levels, the most urgent wins, relinquish falls to the next."""

from __future__ import annotations

import pytest

from penworks.control import (
    DEFAULT,
    LIFE_SAFETY_MANUAL,
    MANUAL_OPERATOR,
    RULE,
    SCHEDULE,
    PriorityArray,
)
from tests.unit.control.support import OPERATOR, T0
from tests.unit.control.support import RULE as RULE_ACTOR
from tests.unit.control.support import SCHEDULE as SCHEDULE_ACTOR


def test_an_empty_array_follows_its_relinquish_default() -> None:
    assert PriorityArray().effective is None
    array = PriorityArray(relinquish_default=21.0)
    assert (array.effective, array.effective_level) == (21.0, None)
    assert array.levels() == (None,) * 16


def test_the_most_urgent_level_wins_whatever_the_order_of_writes() -> None:
    array = PriorityArray(relinquish_default=21.0)
    array.write(SCHEDULE, 22.0, SCHEDULE_ACTOR, T0)
    array.write(MANUAL_OPERATOR, 24.0, OPERATOR, T0)
    array.write(RULE, 19.0, RULE_ACTOR, T0)
    assert (array.effective, array.effective_level) == (24.0, MANUAL_OPERATOR)
    assert array.outranked(RULE)
    assert not array.outranked(MANUAL_OPERATOR)
    entry = array.entry(MANUAL_OPERATOR)
    assert entry is not None
    assert entry.actor == OPERATOR


def test_relinquish_falls_to_the_next_level_then_to_the_default() -> None:
    array = PriorityArray(relinquish_default=21.0)
    array.write(MANUAL_OPERATOR, 24.0, OPERATOR, T0)
    array.write(SCHEDULE, 22.0, SCHEDULE_ACTOR, T0)
    emptied = array.relinquish(MANUAL_OPERATOR)
    assert emptied is not None
    assert emptied.value == 24.0
    assert (array.effective, array.effective_level) == (22.0, SCHEDULE)
    array.relinquish(SCHEDULE)
    assert (array.effective, array.effective_level) == (21.0, None)
    assert array.relinquish(SCHEDULE) is None  # already empty


def test_a_write_replaces_the_value_at_its_level() -> None:
    array = PriorityArray()
    array.write(DEFAULT, 1, OPERATOR, T0)
    array.write(DEFAULT, 2, RULE_ACTOR, T0)
    assert [e.value for e in array.occupied()] == [2]
    array.write(LIFE_SAFETY_MANUAL, 0, OPERATOR, T0)
    assert (array.effective, array.effective_level) == (0, 1)


@pytest.mark.parametrize("level", [0, 17, -1, True])
def test_levels_are_one_to_sixteen(level: int) -> None:
    with pytest.raises(ValueError, match="1..16"):
        PriorityArray().write(level, 1, OPERATOR, T0)
    with pytest.raises(ValueError, match="1..16"):
        PriorityArray().relinquish(level)

"""Sign-in throttling per username and per client."""

from __future__ import annotations

import pytest

from penworks.auth import ThrottleSettings, TooManyAttempts
from penworks.auth.throttle import LoginThrottle
from tests.unit.auth.support import ManualClock


def _fail(throttle: LoginThrottle, times: int, username: str = "alice", client: str = "c1") -> None:
    for _ in range(times):
        throttle.check(username, client)
        throttle.failed(username, client)


def test_five_failures_lock_a_username_until_the_first_leaves_the_window() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock)
    _fail(throttle, 1)
    clock.advance(60)
    _fail(throttle, 4)
    with pytest.raises(TooManyAttempts) as caught:
        throttle.check("Alice", "another-client")  # any case, any address
    assert caught.value.retry_after_s == 15 * 60 - 60
    clock.advance(15 * 60 - 60)
    throttle.check("alice", "c1")  # the first failure left the window: one more try
    throttle.failed("alice", "c1")
    with pytest.raises(TooManyAttempts):
        throttle.check("alice", "c1")


def test_a_success_clears_the_username_but_not_the_client() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock, ThrottleSettings(per_user=5, per_client=6))
    _fail(throttle, 4)
    throttle.succeeded("alice")
    _fail(throttle, 2, username="bob")
    with pytest.raises(TooManyAttempts):
        throttle.check("carol", "c1")  # six failures from c1, whoever they tried
    throttle.check("alice", "c2")


def test_one_client_cannot_try_many_usernames() -> None:
    throttle = LoginThrottle(ManualClock())
    for n in range(20):
        _fail(throttle, 1, username=f"user{n}")
    with pytest.raises(TooManyAttempts):
        throttle.check("user99", "c1")
    throttle.check("user99", "c2")


def test_memory_is_bounded_by_forgetting_the_least_recent() -> None:
    throttle = LoginThrottle(ManualClock(), ThrottleSettings(per_user=1, max_tracked=10))
    for n in range(100):
        throttle.failed(f"user{n}", None)
    throttle.check("user0", None)  # forgotten
    with pytest.raises(TooManyAttempts):
        throttle.check("user99", None)

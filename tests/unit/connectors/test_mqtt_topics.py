from __future__ import annotations

import pytest

from penworks.connectors.mqtt.topics import (
    broker_address,
    filter_covers,
    filter_matches,
    subscriptions,
    validate_filter,
)
from penworks.core import ConfigError


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("a/b", "a/b", True),
        ("a/b", "a/c", False),
        ("a/+", "a/b", True),
        ("a/+", "a/b/c", False),
        ("a/+/c", "a/b/c", True),
        ("a/#", "a/b/c", True),
        ("a/#", "a", True),
        ("#", "a/b", True),
        ("+/b", "a/b", True),
        ("#", "$SYS/broker", False),
        ("+/broker", "$SYS/broker", False),
        ("$SYS/#", "$SYS/broker", True),
        ("a/+", "a/", True),
    ],
)
def test_filter_matches(pattern: str, topic: str, expected: bool) -> None:
    assert filter_matches(pattern, topic) is expected


@pytest.mark.parametrize(
    ("wide", "narrow", "expected"),
    [
        ("a/#", "a/+/c", True),
        ("a/+/c", "a/#", False),
        ("#", "a/#", True),
        ("a/+", "a/b", True),
        ("a/b", "a/+", False),
        ("a/+", "a/+/#", False),
        ("a/+/#", "a/+", True),
        ("a/+", "a/+", True),
    ],
)
def test_filter_covers(wide: str, narrow: str, expected: bool) -> None:
    assert filter_covers(wide, narrow) is expected


def test_subscriptions_skip_topics_and_filters_a_watch_filter_covers() -> None:
    topics = ["b15/f1/hvac", "b15/f2/hvac", "meter/main", "meter/main"]
    watch = ["b15/#", "b15/+/hvac", "b15/#", "other/+"]
    assert subscriptions(topics, watch) == ["b15/#", "other/+", "meter/main"]


def test_subscriptions_without_watch_are_the_bound_topics_once() -> None:
    assert subscriptions(["b", "a", "b"], []) == ["a", "b"]


@pytest.mark.parametrize("pattern", ["", "a/#/b", "a/b#", "a+/b"])
def test_malformed_filters_are_config_errors(pattern: str) -> None:
    with pytest.raises(ConfigError):
        validate_filter(pattern)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mqtt://127.0.0.1:1883", ("127.0.0.1", 1883)),
        ("mqtt://broker.local", ("broker.local", 1883)),
        ("mqtt://localhost:11883/", ("localhost", 11883)),
    ],
)
def test_broker_address(url: str, address: tuple[str, int]) -> None:
    assert broker_address(url) == address


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1883", "mqtt://", "mqtt://host:99999", "mqtt://host/path", "host"]
)
def test_bad_broker_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        broker_address(url)

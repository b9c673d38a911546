"""MQTT topic filters ('+' one level, '#' the rest) and broker addresses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlparse

from penworks.core import ConfigError

DEFAULT_PORT = 1883


def is_filter(topic: str) -> bool:
    """Whether a topic string holds wildcards (so it can be subscribed to, not published to)."""
    return "+" in topic or "#" in topic


def validate_filter(pattern: str) -> None:
    """Raise ConfigError unless pattern is a well-formed MQTT topic filter."""
    levels = pattern.split("/")
    if not pattern:
        raise ConfigError("an MQTT topic filter must not be empty")
    for i, level in enumerate(levels):
        if level == "#" and i != len(levels) - 1:
            raise ConfigError(f"'#' must be the last level of the topic filter {pattern!r}")
        if len(level) > 1 and is_filter(level):
            raise ConfigError(f"wildcards must fill a whole level in the topic filter {pattern!r}")


def filter_matches(pattern: str, topic: str) -> bool:
    """Whether a topic falls under a filter; 'a/#' also matches 'a' itself (MQTT 4.7.1.2)."""
    if topic.startswith("$") and pattern[:1] in ("+", "#"):
        return False  # wildcards at the first level do not match system topics
    return _levels_cover(pattern.split("/"), topic.split("/"))


def filter_covers(wide: str, narrow: str) -> bool:
    """Whether every topic matched by the filter `narrow` is matched by the filter `wide`."""
    if narrow.startswith("$") and wide[:1] in ("+", "#"):
        return False
    return _levels_cover(wide.split("/"), narrow.split("/"))


def _levels_cover(wide: list[str], narrow: list[str]) -> bool:
    for i, level in enumerate(wide):
        if level == "#":
            return True
        if i >= len(narrow):
            return False
        other = narrow[i]
        if other == "#" or (level != "+" and (other == "+" or level != other)):
            return False
    return len(narrow) == len(wide)


def subscriptions(topics: Iterable[str], watch: Sequence[str]) -> list[str]:
    """The filters to subscribe to: the watch filters not covered by another watch filter, then
    the bound topics no watch filter covers; so no message is delivered twice."""
    patterns: list[str] = []
    for i, pattern in enumerate(watch):
        covered = any(
            filter_covers(other, pattern) and (not filter_covers(pattern, other) or j < i)
            for j, other in enumerate(watch)
            if j != i
        )
        if not covered:
            patterns.append(pattern)
    bound = sorted(t for t in set(topics) if not any(filter_matches(p, t) for p in patterns))
    return patterns + bound


def broker_address(url: str) -> tuple[str, int]:
    """Host and port of an ``mqtt://HOST[:PORT]`` url, or ConfigError."""
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname or parsed.path not in ("", "/"):
        raise ConfigError(f"expected a broker url like mqtt://HOST:PORT, got {url!r}")
    try:
        port = parsed.port
    except ValueError:
        raise ConfigError(f"bad port in broker url {url!r}") from None
    return parsed.hostname, port or DEFAULT_PORT

"""Subject names and NATS-style wildcard matching ('*' one token, '>' the rest).

Subjects are dotted, so a point id slots straight in: ``obs.b15.f3.r301.zone_air_temp``.
"""

from __future__ import annotations

OBSERVATIONS = "obs"
DEAD_LETTERS = "deadletter"
COMMANDS = "cmd"
EVENTS = "event"
HEALTH = "health"


def observation_subject(point_id: str) -> str:
    return f"{OBSERVATIONS}.{point_id}"


def dead_letter_subject(source: str) -> str:
    return f"{DEAD_LETTERS}.{source}"


def health_subject(connector: str) -> str:
    """Where a connector reports how its devices are doing (DeviceHealth as JSON)."""
    return f"{HEALTH}.{connector}"


def command_subject(connector: str, point_id: str) -> str:
    return f"{COMMANDS}.{connector}.{point_id}"


def validate_pattern(pattern: str) -> None:
    """Raise ValueError unless pattern is a well-formed subject or wildcard pattern."""
    tokens = pattern.split(".")
    if not pattern or any(t == "" for t in tokens):
        raise ValueError(f"empty token in subject pattern {pattern!r}")
    for i, token in enumerate(tokens):
        if token == ">" and i != len(tokens) - 1:
            raise ValueError(f"'>' must be the last token in {pattern!r}")
        if token not in ("*", ">") and ("*" in token or ">" in token):
            raise ValueError(f"wildcards must be whole tokens in {pattern!r}")


def matches(pattern: str, subject: str) -> bool:
    """Whether subject falls under pattern."""
    p_tokens = pattern.split(".")
    s_tokens = subject.split(".")
    for i, p in enumerate(p_tokens):
        if p == ">":
            return len(s_tokens) > i
        if i >= len(s_tokens):
            return False
        if p != "*" and p != s_tokens[i]:
            return False
    return len(s_tokens) == len(p_tokens)

"""The message bus: Bus protocol, subjects, and the in-process MemoryBus."""

from penworks.bus.base import Bus, Message, Overflow, Subscription, SubscriptionStats
from penworks.bus.memory import MemoryBus
from penworks.bus.subjects import (
    command_subject,
    dead_letter_subject,
    health_subject,
    matches,
    observation_subject,
    validate_pattern,
)

__all__ = [
    "Bus",
    "MemoryBus",
    "Message",
    "Overflow",
    "Subscription",
    "SubscriptionStats",
    "command_subject",
    "dead_letter_subject",
    "health_subject",
    "matches",
    "observation_subject",
    "validate_pattern",
]

"""The message bus: Bus protocol, subjects, the in-process MemoryBus and NatsBus (JetStream)."""

from penworks.bus.base import (
    Bus,
    KeepingBus,
    Message,
    Overflow,
    Subscription,
    SubscriptionStats,
)
from penworks.bus.codec import CodecError
from penworks.bus.memory import MemoryBus
from penworks.bus.nats import NatsBus, NatsSettings, StreamLimits
from penworks.bus.nats_subscription import NatsSubscription
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
    "CodecError",
    "KeepingBus",
    "MemoryBus",
    "Message",
    "NatsBus",
    "NatsSettings",
    "NatsSubscription",
    "Overflow",
    "Subscription",
    "StreamLimits",
    "SubscriptionStats",
    "command_subject",
    "dead_letter_subject",
    "health_subject",
    "matches",
    "observation_subject",
    "validate_pattern",
]

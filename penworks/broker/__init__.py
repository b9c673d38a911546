"""The embedded MQTT broker of the one-process configuration."""

from penworks.broker.embedded import BrokerStartError, EmbeddedBroker

__all__ = ["BrokerStartError", "EmbeddedBroker"]

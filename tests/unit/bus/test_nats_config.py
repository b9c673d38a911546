"""The bus part of the platform config: memory by default, NATS when asked for."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from penworks.bus import NatsSettings, StreamLimits
from penworks.config import MemoryBusConfig, NatsBusConfig, PlatformConfig


def test_the_default_bus_is_in_process() -> None:
    assert isinstance(PlatformConfig().bus, MemoryBusConfig)


def test_a_nats_bus_defaults_to_the_safe_settings_of_the_bus_itself() -> None:
    config = PlatformConfig.model_validate({"bus": {"type": "nats"}})
    assert isinstance(config.bus, NatsBusConfig)
    assert config.bus.settings() == NatsSettings()
    assert config.bus.storage == "file"


def test_every_nats_setting_reaches_the_bus() -> None:
    bus = NatsBusConfig.model_validate(
        {
            "type": "nats",
            "servers": ["nats://10.0.0.5:4222", "tls://10.0.0.6:4222"],
            "stream_prefix": "PARK_B15",
            "subject_prefix": "park.b15",
            "storage": "memory",
            "replicas": 3,
            "commands": {"max_age_s": 30, "max_bytes": 16 << 20},
            "ack_wait_s": 10,
            "publish_timeout_s": 1.5,
        }
    )
    settings = bus.settings()
    assert settings.servers == ("nats://10.0.0.5:4222", "tls://10.0.0.6:4222")
    assert settings.stream_prefix == "PARK_B15"
    assert settings.subject_prefix == "park.b15"
    assert settings.storage == "memory"
    assert settings.replicas == 3
    assert settings.commands == StreamLimits(30.0, 16 << 20)
    assert settings.observations == NatsSettings().observations
    assert settings.ack_wait_s == 10.0
    assert settings.publish_timeout_s == 1.5


@pytest.mark.parametrize(
    "bus",
    [
        {"type": "nats", "servers": []},
        {"type": "nats", "servers": ["http://x:4222"]},
        {"type": "nats", "stream_prefix": "A.B"},
        {"type": "nats", "subject_prefix": "site.*"},
        {"type": "nats", "storage": "disk"},
        {"type": "nats", "commands": {"max_age_s": 0, "max_bytes": 1 << 20}},
        {"type": "nats", "ack_wait": 10},
        {"type": "kafka"},
    ],
)
def test_bad_bus_settings_are_refused_at_load(bus: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PlatformConfig.model_validate({"bus": bus})

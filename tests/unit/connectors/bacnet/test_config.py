"""The BACnet connector config: addresses, defaults, and mistakes caught at load time."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from penworks.connectors.bacnet import BacnetConnectorConfig, BacnetDeviceConfig
from penworks.connectors.bacnet.config import parse_device_address, parse_local_address


def test_defaults() -> None:
    config = BacnetConnectorConfig.model_validate({"type": "bacnet"})
    assert (config.name, config.address, config.instance) == ("bacnet", "0.0.0.0/0:47808", 4194000)
    assert config.devices == []
    assert config.discover_on_start is True
    device = BacnetDeviceConfig(instance=1501)
    assert device.address is None
    assert (device.poll_s, device.cov_lifetime_s, device.timeout_s) == (10.0, 300, 3.0)
    assert (device.retries, device.offline_after, device.cov_confirmed) == (1, 3, True)


@pytest.mark.parametrize(
    ("text", "host", "prefix", "port", "broadcast"),
    [
        ("192.168.1.10/24:47809", "192.168.1.10", 24, 47809, "192.168.1.255"),
        ("192.168.1.10/24", "192.168.1.10", 24, 47808, "192.168.1.255"),
        ("0.0.0.0/0", "0.0.0.0", 0, 47808, "255.255.255.255"),
        ("127.0.0.1:47900", "127.0.0.1", 32, 47900, None),  # no prefix: no broadcast
        ("0.0.0.0:0", "0.0.0.0", 32, 0, None),
    ],
)
def test_local_addresses(
    text: str, host: str, prefix: int, port: int, broadcast: str | None
) -> None:
    local = parse_local_address(text)
    assert (local.host, local.prefix, local.port, local.broadcast) == (
        host,
        prefix,
        port,
        broadcast,
    )
    assert str(local) == f"{host}/{prefix}:{port}"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0.0.0.0/24:47808", "takes /0"),  # bacpypes3 would wait for ever on 0.0.0.255
        ("10.0.0.1/33", "above 32"),
        ("10.0.0.1:70000", "above 65535"),
        ("10.0.0.300", "not an IPv4 address"),
        ("localhost:47808", "IP\\[/PREFIX\\]"),
    ],
)
def test_bad_local_addresses(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_local_address(text)
    with pytest.raises(ValidationError, match=why):
        BacnetConnectorConfig(type="bacnet", address=text)


def test_device_addresses_take_the_bacnet_port_by_default() -> None:
    assert parse_device_address("10.0.0.20") == "10.0.0.20:47808"
    assert BacnetDeviceConfig(instance=1, address="10.0.0.20:47810").address == "10.0.0.20:47810"
    with pytest.raises(ValidationError, match="IPv4 HOST"):
        BacnetDeviceConfig(instance=1, address="ahu-1.local")
    with pytest.raises(ValidationError, match="not 1..65535"):
        BacnetDeviceConfig(instance=1, address="10.0.0.20:0")


def test_devices_are_unique_and_not_the_connector_itself() -> None:
    one = {"instance": 1501}
    with pytest.raises(ValidationError, match="repeated: 1501"):
        BacnetConnectorConfig.model_validate({"type": "bacnet", "devices": [one, one]})
    with pytest.raises(ValidationError, match="connector's own"):
        BacnetConnectorConfig.model_validate({"type": "bacnet", "instance": 1501, "devices": [one]})


def test_a_device_on_this_machine_needs_a_port_of_its_own() -> None:
    device = {"instance": 1501, "address": "127.0.0.1"}  # 47808, as the connector
    with pytest.raises(ValidationError, match="shares the connector's port 47808"):
        BacnetConnectorConfig.model_validate({"type": "bacnet", "devices": [device]})
    elsewhere = {"instance": 1501, "address": "10.0.0.20"}
    assert BacnetConnectorConfig.model_validate({"type": "bacnet", "devices": [elsewhere]})


@pytest.mark.parametrize(
    "wrong",
    [
        {"type": "modbus"},
        {"type": "bacnet", "name": "BACnet 1"},
        {"type": "bacnet", "port": 47808},
        {"type": "bacnet", "instance": 4194303},
        {"type": "bacnet", "devices": [{"instance": 1, "poll_s": 0}]},
        {"type": "bacnet", "devices": [{"instance": 1, "colour": "red"}]},
    ],
)
def test_mistakes_fail_at_load_time(wrong: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        BacnetConnectorConfig.model_validate(wrong)


@pytest.mark.parametrize("model", [BacnetConnectorConfig, BacnetDeviceConfig])
def test_every_field_is_described_and_the_models_are_frozen(model: type[BaseModel]) -> None:
    assert all(field.description for field in model.model_fields.values())
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True

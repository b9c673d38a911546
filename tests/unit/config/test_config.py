from __future__ import annotations

from pathlib import Path

import pytest

from penworks.config import DEFAULT_SITE, MqttConnectorConfig, load_platform_config
from penworks.connectors.opcua import OpcuaConnectorConfig
from penworks.core import ConfigError
from penworks.model import SiteModel
from penworks.runtime import unreachable_points


def test_defaults_point_at_building15_and_resolve_paths(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text("data_dir: state\nconnectors:\n  - type: mqtt\n    watch: ['b15/#']\n")
    config = load_platform_config(path)
    assert config.site == DEFAULT_SITE
    assert config.data_dir == tmp_path / "state"
    assert config.history_path == tmp_path / "state" / "history.db"
    assert config.connectors[0].url == "mqtt://127.0.0.1:1883"


def test_bad_config_names_line_key_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text(
        "api:\n  port: 99999\nconnectors:\n  - type: mqtt\n    url: http://x\n    wach: [a]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_platform_config(path)
    message = str(caught.value)
    assert f"{path}:2: api.port" in message
    assert f"{path}:5: connectors[0].url" in message
    assert f"{path}:6: connectors[0].wach: Extra inputs are not permitted" in message


def test_unknown_connector_type_and_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text("connectors:\n  - type: zigbee\n")
    with pytest.raises(ConfigError, match="connectors\\[0\\]"):
        load_platform_config(path)
    path.write_text("connectors:\n  - type: mqtt\n  - type: mqtt\n")
    with pytest.raises(ConfigError, match="repeated: mqtt"):
        load_platform_config(path)


def test_an_mqtt_share_group_is_one_level_and_takes_no_client_id(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text("connectors:\n  - type: mqtt\n    share_group: gateways\n")
    assert load_platform_config(path).connectors[0].share_group == "gateways"  # type: ignore[union-attr]
    path.write_text("connectors:\n  - type: mqtt\n    share_group: a/b\n")
    with pytest.raises(ConfigError, match="connectors\\[0\\].share_group"):
        load_platform_config(path)
    path.write_text("connectors:\n  - type: mqtt\n    share_group: gw\n    client_id: gw-1\n")
    with pytest.raises(ConfigError, match="session of its own"):
        load_platform_config(path)


def test_an_mqtt_account_takes_its_password_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "penworks.yaml"
    path.write_text("connectors:\n  - type: mqtt\n    password_env: MQTT_PW\n")
    with pytest.raises(ConfigError, match="needs a username"):
        load_platform_config(path)
    path.write_text(
        "connectors:\n  - type: mqtt\n    username: gateway\n    password_env: MQTT_PW\n"
    )
    mqtt = load_platform_config(path).connectors[0]
    assert isinstance(mqtt, MqttConnectorConfig)
    assert mqtt.password({"MQTT_PW": "s3cret"}) == "s3cret"
    with pytest.raises(ConfigError, match="MQTT_PW is unset"):
        mqtt.password({})
    path.write_text("connectors:\n  - type: mqtt\n    username: gateway\n")
    assert load_platform_config(path).connectors[0].password({}) is None  # type: ignore[union-attr]


def test_every_protocol_has_a_connector_config(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    path = tmp_path / "penworks.yaml"
    path.write_text(
        """\
connectors:
  - type: mqtt
  - type: modbus
    devices: [{name: main_meter, host: 10.0.0.21}]
  - type: bacnet
    address: 10.0.0.5/24:47808
    devices: [{instance: 1501, address: "10.0.0.40:47808"}, {instance: 1502}]
  - type: opcua
    servers:
      - name: lifts
        url: opc.tcp://10.0.0.60:4840/lifts
        security: {certificate: pki/pw.der, private_key: pki/pw.pem}
"""
    )
    config = load_platform_config(path)
    kinds = [type(c).__name__ for c in config.connectors]
    assert kinds == [
        "MqttConnectorConfig",
        "ModbusConnectorConfig",
        "BacnetConnectorConfig",
        "OpcuaConnectorConfig",
    ]
    opcua = config.connectors[3]
    assert isinstance(opcua, OpcuaConnectorConfig)
    security = opcua.servers[0].security
    assert security is not None
    assert security.certificate == (tmp_path / "pki" / "pw.der").resolve()  # relative to the file


def test_points_no_connector_reaches_are_listed(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        """\
id: s
name: S
buildings:
  - id: b
    equipment:
      - id: m
        brick: Electrical_Meter
        points:
          - {id: p1, brick: Electric_Power_Sensor,
             binding: {connector: modbus, device: meter_a, address: 0}}
          - {id: p2, brick: Electric_Power_Sensor,
             binding: {connector: modbus, device: meter_b, address: 0}}
          - {id: p3, brick: Electric_Power_Sensor,
             binding: {connector: bacnet, device: 7, object: "analog-input,1"}}
          - {id: p4, brick: Electric_Power_Sensor, binding: {connector: mqtt, topic: t}}
          - {id: lost, brick: Communication_Loss_Alarm, kind: bool,
             binding: {connector: health, source: modbus, device: meter_a, field: comm_loss}}
"""
    )
    config = tmp_path / "penworks.yaml"
    config.write_text(
        "site: site.yaml\nconnectors:\n  - type: modbus\n"
        "    devices: [{name: meter_a, host: 10.0.0.21}]\n"
    )
    loaded = load_platform_config(config)
    model = SiteModel.load(loaded.site)
    assert unreachable_points(loaded.connectors, model) == ["b.m.p2", "b.m.p3", "b.m.p4"]

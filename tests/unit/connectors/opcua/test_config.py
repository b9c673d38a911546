"""The OPC UA connector config: validation, relative paths, and bindings checked against it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from penworks.bus import MemoryBus
from penworks.connectors.opcua import (
    OpcuaConnector,
    OpcuaConnectorConfig,
    OpcuaSecurityConfig,
    OpcuaServerConfig,
)
from penworks.core import ConfigError, RealClock
from tests.unit.connectors.opcua.peer import binding, point


def config(**server: object) -> OpcuaConnectorConfig:
    settings: dict[str, object] = {"name": "lifts", "url": "opc.tcp://10.0.0.5:4840/lifts"}
    settings.update(server)
    return OpcuaConnectorConfig.model_validate({"type": "opcua", "servers": [settings]})


def test_defaults_follow_the_issue() -> None:
    [server] = config().servers
    assert config().name == "opcua"
    assert (server.publishing_ms, server.poll_s, server.timeout_s, server.offline_after) == (
        500.0,
        10.0,
        4.0,
        3,
    )
    assert server.security is None
    assert server.username is None


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"url": "http://10.0.0.5:4840"}, "expected opc.tcp://HOST:PORT/PATH"),
        ({"url": "opc.tcp://10.0.0.5:port/x"}, "bad port"),
        ({"name": "Lifts"}, "should match pattern"),
        ({"password_env": "LIFT_PASSWORD"}, "password_env is set but username is not"),
        ({"password_env": "not a name", "username": "ops"}, "should match pattern"),
        ({"poll_s": 0}, "greater than 0"),
        ({"password": "secret"}, "Extra inputs are not permitted"),
    ],
)
def test_mistakes_are_refused_at_load(change: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        config(**change)


def test_server_names_are_unique() -> None:
    servers = [{"name": "lifts", "url": "opc.tcp://a:4840"}] * 2
    with pytest.raises(ValidationError, match="repeated: lifts"):
        OpcuaConnectorConfig.model_validate({"type": "opcua", "servers": servers})


def test_security_defaults_and_choices() -> None:
    security = OpcuaSecurityConfig(certificate=Path("c.der"), private_key=Path("k.pem"))
    assert (security.policy, security.mode) == ("Basic256Sha256", "SignAndEncrypt")
    with pytest.raises(ValidationError):
        OpcuaSecurityConfig.model_validate(
            {"policy": "Basic128Rsa15", "certificate": "c.der", "private_key": "k.pem"}
        )


def test_resolved_makes_certificate_paths_absolute_against_the_config_folder(
    tmp_path: Path,
) -> None:
    absolute = tmp_path / "elsewhere" / "server.der"
    security = {"certificate": "pki/client.der", "private_key": "pki/key.pem"}
    relative = config(security={**security, "server_certificate": str(absolute)})
    resolved = relative.resolved(tmp_path)
    got = resolved.servers[0].security
    assert got is not None
    assert got.certificate == tmp_path / "pki" / "client.der"
    assert got.private_key == tmp_path / "pki" / "key.pem"
    assert got.server_certificate == absolute
    assert relative.servers[0].security is not None
    assert relative.servers[0].security.certificate == Path("pki/client.der")  # unchanged


def test_every_field_says_what_it_is() -> None:
    models: list[type[BaseModel]] = [OpcuaConnectorConfig, OpcuaServerConfig, OpcuaSecurityConfig]
    for model in models:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_a_binding_to_a_server_not_configured_names_the_point_and_the_servers() -> None:
    points = [(point("b15.lift9.position"), binding("Lift9.Position", server="lift9"))]
    with pytest.raises(ConfigError, match=r"b15.lift9.position.*'lift9'.*known: lifts"):
        OpcuaConnector(config(), points, MemoryBus(), RealClock())


def test_a_password_variable_that_is_not_set_fails_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PENWORKS_TEST_LIFT_PASSWORD", raising=False)
    settings = {"username": "ops", "password_env": "PENWORKS_TEST_LIFT_PASSWORD"}
    with pytest.raises(ConfigError, match="PENWORKS_TEST_LIFT_PASSWORD"):
        OpcuaConnector(config(**settings), [], MemoryBus(), RealClock())
    monkeypatch.setenv("PENWORKS_TEST_LIFT_PASSWORD", "s3cret")
    OpcuaConnector(config(**settings), [], MemoryBus(), RealClock())

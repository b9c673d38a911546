"""Basic256Sha256 against a server that offers nothing else (no endpoint without security)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from asyncua import ua

from penworks.bus import MemoryBus
from penworks.connectors import DeviceState
from penworks.connectors.opcua import OpcuaConnector, OpcuaSecurityConfig
from penworks.core import RealClock
from tests.conftest import free_port
from tests.unit.connectors.opcua.peer import (
    Peer,
    binding,
    connector_config,
    make_certificates,
    point,
    running_peer,
)
from tests.unit.connectors.support import eventually, next_observation, reach, running_connector

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

POSITION = "b15.lift1.position"
SETPOINT = "b15.lift1.setpoint"
POINTS = [
    (point(POSITION), binding("Lift1.Position")),
    (point(SETPOINT, writable=True), binding("Lift1.Setpoint", subscribe=False)),
]
POLICIES = [
    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    ua.SecurityPolicyType.Basic256Sha256_Sign,
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return await make_certificates(tmp_path_factory.mktemp("opcua-certificates"))


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def secure_peer(certificates: dict[str, Path]) -> AsyncIterator[Peer]:
    async with running_peer(
        free_port(),
        security=POLICIES,
        certificate=certificates["server_certificate"],
        private_key=certificates["server_key"],
    ) as peer:
        yield peer


def _security(files: dict[str, Path], mode: str, *, pin: bool) -> OpcuaSecurityConfig:
    return OpcuaSecurityConfig(
        mode=mode,  # type: ignore[arg-type]
        certificate=files["certificate"],
        private_key=files["private_key"],
        server_certificate=files["server_certificate"] if pin else None,
    )


@pytest.mark.parametrize(("mode", "pin"), [("SignAndEncrypt", True), ("Sign", False)])
async def test_secure_sessions_read_subscribe_and_write(
    secure_peer: Peer, certificates: dict[str, Path], mode: str, pin: bool
) -> None:
    config = connector_config(secure_peer.url, security=_security(certificates, mode, pin=pin))
    bus = MemoryBus()
    obs = bus.subscribe("obs.>", name="obs")
    connector = OpcuaConnector(config, POINTS, bus, RealClock())
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
        await secure_peer.set("Lift1.Position", 12.5)
        await next_observation(obs, lambda o: o.point == POSITION and o.value == 12.5)
        await connector.write(SETPOINT, 2.0)
        stored = (await secure_peer.get("Lift1.Setpoint")).Value
        assert stored == ua.Variant(2.0, ua.VariantType.Double)


async def test_a_client_without_security_is_refused_and_told_why(secure_peer: Peer) -> None:
    connector = OpcuaConnector(connector_config(secure_peer.url), POINTS, MemoryBus(), RealClock())
    async with running_connector(connector):
        await eventually(lambda: connector.health()[0].errors > 0, within_s=5)
    [report] = connector.health()
    assert report.state is DeviceState.OFFLINE
    assert "no endpoint with no security" in report.detail
    assert "`security`" in report.detail

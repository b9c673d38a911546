"""The twin running: the building stepped on a clock, its devices served over their protocols.

`RunningTwin` starts one server per protocol grouping (the MQTT devices through one broker
connection, a Modbus gateway per gateway name, the BACnet devices each on a port of their
own, an OPC UA server per server name), then advances the building to the clock's now and
pushes what changed to the servers, step after step. It also listens on a control topic
for scenarios to inject, and writes the connection sheet an integrator would be given:
the connector configs that reach every device.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiomqtt

from penworks.core import Clock
from penworks.sim.building import STEP_S, Building
from penworks.sim.devices import SimDevice
from penworks.sim.scenario_file import ScheduledScenario, schedule
from penworks.sim.scenarios import ScenarioError
from penworks.sim.servers.bacnet import BacnetDevices
from penworks.sim.servers.base import DeviceServer, Endpoint, port_at
from penworks.sim.servers.modbus import ModbusGateway
from penworks.sim.servers.mqtt import MqttDevices, broker_address
from penworks.sim.servers.opcua import OpcuaServer

log = logging.getLogger(__name__)

CONTROL_TOPIC = "penworks-sim/b15/scenario"  # outside b15/: not the building's own data
MQTT_WATCH = ("b15/+/+/+", "b15/+/+")  # device state topics; commands and results are deeper
OPCUA_FOLDERS = {"lifts": "Elevators"}
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Ports:
    """Where the twin's servers listen (0: a free port each)."""

    host: str = "127.0.0.1"
    modbus: int = 0  # the first gateway's port; the next gateways take the next ones
    bacnet: int = 0  # the first device's UDP port; each next device the next one
    opcua: int = 0


@dataclass(frozen=True, slots=True)
class Polling:
    """How often (simulated seconds) the platform should poll what it polls."""

    modbus_s: float = 60.0
    bacnet_s: float = 60.0
    opcua_publishing_ms: float = 1000.0


class RunningTwin:
    def __init__(
        self,
        building: Building,
        clock: Clock,
        broker: str,
        *,
        ports: Ports | None = None,
        polling: Polling | None = None,
        scenarios: Sequence[ScheduledScenario] = (),
    ) -> None:
        self.building = building
        self.clock = clock
        self.broker = broker
        self.ports = ports or Ports()
        self.polling = polling or Polling()
        self.servers: list[DeviceServer] = self._servers(building.devices())
        self._control: asyncio.Task[None] | None = None
        self.steps = 0
        self._stopping = False
        self.behind_s = 0.0  # how far the building lagged the clock at the last step
        self._scenarios = list(scenarios)  # scheduled when the building's time starts

    def _servers(self, devices: Sequence[SimDevice]) -> list[DeviceServer]:
        by_protocol: dict[str, list[SimDevice]] = defaultdict(list)
        for device in devices:
            by_protocol[device.protocol].append(device)
        host, ports = self.ports.host, self.ports
        servers: list[DeviceServer] = []
        if mqtt := by_protocol["mqtt"]:
            servers.append(MqttDevices("mqtt", mqtt, self.broker, self._now))
        for i, (gateway, members) in enumerate(_grouped(by_protocol["modbus"])):
            servers.append(
                ModbusGateway(gateway, members, host=host, port=port_at(ports.modbus, i))
            )
        if bacnet := by_protocol["bacnet"]:
            servers.append(BacnetDevices("bacnet", bacnet, host=host, base_port=ports.bacnet))
        for i, (name, members) in enumerate(_grouped(by_protocol["opcua"])):
            servers.append(
                OpcuaServer(
                    name,
                    members,
                    host=host,
                    port=port_at(ports.opcua, i),
                    path=f"/{name}",
                    folder=OPCUA_FOLDERS.get(name, "Devices"),
                    clock=self.clock,
                )
            )
        return servers

    def _now(self) -> datetime:
        return self.building.now

    async def start(self) -> None:
        self.building.advance_to(self.clock.now())
        for server in self.servers:
            await server.sync()  # the first values are there before anyone can ask
            await server.start()
        self._control = asyncio.create_task(self._listen(), name="twin-control")

    async def stop(self) -> None:
        if self._control is not None:
            self._control.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._control
        for server in reversed(self.servers):
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await server.stop()
            except TimeoutError:  # a server that will not stop must not keep the twin up
                log.warning("twin server %s did not stop within %g s", server.name, STOP_TIMEOUT_S)

    def request_stop(self) -> None:
        """Stop stepping after the current step.

        A flag as well as cancellation: on Python 3.11, a library's asyncio.wait_for can
        swallow a cancellation that arrives together with its answer (an MQTT publish, a
        write), and the twin must stop all the same.
        """
        self._stopping = True

    async def run(self) -> None:
        """Step and serve until request_stop() or cancellation."""
        self.building.advance_to(self.clock.now())
        # "after" counts from here, however long the start-up took: what the file sets to
        # happen is seen by whoever waited for the building's time to start.
        schedule(self._scenarios, self.building)
        self._scenarios.clear()
        while not self._stopping:
            now = self.clock.now()
            self.building.advance_to(now)
            self.behind_s = (now - self.building.now).total_seconds()
            for server in self.servers:
                await server.sync()
            self.steps += 1
            await self.clock.sleep(STEP_S)

    def endpoints(self) -> list[Endpoint]:
        return [e for server in self.servers for e in server.endpoints()]

    def connector_config(self) -> list[dict[str, Any]]:
        """The platform's connector configs that reach every device of the twin."""
        return connector_config(self.endpoints(), self.broker, self.polling)

    async def _listen(self) -> None:
        """Inject scenarios sent on the control topic; answer on <topic>/result."""
        host, port = broker_address(self.broker)
        while True:
            try:
                async with aiomqtt.Client(host, port) as client:
                    await client.subscribe(CONTROL_TOPIC, qos=1)
                    async for message in client.messages:
                        payload = message.payload if isinstance(message.payload, bytes) else b""
                        answer = self.inject_request(payload)
                        await client.publish(f"{CONTROL_TOPIC}/result", json.dumps(answer), qos=1)
            except aiomqtt.MqttError as exc:
                log.warning("twin control lost the broker: %s", exc)
                await asyncio.sleep(1.0)

    def inject_request(self, payload: bytes) -> dict[str, Any]:
        """A scenario request {scenario, target, duration_s?, request?} -> the answer."""
        request = None
        try:
            body = json.loads(payload)
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            if "request" in body:
                request = str(body["request"])
            duration = body.get("duration_s")
            injection = self.building.inject(
                str(body["scenario"]),
                str(body["target"]),
                duration_s=None if duration is None else float(duration),
            )
        except (ValueError, KeyError, TypeError, ScenarioError) as exc:
            return {"ok": False, "detail": str(exc), "request": request}
        return {
            "ok": True,
            "detail": f"{injection.kind.value} at {injection.target} "
            f"from {injection.start.isoformat()} to {injection.end.isoformat()}",
            "request": request,
        }


def _grouped(devices: Sequence[SimDevice]) -> list[tuple[str, list[SimDevice]]]:
    """The devices by the server that serves them (their gateway), in order of appearance."""
    groups: dict[str, list[SimDevice]] = defaultdict(list)
    for device in devices:
        groups[device.gateway or "default"].append(device)
    return list(groups.items())


def connector_config(
    endpoints: Sequence[Endpoint], broker: str, polling: Polling
) -> list[dict[str, Any]]:
    """Connector configs (as the platform's config file holds them) for these endpoints."""
    by_protocol: dict[str, list[Endpoint]] = defaultdict(list)
    for endpoint in endpoints:
        by_protocol[endpoint.protocol].append(endpoint)
    configs: list[dict[str, Any]] = [{"type": "mqtt", "url": broker, "watch": list(MQTT_WATCH)}]
    if modbus := by_protocol["modbus"]:
        devices = [
            {
                "name": e.device,
                "host": e.host,
                "port": e.port,
                "unit_id": int(e.address),
                "poll_s": polling.modbus_s,
            }
            for e in modbus
        ]
        configs.append({"type": "modbus", "devices": devices})
    if bacnet := by_protocol["bacnet"]:
        devices = [
            {
                "instance": int(e.address),
                "address": f"{e.host}:{e.port}",
                "poll_s": polling.bacnet_s,
                # Unconfirmed COV: a burst of changes must not leave hundreds of notifications
                # waiting for acknowledgement (a bacpypes3 device stalls at 256 outstanding).
                "cov_confirmed": False,
            }
            for e in bacnet
        ]
        configs.append({"type": "bacnet", "address": f"{bacnet[0].host}/32:0", "devices": devices})
    if opcua := by_protocol["opcua"]:
        urls = {e.server: e.url for e in opcua}  # every device of a server shares its URL
        servers = [
            {"name": name, "url": url, "publishing_ms": polling.opcua_publishing_ms}
            for name, url in urls.items()
        ]
        configs.append({"type": "opcua", "servers": servers})
    return configs

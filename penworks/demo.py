"""The demo and the twin on their own: Building 15 served over its protocols, with or without
the platform in the same process.

`run_demo` starts the embedded broker (unless one is named), the twin's device servers, then
the platform configured with the twin's connection sheet, and only then lets the building's
time run, so the platform sees every device from its first report. `run_twin` serves the
twin alone, as real equipment would be, and can write the platform config that reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
import yaml
from pydantic import TypeAdapter

from penworks.broker import EmbeddedBroker
from penworks.config import (
    ApiConfig,
    AppConfig,
    AutomationConfig,
    ConnectorConfig,
    PlatformConfig,
    site_automation,
    site_sharing,
)
from penworks.core import Clock, ConfigError
from penworks.model import SiteModel
from penworks.runtime import Platform
from penworks.sim.building import Building
from penworks.sim.controls import Controls
from penworks.sim.run import CONTROL_TOPIC, Polling, Ports, RunningTwin
from penworks.sim.scenario_file import ScheduledScenario, read_file
from penworks.sim.servers.mqtt import broker_address
from penworks.sim.truth import GroundTruth
from penworks.sim.twin import building15

log = logging.getLogger(__name__)

INPUTS_TIMEOUT_S = 20.0  # how long the twin's time waits for the platform to subscribe
DEMO_APPS = {"energy": AppConfig()}  # the smart apps the demo runs, with their defaults
_CONNECTORS: TypeAdapter[list[ConnectorConfig]] = TypeAdapter(list[ConnectorConfig])


@dataclass(frozen=True, slots=True)
class TwinOptions:
    seed: int
    speed: float
    ports: Ports
    truth: Path | None
    scenarios: Path | None
    controls: Controls = Controls.LOCAL


def polling(speed: float) -> Polling:
    """Poll every simulated minute, but never more than once a wall-clock second."""
    every_s = max(60.0, speed)
    return Polling(modbus_s=every_s, bacnet_s=every_s, opcua_publishing_ms=1000.0)


def build(
    clock: Clock, broker: str, options: TwinOptions
) -> tuple[RunningTwin, GroundTruth | None]:
    truth = GroundTruth(options.truth) if options.truth is not None else None
    building: Building = building15(
        clock.now(), seed=options.seed, truth=truth, controls=options.controls
    )
    scenarios: list[ScheduledScenario] = []
    if options.scenarios is not None:
        try:
            scenarios = read_file(options.scenarios, building)  # a bad file fails the start
        except ConfigError:
            if truth is not None:
                truth.close()
            raise
    twin = RunningTwin(
        building,
        clock,
        broker,
        ports=options.ports,
        polling=polling(options.speed),
        scenarios=scenarios,
    )
    return twin, truth


def connectors_of(twin: RunningTwin) -> list[ConnectorConfig]:
    return _CONNECTORS.validate_python(twin.connector_config())


async def run_demo(
    clock: Clock,
    model: SiteModel,
    site: Path,
    data: Path,
    api_port: int,
    broker: str | None,
    mqtt_port: int,
    options: TwinOptions,
    on_ready: Callable[[str, str, str | None], None],
    stop: asyncio.Event,
    automation: AutomationConfig | None = None,
) -> None:
    """Broker, twin and platform in one process until `stop` is set; history is flushed.

    `automation` defaults to the files the site keeps next to it (`site_automation`).
    `on_ready` gets the API's and the broker's URLs, and the one-time setup token while the
    platform has no user yet."""
    async with contextlib.AsyncExitStack() as stack:
        url = broker
        if url is None:
            embedded = await stack.enter_async_context(EmbeddedBroker(port=mqtt_port))
            url = embedded.url
        twin, truth = build(clock, url, options)
        if truth is not None:
            stack.callback(truth.close)
        await twin.start()
        stack.push_async_callback(twin.stop)
        config = PlatformConfig(
            site=site,
            data_dir=data,
            connectors=connectors_of(twin),
            api=ApiConfig(port=api_port),
            automation=automation or site_automation(site),
            access=site_sharing(site),
            apps=DEMO_APPS,
        )
        platform = Platform(config, clock, model)

        async def building_time() -> None:
            if not await platform.wait_inputs_online(INPUTS_TIMEOUT_S):
                log.warning("not every connector is online yet; the building's time runs anyway")
            await twin.run()

        async def stopper() -> None:
            await stop.wait()
            platform.request_stop()

        async with asyncio.TaskGroup() as tasks:
            time_task = tasks.create_task(building_time(), name="twin")
            tasks.create_task(stopper(), name="demo-stop")
            await platform.run(on_ready=lambda api: on_ready(api, url, platform.setup_token))
            twin.request_stop()
            time_task.cancel()
            stop.set()


async def run_twin(
    clock: Clock,
    broker: str,
    options: TwinOptions,
    site: Path,
    write_config: Path | None,
    on_ready: Callable[[RunningTwin], None],
    stop: asyncio.Event,
) -> None:
    """The twin alone against a broker until `stop` is set."""
    twin, truth = build(clock, broker, options)
    try:
        await twin.start()
        if write_config is not None:
            text = platform_config_yaml(twin, site)
            await asyncio.to_thread(write_config.write_text, text, encoding="utf-8")
        on_ready(twin)
        task = asyncio.create_task(twin.run(), name="twin")
        await stop.wait()
        twin.request_stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await twin.stop()
        if truth is not None:
            truth.close()


def platform_config_yaml(twin: RunningTwin, site: Path) -> str:
    """A platform config file that reaches every device of the running twin."""
    connectors_of(twin)  # what is written must be a valid platform config
    automation = site_automation(site).model_dump(mode="json", exclude_defaults=True)
    body = {
        "site": str(site.resolve()),
        "data_dir": "data",
        "connectors": twin.connector_config(),
        "automation": automation,
    }
    header = "# The twin's connection sheet: `penworks run --config` this file.\n"
    return header + yaml.safe_dump(body, sort_keys=False)


async def send_scenario(
    broker: str, scenario: str, target: str, duration_s: float | None, timeout_s: float = 10.0
) -> dict[str, Any]:
    """Ask a running twin to inject a scenario now; its answer."""
    host, port = broker_address(broker)
    request = uuid.uuid4().hex
    body: dict[str, Any] = {"scenario": scenario, "target": target, "request": request}
    if duration_s is not None:
        body["duration_s"] = duration_s
    try:
        async with aiomqtt.Client(host, port) as client:
            await client.subscribe(f"{CONTROL_TOPIC}/result", qos=1)
            await client.publish(CONTROL_TOPIC, json.dumps(body), qos=1)
            async with asyncio.timeout(timeout_s):
                async for message in client.messages:
                    payload = message.payload if isinstance(message.payload, bytes) else b""
                    answer: dict[str, Any] = json.loads(payload)
                    if answer.get("request") == request:
                        return answer
    except TimeoutError:
        raise ConfigError(f"no twin answered on {broker} within {timeout_s:g} s") from None
    except aiomqtt.MqttError as exc:
        raise ConfigError(f"cannot reach the broker {broker}: {exc}") from exc
    raise ConfigError(f"the broker {broker} closed the connection")

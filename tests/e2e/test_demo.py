"""The demo end to end: twin and platform in one process, at speed 60 for one simulated hour."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiomqtt
import httpx
import pytest

from penworks.config import DEFAULT_SITE
from penworks.model import SiteModel
from penworks.store.sqlite import SqliteHistory
from tests.conftest import add_operator, free_port, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SPEED = 60
DURATION_S = 72  # from when the demo is live: about an hour of building time
READY_TIMEOUT_S = 60


@dataclass
class Demo:
    process: subprocess.Popen[str]
    api: str
    mqtt_port: int
    data: Path
    output: list[str]  # what the demo printed after its URL, read as it comes


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data = tmp_path_factory.mktemp("demo")
    asyncio.run(add_operator(data))
    mqtt_port = free_port()
    command = [
        sys.executable, "-m", "penworks", "demo",
        "--speed", str(SPEED), "--duration", str(DURATION_S),
        "--port", "0", "--mqtt-port", str(mqtt_port), "--data", str(data),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    output: list[str] = []
    # Read on past the URL: a demo whose output pipe is full blocks in its next log line.
    reader = threading.Thread(target=_read_all, args=(process, output), daemon=True)
    try:
        api = _wait_for_url(process)
        reader.start()
        yield Demo(process, api, mqtt_port, data, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if reader.is_alive():
            reader.join(timeout=10)  # the pipe ends with the process
        if process.stdout is not None:
            process.stdout.close()


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"live at (http://\S+)", line)
        if match:
            return match.group(1)
    pytest.fail("the demo did not report its URL:\n" + "".join(seen))


def _read_all(process: subprocess.Popen[str], into: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.append(line)


async def _poll(url: str, ok: Callable[[httpx.Response], bool]) -> httpx.Response:
    """GET url, signed in, until ok(response) holds; waits on the demo, not a fixed time."""
    response: httpx.Response | None = None
    base = url.split("/api/", 1)[0]
    try:
        async with asyncio.timeout(30), httpx.AsyncClient(base_url=base) as client:
            await sign_in(client)
            while not (response is not None and ok(response)):
                await asyncio.sleep(0.2)
                response = await client.get(url)
    except TimeoutError:
        detail = "no answer" if response is None else f"{response.status_code} {response.text}"
        pytest.fail(f"{url} never became ready: {detail}")
    return response


async def test_live_values_are_served_through_the_api(demo: Demo) -> None:
    health = await _poll(f"{demo.api}/api/health", lambda r: r.status_code == 200)
    assert health.json()["site"]
    point = "b15.f3.r301.zone_air_temp"
    latest = await _poll(f"{demo.api}/api/points/{point}/latest", lambda r: r.status_code == 200)
    body = latest.json()
    assert body["point"] == point
    assert 10 < body["value"] < 40


async def test_a_bad_payload_becomes_a_dead_letter_and_data_keeps_flowing(demo: Demo) -> None:
    async with aiomqtt.Client("127.0.0.1", demo.mqtt_port) as client:
        await client.publish("b15/f2/r201/light", b"{not json", qos=1)
        await client.publish("b15/f9/r999/light", b'{"level": 21}', qos=1)
    letters = await _poll(
        f"{demo.api}/api/deadletters",
        lambda r: r.status_code == 200 and len(r.json()) >= 2,
    )
    channels = {letter["channel"] for letter in letters.json()}
    assert {"b15/f2/r201/light", "b15/f9/r999/light"} <= channels


async def test_the_demo_runs_building15s_rules_schedules_and_interlocks(demo: Demo) -> None:
    rules = await _poll(f"{demo.api}/api/rules", lambda r: r.status_code == 200)
    by_id = {r["id"]: r for r in rules.json()}
    assert by_id["zone_too_warm"]["instances"] == 21
    assert all(r["errors"] == 0 for r in by_id.values())
    schedules = await _poll(f"{demo.api}/api/schedules", lambda r: r.status_code == 200)
    assert {s["schedule"] for s in schedules.json()["schedules"]} >= {"office_hours"}
    interlocks = await _poll(f"{demo.api}/api/interlocks", lambda r: r.status_code == 200)
    assert {i["interlock"] for i in interlocks.json()} == {"fire_zone_response"}
    office = await _poll(
        f"{demo.api}/api/points/b15.office_hours/latest", lambda r: r.status_code == 200
    )
    assert isinstance(office.json()["value"], bool)


async def test_after_one_simulated_hour_every_point_has_history(demo: Demo) -> None:
    # Runs after the live checks (file order); the demo stops by itself after DURATION_S.
    remaining = DURATION_S + READY_TIMEOUT_S
    code = await asyncio.to_thread(demo.process.wait, remaining)
    assert code == 0, "".join(demo.output[-50:])
    model = SiteModel.load(DEFAULT_SITE)
    bound = [p for p in model.points() if model.binding(p.id) is not None]
    kinds = {model.binding(p.id).connector for p in bound}  # type: ignore[union-attr]
    assert kinds == {"mqtt", "modbus", "bacnet", "opcua", "health", "schedule"}
    assert len(bound) > 1500
    history = SqliteHistory(demo.data / "history.db")
    await history.open()
    try:
        latest = await history.latest()
        missing = [p.id for p in bound if p.id not in latest]
        assert missing == []
        iaq = "b15.f3.r301.iaq.air_temp"  # an MQTT sensor reporting once a simulated minute
        rows = await history.range(
            iaq, latest[iaq].ts - timedelta(hours=2), latest[iaq].ts + timedelta(seconds=1)
        )
        span = rows[-1].ts - rows[0].ts
        assert span >= timedelta(minutes=50)
        # Once a simulated minute; a slow machine falls behind the 60x clock and skips a few.
        assert len(rows) >= 40
        temp = "b15.f3.r301.zone_air_temp"  # a BACnet zone temperature, by change of value
        changes = await history.range(
            temp, latest[temp].ts - timedelta(hours=2), latest[temp].ts + timedelta(seconds=1)
        )
        assert len(changes) >= 3
        letters = await history.dead_letters(source="mqtt")
        assert any(
            letter.channel == "b15/f2/r201/light" and "JSON" in letter.reason for letter in letters
        )
    finally:
        await history.close()

"""The park's load generator: every topic once a period, values within their limits."""

from __future__ import annotations

import asyncio
import json

import pytest

from penworks.sim.park import ParkLoad, Topic, TopicField


class Recorder:
    """Stands for an MQTT client: keeps what was published, stops after `until` messages."""

    def __init__(self, until: int, stop: asyncio.Event) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []
        self.until = until
        self.stop = stop

    async def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        self.sent.append((topic, json.loads(payload)))
        if len(self.sent) >= self.until:
            self.stop.set()


TOPICS = [
    Topic("b15/f1/r101/data", (TopicField("temp", "number", 16, 30),)),
    Topic("b15/f1/r102/data", (TopicField("on", "bool", 0, 1), TopicField("mode", "text", 0, 0))),
    Topic("b16/f1/r101/data", (TopicField("temp", "number", 16, 30),)),
]


async def test_every_topic_in_turn_with_values_in_their_limits() -> None:
    stop = asyncio.Event()
    client = Recorder(30, stop)
    load = ParkLoad(TOPICS, period_s=0.3, seed=7)
    await asyncio.wait_for(load.run(client, stop), 5)  # type: ignore[arg-type]
    assert [t for t, _ in client.sent[:6]] == [t.name for t in TOPICS] * 2
    temps = [float(b["temp"]) for _, b in client.sent if "temp" in b]  # type: ignore[arg-type]
    assert all(16 <= t <= 30 for t in temps)
    assert {type(b["on"]) for _, b in client.sent if "on" in b} == {bool}
    assert all("ts" in b for _, b in client.sent)
    assert load.stats.points == 10 * 4
    assert load.points_per_s == pytest.approx(4 / 0.3)


async def test_one_seed_gives_the_same_values() -> None:
    runs = []
    for _ in range(2):
        stop = asyncio.Event()
        client = Recorder(9, stop)
        await asyncio.wait_for(ParkLoad(TOPICS, period_s=0.1, seed=3).run(client, stop), 5)  # type: ignore[arg-type]
        runs.append([(t, {k: v for k, v in b.items() if k != "ts"}) for t, b in client.sent])
    assert runs[0] == runs[1]


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        ParkLoad(TOPICS, period_s=0)
    with pytest.raises(ValueError, match="no topics"):
        ParkLoad([], period_s=60)

"""Durable subscriptions of one name share their messages, as a queue group does."""

from __future__ import annotations

from penworks.bus import MemoryBus


async def test_durable_subscriptions_of_one_name_share_the_messages() -> None:
    bus = MemoryBus()
    first = bus.subscribe("obs.>", name="history", durable=True)
    second = bus.subscribe("obs.>", name="history", durable=True)
    watcher = bus.subscribe("obs.>", name="live")
    for n in range(10):
        await bus.publish(f"obs.p{n}", {"n": n})
    await bus.close()
    a = [m for _, m in await first.batch(100)]
    b = [m for _, m in await second.batch(100)]
    everything = [m for _, m in await watcher.batch(100)]
    assert len(a) == len(b) == 5
    assert sorted(x["n"] for x in a + b) == list(range(10))  # type: ignore[index]
    assert len(everything) == 10


async def test_a_closed_member_leaves_the_rest_of_the_work_to_the_others() -> None:
    bus = MemoryBus()
    first = bus.subscribe("obs.>", name="history", durable=True)
    second = bus.subscribe("obs.>", name="history", durable=True)
    await first.close()
    for n in range(4):
        await bus.publish(f"obs.p{n}", {"n": n})
    await first.ack()  # acknowledging is harmless in process
    await bus.close()
    assert len(await second.batch(100)) == 4

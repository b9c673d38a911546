"""Idempotency keys: a retried command takes effect once, and the retry is audited."""

from __future__ import annotations

import asyncio

from penworks.control import Actor, ActorKind, CommandStatus
from penworks.model import SiteModel
from penworks.store import MemoryJournal
from tests.unit.control.support import OPERATOR, SETPOINT, eventually, running


async def test_a_retried_command_takes_effect_once(office: SiteModel) -> None:
    journal = MemoryJournal()
    async with running(office, journal=journal) as h:
        first = await h.command(22.0, idempotency_key="req-1")
        await h.command(23.0, 8)  # someone else changes the level meanwhile
        retry = await h.command(22.0, idempotency_key="req-1")
        assert retry.duplicate
        assert not first.duplicate
        assert (retry.id, retry.status, retry.ts) == (first.id, first.status, first.ts)
        assert h.port.writes() == [("write", SETPOINT, 22.0, 8), ("write", SETPOINT, 23.0, 8)]
        assert h.service.priority_array(SETPOINT).effective == 23.0
        records = await journal.query("audit", key=SETPOINT, newest_first=False)
        assert h.service.stats()["duplicates"] == 1
    assert [r.data["duplicate"] for r in records] == [False, False, True]
    assert records[2].data["id"] == first.id
    assert records[2].data["idempotency_key"] == "req-1"


async def test_duplicates_in_flight_wait_for_the_first(office: SiteModel) -> None:
    async with running(office) as h:
        gate = asyncio.Event()
        h.port.gate = gate
        tries = [asyncio.create_task(h.command(22.0, idempotency_key="k")) for _ in range(3)]
        await eventually(lambda: len(h.port.writes()) == 1)
        gate.set()
        outcomes = await asyncio.gather(*tries)
        assert len(h.port.writes()) == 1
    assert {o.id for o in outcomes} == {outcomes[0].id}
    assert sorted(o.duplicate for o in outcomes) == [False, True, True]
    assert all(o.status is CommandStatus.CONFIRMED for o in outcomes)


async def test_keys_belong_to_their_actor(office: SiteModel) -> None:
    other = Actor(ActorKind.OPERATOR, "zhang.min")
    async with running(office) as h:
        mine = await h.command(22.0, actor=OPERATOR, idempotency_key="k")
        theirs = await h.command(24.0, actor=other, idempotency_key="k")
    assert not theirs.duplicate
    assert theirs.id != mine.id
    assert theirs.effective == 24.0


async def test_a_key_is_forgotten_after_the_memory(office: SiteModel) -> None:
    async with running(office) as h:
        first = await h.command(22.0, idempotency_key="k")
        h.clock.advance(23 * 3600)
        assert (await h.command(22.0, idempotency_key="k")).duplicate
        h.clock.advance(2 * 3600)
        await h.command(21.0)  # a command without a key in between
        later = await h.command(22.0, idempotency_key="k")
    assert not later.duplicate
    assert later.id != first.id


async def test_a_refused_command_keeps_its_refusal_under_its_key(office: SiteModel) -> None:
    async with running(office) as h:
        h.unconnected.add(SETPOINT)
        refused = await h.command(22.0, idempotency_key="k")
        h.unconnected.clear()
        again = await h.command(22.0, idempotency_key="k")
    assert refused.status is CommandStatus.REFUSED
    assert again.duplicate
    assert again.status is CommandStatus.REFUSED
    assert h.port.calls == []


async def test_when_the_first_try_is_cancelled_a_waiting_retry_takes_over(
    office: SiteModel,
) -> None:
    async with running(office) as h:
        h.port.gate = asyncio.Event()  # never opened: the first write hangs
        first = asyncio.create_task(h.command(22.0, idempotency_key="k"))
        await eventually(lambda: len(h.port.writes()) == 1)
        retry = asyncio.create_task(h.command(22.0, idempotency_key="k"))
        await eventually(lambda: h.service.stats()["submitted"] == 2)
        h.port.gate = None
        first.cancel()
        outcome = await retry
    assert first.cancelled()
    assert not outcome.duplicate
    assert outcome.status is CommandStatus.CONFIRMED
    assert len(h.port.writes()) == 2

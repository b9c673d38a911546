"""One device: its poll loop, its faults and health, and the commands that go to it.

Every exchange goes through the device's session lock, so polls, reads and commands never
overlap on the wire; each device has its own poller, so a slow or dead device stalls
only itself. Faults never end the loop: a Modbus exception marks the block's points bad
and the device degraded ('illegal data address' first re-reads the block point by point
and remembers the bad registers); no answer or no connection marks every point of the
device bad and counts towards offline, and the next attempt waits a jittered backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from penworks.connectors.base import DeviceState
from penworks.connectors.health import DeviceHealthTracker
from penworks.connectors.modbus.codec import set_bit
from penworks.connectors.modbus.commands import BitWrite, CoilWrite, RegistersWrite, Write
from penworks.connectors.modbus.config import ModbusDeviceConfig
from penworks.connectors.modbus.counters import Counters
from penworks.connectors.modbus.observations import Output
from penworks.connectors.modbus.plan import Block, Register, Slot, find_block, plan_blocks
from penworks.connectors.modbus.session import (
    ILLEGAL_ADDRESS,
    DeviceRefused,
    DeviceSession,
    LinkFailure,
)
from penworks.core import Clock, Observation
from penworks.core.backoff import Backoff

log = logging.getLogger(__name__)

_DETAILS_SHOWN = 3  # refusals named in a health detail


class DevicePoller:
    """Polls one device's blocks until cancelled, and carries its commands."""

    def __init__(
        self,
        config: ModbusDeviceConfig,
        slots: Sequence[Slot],
        *,
        output: Output,
        tracker: DeviceHealthTracker,
        counters: Counters,
        clock: Clock,
        backoff: Backoff,
    ) -> None:
        self.config = config
        self.name = config.name
        self.session = DeviceSession(config)
        self._slots = tuple(slots)
        self._output = output
        self._tracker = tracker
        self._counters = counters
        self._clock = clock
        self._backoff = backoff
        self._bad: set[Register] = set()  # registers the device refused ('illegal address')
        self.blocks = self._plan()

    @property
    def bad_registers(self) -> frozenset[Register]:
        return frozenset(self._bad)

    def _plan(self) -> list[Block]:
        return plan_blocks(
            self._slots,
            max_block=self.config.max_block,
            max_gap=self.config.max_gap,
            avoid=self._bad,
        )

    # -- polling ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll every poll_s (clock time) until cancelled; back off while the device fails."""
        try:
            while True:
                started = time.monotonic()
                answered = await self._poll_guarded()
                _stop_if_cancelled()
                if answered:
                    self._backoff.reset()
                    spent = (time.monotonic() - started) * self._clock.speed
                    await self._clock.sleep(max(0.0, self.config.poll_s - spent))
                else:
                    # Wall time: it paces reconnection to the device, not building time.
                    await asyncio.sleep(self._backoff.next_delay())
        finally:
            self.session.close()

    async def _poll_guarded(self) -> bool:
        try:
            return await self.poll()
        except Exception:  # a bug here must not end this device's polling, nor the others'
            log.exception("%s: polling %s failed unexpectedly", self._output.name, self.name)
            self._counters.errors += 1
            return False

    async def poll(self) -> bool:
        """Read every block once and report the device's health; False if it is unreachable."""
        refusals: list[str] = []
        try:
            if not self.blocks:
                async with self.session.lock:  # nothing to read: still show whether it answers
                    await self.session.ensure_connected()
            for block in list(self.blocks):
                refusals += await self._read_block(block)
        except LinkFailure as exc:
            await self._link_failed(exc)
            return False
        await self._answered(refusals)
        return True

    async def read(self, point_id: str) -> Observation | None:
        """Read the block of one point now; its latest observation (bad if the read failed)."""
        block = find_block(self.blocks, point_id)
        if block is not None:
            try:
                refusals = await self._read_block(block)
            except LinkFailure as exc:
                await self._link_failed(exc)
            else:
                # One block says little about the rest: a degraded device stays so until
                # the next full poll.
                if refusals or self._tracker.device(self.name).state is not DeviceState.DEGRADED:
                    await self._answered(refusals)
        return self._output.latest.get(point_id)

    async def _read_block(self, block: Block) -> list[str]:
        """Read and publish one block; what the device refused. LinkFailure passes through."""
        try:
            answer = await self._exchange(block)
        except DeviceRefused as exc:
            self._refused()
            if exc.code == ILLEGAL_ADDRESS:
                return await self._fall_back(block, exc)
            await self._output.bad(block.slots)
            return [str(exc)]
        await self._output.answer(self.name, block, answer)
        self._recovered(block)
        return []

    async def _exchange(self, block: Block) -> list[int] | list[bool]:
        async with self.session.lock:
            await self.session.ensure_connected()
            if block.is_bits:
                answer: list[int] | list[bool] = await self.session.read_bits(
                    block.function, block.start, block.count
                )
            else:
                answer = await self.session.read_registers(block.function, block.start, block.count)
        self._counters.reads += 1
        return answer

    async def _fall_back(self, block: Block, exc: DeviceRefused) -> list[str]:
        """Re-read a refused block span by span; the refused spans are read alone from now on."""
        self._bad.update(block.gaps())  # unbound registers are not worth reading over again
        spans = block.spans()
        if len(spans) == 1:
            self._bad.update(spans[0][0].registers())
            await self._output.bad(block.slots)
            self._replan()
            return [str(exc)]
        self._counters.fallbacks += 1
        refusals: list[str] = []
        for span in spans:
            single = Block.alone(span)
            try:
                answer = await self._exchange(single)
            except DeviceRefused as span_exc:
                self._refused()
                if span_exc.code == ILLEGAL_ADDRESS:
                    self._bad.update(span[0].registers())
                await self._output.bad(span)
                refusals.append(str(span_exc))
                continue
            await self._output.answer(self.name, single, answer)
        self._replan()
        return refusals

    def _recovered(self, block: Block) -> None:
        """A block with registers once refused was answered: they may join their neighbours."""
        if not self._bad:
            return
        answered = {(block.function, a) for a in range(block.start, block.end)}
        if answered & self._bad:
            self._bad -= answered
            self._replan()

    def _replan(self) -> None:
        blocks = self._plan()
        if blocks != self.blocks:
            log.info(
                "%s: %s now read in %d requests (bad registers: %s)",
                self._output.name,
                self.name,
                len(blocks),
                sorted(self._bad),
            )
            self.blocks = blocks

    def _refused(self) -> None:
        self._counters.exception_responses += 1
        self._counters.errors += 1

    async def _answered(self, refusals: list[str]) -> None:
        latency = self.session.latency_s
        if refusals:
            detail = "; ".join(refusals[:_DETAILS_SHOWN])
            if len(refusals) > _DETAILS_SHOWN:
                detail += f" (and {len(refusals) - _DETAILS_SHOWN} more)"
            await self._tracker.degraded(self.name, detail, latency)
        else:
            await self._tracker.success(
                self.name, latency, f"answering, {len(self.blocks)} requests per poll"
            )

    async def _link_failed(self, exc: LinkFailure) -> None:
        self._counters.link_failures += 1
        self._counters.errors += 1
        self.session.close()
        await self._output.bad(self._slots)
        await self._tracker.failure(self.name, str(exc))  # offline after offline_after in a row

    # -- commands -----------------------------------------------------------------------------

    async def write(self, slot: Slot, write: Write) -> None:
        """Send a checked command, then read the point back and publish it.

        A refusal or a failure of the write itself raises (DeviceRefused and LinkFailure are
        ConnectorErrors with the reason); a failed read-back is reported like a failed poll.
        """
        try:
            async with self.session.lock:
                await self.session.ensure_connected()
                await self._send(slot, write)
        except DeviceRefused:
            self._refused()
            raise
        except LinkFailure as exc:
            await self._link_failed(exc)
            raise
        self._counters.writes += 1
        try:
            await self._read_block(Block.alone([s for s in self._slots if s.span == slot.span]))
        except LinkFailure as exc:
            await self._link_failed(exc)

    async def _send(self, slot: Slot, write: Write) -> None:
        match write:
            case CoilWrite(address, value):
                await self.session.write_coil(address, value)
            case RegistersWrite(address, registers):
                await self.session.write_registers(address, registers)
            case BitWrite(address, value):
                # Read-modify-write under the lock the caller holds: no poll or command between.
                (current,) = await self.session.read_registers(3, address, 1)
                await self.session.write_registers(address, [set_bit(slot.binding, current, value)])


def _stop_if_cancelled() -> None:
    """Stop a poller that was cancelled while pymodbus swallowed the cancellation.

    pymodbus awaits answers with asyncio.wait_for, which on Python 3.11 returns the answer
    and drops a cancellation that arrives just as the answer does; the task still counts it.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError

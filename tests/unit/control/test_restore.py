"""At start the arrays and idempotency keys come back from the audit log in the journal."""

from __future__ import annotations

from pathlib import Path

import pytest

import penworks.control.audit as audit_log
from penworks.control import CommandStatus, ControlConfig
from penworks.model import SiteModel
from penworks.store import JournalRecord, MemoryJournal, SqliteJournal
from tests.unit.control.support import (
    APP,
    LIGHTS,
    OPERATOR,
    RULE,
    SCHEDULE,
    SETPOINT,
    T0,
    ManualClock,
    running,
)

CONFIG = ControlConfig(confirm_timeout_s=2.0)


async def test_arrays_and_keys_come_back_from_the_journal(
    office: SiteModel, tmp_path: Path
) -> None:
    journal = SqliteJournal(tmp_path / "journal.db")
    await journal.open()
    clock = ManualClock()
    try:
        async with running(office, CONFIG, journal=journal, clock=clock) as h:
            await h.command(24.0, 8, OPERATOR, idempotency_key="op-1")
            clock.advance(1)
            await h.command(20.0, 12, RULE)
            clock.advance(1)
            await h.command(19.0, 14, SCHEDULE)
            clock.advance(1)
            await h.command(None, 14, SCHEDULE)
            clock.advance(1)
            h.port.fail = "offline"
            failed = await h.command(55.0, 10, APP, point=LIGHTS)
            h.port.fail = None
            await h.command(99.0, 4, OPERATOR)  # refused: not stored
            before = [h.service.priority_array(p) for p in (SETPOINT, LIGHTS)]
        assert failed.status is CommandStatus.FAILED
        clock.advance(60)
        async with running(office, CONFIG, journal=journal, clock=clock, restore=True) as h:
            after = [h.service.priority_array(p) for p in (SETPOINT, LIGHTS)]
            retry = await h.command(24.0, 8, OPERATOR, idempotency_key="op-1")
            writes = h.port.writes()
    finally:
        await journal.close()
    assert after == before
    assert (after[0].effective, after[0].effective_priority) == (24.0, 8)
    rule_level = after[0].levels[11]
    assert rule_level is not None
    assert (rule_level.actor, rule_level.value) == (RULE, 20.0)
    assert after[0].levels[13] is None  # the schedule relinquished its level
    assert (after[1].effective, after[1].effective_priority) == (55.0, 10)  # failed, kept
    assert retry.duplicate
    assert writes == []


async def test_records_that_cannot_be_read_are_skipped(office: SiteModel) -> None:
    journal = MemoryJournal()
    await journal.append([JournalRecord("audit", SETPOINT, T0, {"status": "confirmed"})])
    async with running(office, CONFIG, journal=journal, restore=True) as h:
        assert h.service.priority_array(SETPOINT).effective is None
        assert (await h.command(22.0)).status is CommandStatus.CONFIRMED


async def test_a_long_log_is_read_in_pages(
    office: SiteModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "_PAGE", 3)
    journal = SqliteJournal(tmp_path / "journal.db")
    await journal.open()
    clock = ManualClock()
    try:
        async with running(office, CONFIG, journal=journal, clock=clock) as h:
            for n in range(8):  # pairs of commands share an instant
                await h.command(18.0 + n, 8)
                clock.advance(n % 2)
            before = h.service.priority_array(SETPOINT)
        async with running(office, CONFIG, journal=journal, clock=clock) as h:
            replayed = await h.service.restore()
            after = h.service.priority_array(SETPOINT)
    finally:
        await journal.close()
    assert replayed == 8
    assert after == before
    assert after.effective == 25.0

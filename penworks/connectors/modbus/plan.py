"""Which requests read a device's points: adjacent registers coalesced into blocks.

Computed once per device at construction, and again only when registers turn out to be
bad (a device answered 'illegal data address'): those are read alone from then on, and
no block reaches over them, so one bad register cannot take its neighbours down.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from penworks.bus import observation_subject
from penworks.connectors.modbus.codec import Decoder, decoder
from penworks.core import Point
from penworks.model.schema import ModbusBinding

BITS_PER_REGISTER = 16  # coils and discrete inputs: a block may hold 16x as many bits

Register = tuple[int, int]  # (function, address)


@dataclass(frozen=True, slots=True)
class Slot:
    """One point where it lives in the device's register map, with its decoder prepared."""

    point: Point
    binding: ModbusBinding
    decode: Decoder = field(init=False, repr=False, compare=False)
    subject: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decode", decoder(self.binding))
        object.__setattr__(self, "subject", observation_subject(self.point.id))

    @property
    def function(self) -> int:
        return self.binding.function

    @property
    def address(self) -> int:
        return self.binding.address

    @property
    def end(self) -> int:
        """First address after the point's registers (or bit)."""
        return self.binding.address + self.binding.count

    @property
    def span(self) -> tuple[int, int, int]:
        return (self.function, self.address, self.end)

    def registers(self) -> list[Register]:
        return [(self.function, a) for a in range(self.address, self.end)]


@dataclass(frozen=True, slots=True)
class Block:
    """One read request: `count` registers (or bits) of `function` from `start`."""

    function: int
    start: int
    count: int
    slots: tuple[Slot, ...]

    @classmethod
    def alone(cls, slots: Sequence[Slot]) -> Block:
        """One request for points on the same registers (or bit), read apart from the rest."""
        first = slots[0]
        return cls(first.function, first.address, first.end - first.address, tuple(slots))

    @property
    def end(self) -> int:
        return self.start + self.count

    @property
    def is_bits(self) -> bool:
        return self.function in (1, 2)

    def spans(self) -> list[tuple[Slot, ...]]:
        """The block's points grouped by the registers they occupy (bits of one register...)."""
        ordered = sorted(self.slots, key=lambda s: (s.address, s.end))
        return [tuple(group) for _, group in groupby(ordered, key=lambda s: (s.address, s.end))]

    def gaps(self) -> list[Register]:
        """Registers the block reads that no point occupies."""
        used = {r for slot in self.slots for r in slot.registers()}
        return [
            (self.function, a)
            for a in range(self.start, self.end)
            if (self.function, a) not in used
        ]


def plan_blocks(
    slots: Iterable[Slot],
    *,
    max_block: int,
    max_gap: int,
    avoid: Collection[Register] = (),
) -> list[Block]:
    """Blocks that read every slot, each at most `max_block` registers, in address order.

    Neighbours join when at most `max_gap` unused registers lie between them (coils and
    discrete inputs: 16 times that, in bits). A slot with a register in `avoid` is read
    alone (with any slots on exactly the same registers), and no block spans an avoided
    register.
    """
    blocks: list[Block] = []
    ordered = sorted(slots, key=lambda s: (s.function, s.address, s.end))
    for function, group in groupby(ordered, key=lambda s: s.function):
        factor = BITS_PER_REGISTER if function in (1, 2) else 1
        blocks += _plan_function(list(group), max_block * factor, max_gap * factor, set(avoid))
    return blocks


def _plan_function(slots: list[Slot], limit: int, gap: int, avoid: set[Register]) -> list[Block]:
    blocks: list[Block] = []
    current: list[Slot] = []
    start = end = 0
    for slot in slots:
        if any(r in avoid for r in slot.registers()):
            continue
        joins = (
            current
            and slot.address - end <= gap
            and max(end, slot.end) - start <= limit
            and not any((slot.function, a) in avoid for a in range(end, slot.address))
        )
        if joins:
            current.append(slot)
            end = max(end, slot.end)
            continue
        if current:
            blocks.append(Block(current[0].function, start, end - start, tuple(current)))
        current, start, end = [slot], slot.address, slot.end
    if current:
        blocks.append(Block(current[0].function, start, end - start, tuple(current)))
    blocks += _alone(slots, avoid)
    return sorted(blocks, key=lambda b: (b.start, b.count))


def _alone(slots: list[Slot], avoid: set[Register]) -> list[Block]:
    """One block per distinct span of the slots that touch avoided registers."""
    suspect = [s for s in slots if any(r in avoid for r in s.registers())]
    return [Block.alone(tuple(group)) for _, group in groupby(suspect, key=lambda s: s.span)]


def find_block(blocks: Iterable[Block], point_id: str) -> Block | None:
    """The block that reads a point, if any."""
    return next((b for b in blocks if any(s.point.id == point_id for s in b.slots)), None)

"""How points are coalesced into read requests."""

from __future__ import annotations

from penworks.connectors.modbus.plan import Block, Slot, find_block, plan_blocks
from penworks.core import Point
from penworks.model.schema import ModbusBinding


def slot(address: int, type_: str = "uint16", function: int = 3, **fields: object) -> Slot:
    b = ModbusBinding(
        connector="modbus",
        device="d",
        address=address,
        type=type_,  # type: ignore[arg-type]
        function=function,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    suffix = f"_{fields['bit']}" if "bit" in fields else ""
    return Slot(Point(f"p.f{function}_{address}{suffix}", "Point"), b)


def spans(blocks: list[Block]) -> list[tuple[int, int, int]]:
    return [(b.function, b.start, b.count) for b in blocks]


def test_adjacent_registers_make_one_block() -> None:
    slots = [slot(0), slot(1), slot(2, "float32"), slot(4, "float64")]
    assert spans(plan_blocks(slots, max_block=125, max_gap=0)) == [(3, 0, 8)]


def test_a_gap_splits_blocks_unless_max_gap_allows_it() -> None:
    slots = [slot(0), slot(4), slot(10)]
    assert spans(plan_blocks(slots, max_block=125, max_gap=0)) == [(3, 0, 1), (3, 4, 1), (3, 10, 1)]
    assert spans(plan_blocks(slots, max_block=125, max_gap=3)) == [(3, 0, 5), (3, 10, 1)]
    assert spans(plan_blocks(slots, max_block=125, max_gap=5)) == [(3, 0, 11)]


def test_blocks_are_at_most_max_block_registers() -> None:
    slots = [slot(a) for a in range(300)]
    blocks = plan_blocks(slots, max_block=125, max_gap=0)
    assert spans(blocks) == [(3, 0, 125), (3, 125, 125), (3, 250, 50)]
    assert sum(len(b.slots) for b in blocks) == 300


def test_a_value_never_straddles_two_blocks() -> None:
    slots = [slot(a) for a in range(5)] + [slot(5, "float64")]
    assert spans(plan_blocks(slots, max_block=6, max_gap=0)) == [(3, 0, 5), (3, 5, 4)]


def test_functions_are_never_mixed() -> None:
    slots = [slot(0), slot(1, function=4), slot(0, "bit", function=1), slot(1, "bit", function=2)]
    assert spans(plan_blocks(slots, max_block=125, max_gap=0)) == [
        (1, 0, 1),
        (2, 1, 1),
        (3, 0, 1),
        (4, 1, 1),
    ]


def test_coils_and_inputs_read_sixteen_times_as_many_bits() -> None:
    coils = [slot(a, "bit", function=1) for a in range(0, 4000, 2)]
    blocks = plan_blocks(coils, max_block=125, max_gap=1)
    assert spans(blocks) == [(1, 0, 1999), (1, 2000, 1999)]
    assert spans(plan_blocks(coils[:3], max_block=125, max_gap=0)) == [
        (1, 0, 1),
        (1, 2, 1),
        (1, 4, 1),
    ]


def test_points_on_the_same_register_share_it() -> None:
    slots = [slot(6, "bit", bit=0), slot(6, "bit", bit=3), slot(7)]
    (block,) = plan_blocks(slots, max_block=125, max_gap=0)
    assert (block.start, block.count) == (6, 2)
    assert [len(span) for span in block.spans()] == [2, 1]


def test_overlapping_points_join_one_block() -> None:
    slots = [slot(10, "uint32"), slot(11)]
    assert spans(plan_blocks(slots, max_block=125, max_gap=0)) == [(3, 10, 2)]


def test_avoided_registers_are_read_alone_and_never_spanned() -> None:
    slots = [slot(10), slot(11), slot(12), slot(13, "uint32")]
    blocks = plan_blocks(slots, max_block=125, max_gap=5, avoid={(3, 11)})
    assert spans(blocks) == [(3, 10, 1), (3, 11, 1), (3, 12, 3)]
    # an avoided register in a gap keeps the neighbours apart, though it is nobody's
    apart = plan_blocks([slot(0), slot(3)], max_block=125, max_gap=4, avoid={(3, 2)})
    assert spans(apart) == [(3, 0, 1), (3, 3, 1)]
    # avoiding a register of another function changes nothing
    assert spans(plan_blocks(slots, max_block=125, max_gap=0, avoid={(4, 11)})) == [(3, 10, 5)]


def test_gaps_and_spans_of_a_block() -> None:
    (block,) = plan_blocks([slot(0), slot(3, "uint32")], max_block=125, max_gap=2)
    assert block.gaps() == [(3, 1), (3, 2)]
    assert [s[0].address for s in block.spans()] == [0, 3]


def test_find_block() -> None:
    slots = [slot(0), slot(10)]
    blocks = plan_blocks(slots, max_block=125, max_gap=0)
    found = find_block(blocks, "p.f3_10")
    assert found is not None
    assert found.start == 10
    assert find_block(blocks, "p.unknown") is None


def test_an_empty_map_makes_no_blocks() -> None:
    assert plan_blocks([], max_block=125, max_gap=0) == []

"""Water coils in an air stream: how far they can cool (and dry) or heat the air, and at what load.

A chilled-water coil cannot bring the air below the water's temperature plus its approach,
nor move more heat than its capacity; it dries the air down to near saturation at its
leaving temperature. A hot-water coil likewise. Its valve sets the share of the most the
coil can do: the controller's own loop opens it to reach a target leaving temperature, an
override sets it directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from penworks.sim.systems.hvac_psychro import AIR_DENSITY, enthalpy_kj_kg, humidity_ratio

COIL_APPROACH_K = 4.0  # leaving air against entering water, at full flow
LEAVING_RH_PCT = 95.0  # a wet coil leaves the air near saturation
STARVED_MARGIN_K = 0.5


@dataclass(frozen=True, slots=True)
class CoilResult:
    leaving_c: float
    leaving_ratio: float
    load_kw: float  # heat moved (thermal kW, latent included)
    valve_pct: float


def _no_load(
    entering_c: float, entering_ratio: float, wanted: bool, valve_override: float | None
) -> CoilResult:
    """A coil that moves no heat: its valve shows the override, or wide open if the loop
    wants heat moved that the water cannot give (a starved coil), else shut."""
    if valve_override is not None:
        return CoilResult(entering_c, entering_ratio, 0.0, valve_override)
    return CoilResult(entering_c, entering_ratio, 0.0, 100.0 if wanted else 0.0)


def _carried(
    full_kw: float, capacity_kw: float, wanted_share: float, valve_override: float | None
) -> tuple[float, float, float]:
    """(share of the full change, load kW, valve %) of a coil that could move `full_kw`.

    The coil carries at most its capacity; its own loop opens the valve for the share the
    target wants, an override sets the valve and so the share directly.
    """
    most = min(1.0, capacity_kw / full_kw)
    if valve_override is not None:
        share = min(most, valve_override / 100 * capacity_kw / full_kw)
    else:
        share = min(most, max(0.0, wanted_share))
    load = share * full_kw
    valve = 100.0 * load / capacity_kw if valve_override is None else valve_override
    return share, load, min(100.0, valve)


def cooling_coil(
    flow_m3s: float,
    entering_c: float,
    entering_ratio: float,
    *,
    target_c: float,
    water_c: float,
    capacity_kw: float,
    valve_override: float | None = None,
) -> CoilResult:
    """The air leaving a chilled-water coil, the load on the water and the valve position."""
    coldest = water_c + COIL_APPROACH_K
    wanted = flow_m3s > 0 and target_c < entering_c - STARVED_MARGIN_K
    if flow_m3s <= 0 or entering_c <= coldest:
        return _no_load(entering_c, entering_ratio, wanted, valve_override)
    full_ratio = min(entering_ratio, humidity_ratio(coldest, LEAVING_RH_PCT))
    full_kw = (
        AIR_DENSITY
        * flow_m3s
        * (enthalpy_kj_kg(entering_c, entering_ratio) - enthalpy_kj_kg(coldest, full_ratio))
    )
    if full_kw <= 0:
        return _no_load(entering_c, entering_ratio, wanted, valve_override)
    wanted_share = (entering_c - target_c) / (entering_c - coldest)
    share, load, valve = _carried(full_kw, capacity_kw, wanted_share, valve_override)
    return CoilResult(
        leaving_c=entering_c - share * (entering_c - coldest),
        leaving_ratio=entering_ratio - share * (entering_ratio - full_ratio),
        load_kw=load,
        valve_pct=valve,
    )


def heating_coil(
    flow_m3s: float,
    entering_c: float,
    entering_ratio: float,
    *,
    target_c: float,
    water_c: float,
    capacity_kw: float,
    valve_override: float | None = None,
) -> CoilResult:
    """The air leaving a hot-water coil, the heat it takes from the water and the valve."""
    warmest = water_c - COIL_APPROACH_K
    wanted = flow_m3s > 0 and target_c > entering_c + STARVED_MARGIN_K
    if flow_m3s <= 0 or entering_c >= warmest:
        return _no_load(entering_c, entering_ratio, wanted, valve_override)
    per_k_kw = AIR_DENSITY * flow_m3s * 1.006
    full_kw = per_k_kw * (warmest - entering_c)
    wanted_share = (target_c - entering_c) / (warmest - entering_c)
    share, load, valve = _carried(full_kw, capacity_kw, wanted_share, valve_override)
    return CoilResult(
        leaving_c=entering_c + share * (warmest - entering_c),
        leaving_ratio=entering_ratio,
        load_kw=load,
        valve_pct=valve,
    )

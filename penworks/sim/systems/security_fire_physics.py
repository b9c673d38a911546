"""How smoke, heat and CO reach a room's detectors: a growing fire, a nuisance, clearing after.

A fire grows as a t-squared fire: smoke reaches the ceiling first (a minute or two), then
heat (a rate of rise a heat detector reads minutes later) and CO. Its smoke drifts along the
ceiling to the other rooms of the floor, thinner and later. A nuisance (steam, burnt toast)
puts smoke in one room only, without heat or CO. Each place approaches its target with a
short lag while the source lasts, and clears over minutes after it ends (extraction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SMOKE_START_S = 30.0  # smoke reaches the ceiling
SMOKE_GROWTH = 1.4e-4  # %obs/m per s^2: a detector alarms (3 %obs/m) about 3 min in
SMOKE_MAX = 25.0
HEAT_START_S = 120.0
HEAT_GROWTH = 1.3e-4  # K per s^2: 8 K/min, a rate-of-rise alarm, about 10 min in
HEAT_MAX_K = 70.0
CO_START_S = 60.0
CO_GROWTH = 2.5e-3  # ppm per s^2
CO_MAX_PPM = 400.0
SPREAD_DELAY_S = 120.0  # smoke takes this long to reach the rest of the floor
SPREAD_SMOKE, SPREAD_HEAT, SPREAD_CO = 0.45, 0.1, 0.3
NUISANCE_RISE_S = 180.0
RISE_TAU_S = 20.0
SMOKE_CLEAR_TAU_S = 120.0  # smoke extraction after the fire is out
HEAT_CLEAR_TAU_S = 300.0
CO_CLEAR_TAU_S = 180.0
TRACE = 1e-3


@dataclass(frozen=True, slots=True)
class Plume:
    """What a source puts at a detector: smoke obscuration, heat above the room, CO."""

    smoke: float = 0.0  # %obs/m
    heat_k: float = 0.0
    co_ppm: float = 0.0

    def plus(self, other: Plume) -> Plume:
        return Plume(
            self.smoke + other.smoke, self.heat_k + other.heat_k, self.co_ppm + other.co_ppm
        )


NONE = Plume()


def _grow(elapsed_s: float, start_s: float, rate: float, cap: float) -> float:
    late = max(0.0, elapsed_s - start_s)
    return min(cap, rate * late * late)


def fire_plume(elapsed_s: float, growth: float) -> Plume:
    """At the room on fire, `elapsed_s` after ignition; growth scales how fast it develops."""
    return Plume(
        _grow(elapsed_s, SMOKE_START_S, SMOKE_GROWTH * growth, SMOKE_MAX),
        _grow(elapsed_s, HEAT_START_S, HEAT_GROWTH * growth, HEAT_MAX_K),
        _grow(elapsed_s, CO_START_S, CO_GROWTH * growth, CO_MAX_PPM),
    )


def spread_plume(elapsed_s: float, growth: float) -> Plume:
    """At another room of the same floor: thinner and later."""
    at_source = fire_plume(elapsed_s - SPREAD_DELAY_S, growth)
    return Plume(
        at_source.smoke * SPREAD_SMOKE,
        at_source.heat_k * SPREAD_HEAT,
        at_source.co_ppm * SPREAD_CO,
    )


def nuisance_plume(elapsed_s: float, peak: float) -> Plume:
    """Steam or cooking smoke: rises to a peak obscuration and stays; no heat, no CO."""
    return Plume(smoke=peak * min(1.0, max(0.0, elapsed_s) / NUISANCE_RISE_S))


def _lag(value: float, target: float, dt: float, tau_up: float, tau_down: float) -> float:
    tau = tau_up if target > value else tau_down
    moved = target + (value - target) * math.exp(-dt / tau)
    return 0.0 if target == 0.0 and moved < TRACE else moved


@dataclass(slots=True)
class PlaceAir:
    """What the detectors of one place sense beyond the normal."""

    smoke: float = 0.0
    heat_k: float = 0.0
    co_ppm: float = 0.0

    def approach(self, target: Plume, dt: float) -> None:
        self.smoke = _lag(self.smoke, target.smoke, dt, RISE_TAU_S, SMOKE_CLEAR_TAU_S)
        self.heat_k = _lag(self.heat_k, target.heat_k, dt, RISE_TAU_S, HEAT_CLEAR_TAU_S)
        self.co_ppm = _lag(self.co_ppm, target.co_ppm, dt, RISE_TAU_S, CO_CLEAR_TAU_S)

    @property
    def clear(self) -> bool:
        return self.smoke == 0.0 and self.heat_k == 0.0 and self.co_ppm == 0.0

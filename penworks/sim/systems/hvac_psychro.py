"""Moist air, as much as the twin needs: humidity ratio, relative humidity, enthalpy, wet bulb.

Sea-level pressure; Magnus' saturation pressure over water; Stull's wet-bulb fit.
"""

from __future__ import annotations

import math

PRESSURE_PA = 101_325.0
AIR_DENSITY = 1.2  # kg/m3
LATENT_KJ_PER_KG = 2501.0


def saturation_pressure_pa(temp_c: float) -> float:
    return 610.94 * math.exp(17.625 * temp_c / (temp_c + 243.04))


def humidity_ratio(temp_c: float, rh_pct: float) -> float:
    """kg of water per kg of dry air."""
    vapour = max(0.0, min(100.0, rh_pct)) / 100 * saturation_pressure_pa(temp_c)
    return 0.622 * vapour / (PRESSURE_PA - vapour)


def relative_humidity(temp_c: float, ratio: float) -> float:
    vapour = ratio * PRESSURE_PA / (0.622 + ratio)
    return max(0.0, min(100.0, 100 * vapour / saturation_pressure_pa(temp_c)))


def enthalpy_kj_kg(temp_c: float, ratio: float) -> float:
    return 1.006 * temp_c + ratio * (LATENT_KJ_PER_KG + 1.86 * temp_c)


def wet_bulb_c(temp_c: float, rh_pct: float) -> float:
    """Stull (2011), within about 0.3 K for 5..99 %RH and -20..50 degC."""
    rh = max(5.0, min(99.0, rh_pct))
    return (
        temp_c * math.atan(0.151977 * math.sqrt(rh + 8.313659))
        + math.atan(temp_c + rh)
        - math.atan(rh - 1.676331)
        + 0.00391838 * rh * math.sqrt(rh) * math.atan(0.023101 * rh)
        - 4.686035
    )

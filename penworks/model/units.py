"""Unit symbols of the site file and their QUDT units (http://qudt.org/vocab/unit/)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

QUDT_UNIT_NS = "http://qudt.org/vocab/unit/"

# symbol -> QUDT unit local name. The first symbol of a QUDT unit is the one import gives back.
SYMBOL_TO_QUDT: Mapping[str, str] = MappingProxyType(
    {
        "degC": "DEG_C",
        "degF": "DEG_F",
        "K": "K",
        "%": "PERCENT",
        "%RH": "PERCENT_RH",
        "ppm": "PPM",
        "ppb": "PPB",
        "ug/m3": "MicroGM-PER-M3",
        "W": "W",
        "kW": "KiloW",
        "MW": "MegaW",
        "Wh": "W-HR",
        "kWh": "KiloW-HR",
        "MWh": "MegaW-HR",
        "kVA": "KiloV-A",
        "kvar": "KiloV-A_Reactive",
        "V": "V",
        "kV": "KiloV",
        "A": "A",
        "Hz": "HZ",
        "lux": "LUX",
        "lx": "LUX",
        "L/s": "L-PER-SEC",
        "m3/h": "M3-PER-HR",
        "m3/s": "M3-PER-SEC",
        "cfm": "FT3-PER-MIN",
        "m/s": "M-PER-SEC",
        "Pa": "PA",
        "kPa": "KiloPA",
        "bar": "BAR",
        "m": "M",
        "m2": "M2",
        "m3": "M3",
        "L": "L",
        "kg": "KiloGM",
        "s": "SEC",
        "min": "MIN",
        "h": "HR",
        "rpm": "REV-PER-MIN",
        "dB": "DeciB",
        "dBA": "DeciB_A",
        "W/m2": "W-PER-M2",
        "deg": "DEG",
        "mm": "MilliM",
        "mm/h": "MilliM-PER-HR",
        "hPa": "HectoPA",
        "mA": "MilliA",
        "kg/h": "KiloGM-PER-HR",
        "L/h": "L-PER-HR",
    }
)

# Reversed so that the first symbol of a unit wins.
QUDT_TO_SYMBOL: Mapping[str, str] = MappingProxyType(
    {qudt: symbol for symbol, qudt in reversed(list(SYMBOL_TO_QUDT.items()))}
)


def qudt_unit(symbol: str) -> str | None:
    """The QUDT unit local name of a symbol, or None when there is no mapping."""
    return SYMBOL_TO_QUDT.get(symbol)


def unit_symbol(qudt_local: str) -> str:
    """The site-file symbol of a QUDT unit; an unmapped unit keeps its QUDT name."""
    return QUDT_TO_SYMBOL.get(qudt_local, qudt_local)

"""Unit symbols of the site file from OPC UA EngineeringUnits (EUInformation).

Servers name units by their UNECE symbol in DisplayName ('°C', 'm³/h') and by the UNECE
common code packed into UnitId ('CEL'). The site file spells units as ASCII symbols (degC,
m3/h); a symbol it already knows is kept as it is.
"""

from __future__ import annotations

from penworks.model.units import SYMBOL_TO_QUDT

# Display names whose site-file symbol is spelled differently.
SYMBOL_BY_DISPLAY_NAME: dict[str, str] = {
    "°C": "degC",
    "℃": "degC",
    "°F": "degF",
    "℉": "degF",
    "l/s": "L/s",
    "m³/h": "m3/h",
    "m³/s": "m3/s",
    "m³": "m3",
    "m²": "m2",
    "l": "L",
    "lux": "lx",
    "min⁻¹": "rpm",
    "r/min": "rpm",
}

# UNECE Recommendation 20 common codes (as OPC UA packs them into UnitId) -> symbol.
SYMBOL_BY_UNECE_CODE: dict[str, str] = {
    "CEL": "degC",
    "FAH": "degF",
    "KEL": "K",
    "P1": "%",
    "59": "ppm",
    "WTT": "W",
    "KWT": "kW",
    "KWH": "kWh",
    "PAL": "Pa",
    "KPA": "kPa",
    "VLT": "V",
    "AMP": "A",
    "HTZ": "Hz",
    "LUX": "lx",
    "MTR": "m",
    "MTS": "m/s",
}


def unece_code(unit_id: int) -> str:
    """The UNECE common code that OPC UA packs into EUInformation.UnitId (big-endian ASCII)."""
    if unit_id <= 0:
        return ""
    raw = unit_id.to_bytes((unit_id.bit_length() + 7) // 8, "big")
    return raw.decode("ascii", errors="replace")


def unit_symbol(display_name: str | None, unit_id: int | None = None) -> str | None:
    """The site-file symbol of an EUInformation, or None when it names no unit."""
    name = (display_name or "").strip()
    if name in SYMBOL_TO_QUDT:
        return name
    if name in SYMBOL_BY_DISPLAY_NAME:
        return SYMBOL_BY_DISPLAY_NAME[name]
    by_code = SYMBOL_BY_UNECE_CODE.get(unece_code(unit_id)) if unit_id else None
    return by_code or name or None

"""Units as OPC UA servers state them: EUInformation with the UNECE Recommendation 20 code.

OPC UA (Part 8) names a unit by its UNECE common code packed into `UnitId` (big-endian
ASCII, 'CEL' -> 4408652) and shows the UNECE symbol as `DisplayName` ('°C'). The twin's
points use the site file's ASCII symbols (degC, m3/h); a unit with no UNECE code is given
as its text with UnitId -1 (the spec's value for 'no code').
"""

from __future__ import annotations

from asyncua import ua

UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"
NO_CODE = -1

# site-file symbol -> (UNECE common code, UNECE symbol)
UNECE: dict[str, tuple[str, str]] = {
    "degC": ("CEL", "°C"),
    "degF": ("FAH", "°F"),
    "K": ("KEL", "K"),
    "%": ("P1", "%"),
    "%RH": ("P1", "%RH"),
    "ppm": ("59", "ppm"),
    "ppb": ("61", "ppb"),
    "ug/m3": ("GQ", "µg/m³"),
    "W": ("WTT", "W"),
    "kW": ("KWT", "kW"),
    "MW": ("MAW", "MW"),
    "Wh": ("WHR", "W·h"),
    "kWh": ("KWH", "kW·h"),
    "MWh": ("MWH", "MW·h"),
    "kVA": ("KVA", "kV·A"),
    "kvar": ("KVR", "kvar"),
    "V": ("VLT", "V"),
    "kV": ("KVT", "kV"),
    "A": ("AMP", "A"),
    "Hz": ("HTZ", "Hz"),
    "lx": ("LUX", "lx"),
    "lux": ("LUX", "lx"),
    "L/s": ("G51", "l/s"),
    "m3/h": ("MQH", "m³/h"),
    "m3/s": ("MQS", "m³/s"),
    "m/s": ("MTS", "m/s"),
    "Pa": ("PAL", "Pa"),
    "kPa": ("KPA", "kPa"),
    "bar": ("BAR", "bar"),
    "m": ("MTR", "m"),
    "m2": ("MTK", "m²"),
    "m3": ("MTQ", "m³"),
    "L": ("LTR", "l"),
    "kg": ("KGM", "kg"),
    "s": ("SEC", "s"),
    "min": ("MIN", "min"),
    "h": ("HUR", "h"),
    "rpm": ("RPM", "r/min"),
    "dB": ("2N", "dB"),
}


def unit_id(code: str) -> int:
    """A UNECE common code as OPC UA packs it into EUInformation.UnitId."""
    return int.from_bytes(code.encode("ascii"), "big")


def eu_information(unit: str) -> ua.EUInformation:
    code, symbol = UNECE.get(unit, ("", unit))
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE,
        UnitId=unit_id(code) if code else NO_CODE,
        DisplayName=ua.LocalizedText(symbol),
        Description=ua.LocalizedText(unit),
    )

"""Unit symbols of the twin's point specs as BACnet engineering units (bacpypes3's names).

The same symbols as the site model (degC, %RH, kWh, ...). A symbol missing here is served as
no-units, as a device whose vendor never filled the units in.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

NO_UNITS = "noUnits"

ENGINEERING_UNITS: Mapping[str, str] = MappingProxyType(
    {
        # temperature
        "degC": "degreesCelsius",
        "degF": "degreesFahrenheit",
        "K": "degreesKelvin",
        # ratios and air quality
        "%": "percent",
        "%RH": "percentRelativeHumidity",
        "ppm": "partsPerMillion",
        "ppb": "partsPerBillion",
        "ug/m3": "microgramsPerCubicMeter",
        "%obs/m": "percentObscurationPerMeter",  # smoke detectors
        # electrical
        "W": "watts",
        "kW": "kilowatts",
        "MW": "megawatts",
        "Wh": "wattHours",
        "kWh": "kilowattHours",
        "MWh": "megawattHours",
        "VA": "voltAmperes",
        "kVA": "kilovoltAmperes",
        "kvar": "kilovoltAmperesReactive",
        "kvarh": "kilowattHoursReactive",
        "V": "volts",
        "kV": "kilovolts",
        "mV": "millivolts",
        "A": "amperes",
        "mA": "milliamperes",
        "Hz": "hertz",
        "PF": "powerFactor",
        "ohm": "ohms",
        # pressure
        "Pa": "pascals",
        "hPa": "hectopascals",
        "kPa": "kilopascals",
        "bar": "bars",
        "mbar": "millibars",
        "psi": "poundsForcePerSquareInch",
        "inH2O": "inchesOfWater",
        # flow and volume
        "L/s": "litersPerSecond",
        "L/min": "litersPerMinute",
        "L/h": "litersPerHour",
        "m3/h": "cubicMetersPerHour",
        "m3/s": "cubicMetersPerSecond",
        "cfm": "cubicFeetPerMinute",
        "gpm": "usGallonsPerMinute",
        "L": "liters",
        "m3": "cubicMeters",
        # light, motion, length, sound
        "lx": "luxes",
        "lux": "luxes",
        "lm": "lumens",
        "rpm": "revolutionsPerMinute",
        "m/s": "metersPerSecond",
        "m": "meters",
        "mm": "millimeters",
        "kg": "kilograms",
        "dB": "decibels",
        "dBA": "decibelsA",
        "deg": "degreesAngular",
        # time and energy
        "s": "seconds",
        "min": "minutes",
        "h": "hours",
        "d": "days",
        "J": "joules",
        "kJ": "kilojoules",
        "MJ": "megajoules",
        "BTU/h": "btusPerHour",
        "TR": "tonsRefrigeration",
        "W/m2": "wattsPerSquareMeter",
    }
)


def engineering_units(symbol: str | None) -> str:
    """The BACnet engineering unit of a symbol (degC: degreesCelsius); no-units if unknown."""
    if symbol is None:
        return NO_UNITS
    return ENGINEERING_UNITS.get(symbol, NO_UNITS)

"""BACnet engineering units (by their bacpypes3 names) as the unit symbols of the site model."""

from __future__ import annotations

UNIT_SYMBOLS: dict[str, str] = {
    # temperature
    "degreesCelsius": "degC",
    "degreesFahrenheit": "degF",
    "degreesKelvin": "K",
    "deltaDegreesKelvin": "K",
    "deltaDegreesFahrenheit": "degF",
    # ratios and air quality
    "percent": "%",
    "percentRelativeHumidity": "%RH",
    "partsPerMillion": "ppm",
    "partsPerBillion": "ppb",
    "microgramsPerCubicMeter": "ug/m3",
    # electrical
    "watts": "W",
    "kilowatts": "kW",
    "megawatts": "MW",
    "wattHours": "Wh",
    "kilowattHours": "kWh",
    "megawattHours": "MWh",
    "voltAmperes": "VA",
    "kilovoltAmperes": "kVA",
    "kilovoltAmperesReactive": "kvar",
    "kilowattHoursReactive": "kvarh",
    "volts": "V",
    "kilovolts": "kV",
    "millivolts": "mV",
    "amperes": "A",
    "milliamperes": "mA",
    "hertz": "Hz",
    "powerFactor": "PF",
    "ohms": "ohm",
    # pressure
    "pascals": "Pa",
    "hectopascals": "hPa",
    "kilopascals": "kPa",
    "bars": "bar",
    "millibars": "mbar",
    "poundsForcePerSquareInch": "psi",
    "inchesOfWater": "inH2O",
    # flow and volume
    "litersPerSecond": "L/s",
    "litersPerMinute": "L/min",
    "litersPerHour": "L/h",
    "cubicMetersPerHour": "m3/h",
    "cubicMetersPerSecond": "m3/s",
    "cubicFeetPerMinute": "cfm",
    "usGallonsPerMinute": "gpm",
    "liters": "L",
    "cubicMeters": "m3",
    # light, speed, time, energy
    "luxes": "lx",
    "lumens": "lm",
    "revolutionsPerMinute": "rpm",
    "metersPerSecond": "m/s",
    "seconds": "s",
    "minutes": "min",
    "hours": "h",
    "days": "d",
    "joules": "J",
    "kilojoules": "kJ",
    "megajoules": "MJ",
    "btusPerHour": "BTU/h",
    "tonsRefrigeration": "TR",
    "wattsPerSquareMeter": "W/m2",
}

NO_UNITS = frozenset({"noUnits"})


def unit_symbol(bacnet_units: str | None) -> str | None:
    """The symbol of an engineering unit (degreesCelsius: degC); None for none or unknown."""
    if bacnet_units is None or bacnet_units in NO_UNITS:
        return None
    return UNIT_SYMBOLS.get(bacnet_units)

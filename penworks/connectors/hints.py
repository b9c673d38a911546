"""Brick classes and units suggested from what devices call their points.

Every discovery (MQTT keys, Modbus register names, BACnet object names and descriptions,
OPC UA browse names) goes through here. The rules are data: groups of words that must all
be present (any word of each group), most specific first, so that 'zone air temp' becomes
Zone_Air_Temperature_Sensor while a bare 'temp' stays Temperature_Sensor. A role from the
protocol (a BACnet analog-output is a command) adds its word when the name has none.
"""

from __future__ import annotations

import re
from typing import Literal

Role = Literal["sensor", "setpoint", "command", "status", "alarm"]

_SP = "setpoint sp stpt spt"
_CMD = "cmd command"
_TEMP = "temp temperature tmp"
_ZONE = "zone room space zn indoor"
_HUM = "humidity rh hum"

Rules = tuple[tuple[tuple[frozenset[str], ...], str], ...]


def _rules(*table: tuple[str, str]) -> Rules:
    """'a b | c' -> ({a, b}, {c}): a word of each group must be present."""
    return tuple(
        (tuple(frozenset(group.split()) for group in groups.split("|")), brick)
        for groups, brick in table
    )


# Each rule: (groups of alternative words, all groups required) -> Brick class.
BRICK_RULES: Rules = _rules(
    # setpoints
    (f"{_ZONE} | {_TEMP} | {_SP}", "Zone_Air_Temperature_Setpoint"),
    (f"supply discharge sa | {_TEMP} | {_SP}", "Supply_Air_Temperature_Setpoint"),
    (f"{_TEMP} | {_SP}", "Temperature_Setpoint"),
    (f"{_HUM} | {_SP}", "Humidity_Setpoint"),
    (f"flow airflow | {_SP}", "Air_Flow_Setpoint"),
    (f"co2 | {_SP}", "CO2_Setpoint"),
    (_SP, "Setpoint"),
    # commands
    (f"damper | {_CMD}", "Damper_Position_Command"),
    (f"valve | {_CMD}", "Valve_Position_Command"),
    (f"speed frequency vfd | {_CMD}", "Speed_Command"),
    (f"start stop enable fan pump run | {_CMD}", "Start_Stop_Command"),
    (f"position level dim dimming | {_CMD}", "Position_Command"),
    (_CMD, "Command"),
    # alarms
    ("leak | alarm", "Leak_Alarm"),
    ("leak", "Leak_Alarm"),
    ("smoke", "Smoke_Detection_Alarm"),
    ("comm communication | loss fail", "Communication_Loss_Alarm"),
    ("alarm alm", "Alarm"),
    # temperatures
    (f"chilled chw | supply | {_TEMP}", "Chilled_Water_Supply_Temperature_Sensor"),
    (f"chilled chw | return | {_TEMP}", "Chilled_Water_Return_Temperature_Sensor"),
    (f"hot hw heating | water | supply | {_TEMP}", "Hot_Water_Supply_Temperature_Sensor"),
    (f"hot hw heating | water | return | {_TEMP}", "Hot_Water_Return_Temperature_Sensor"),
    (f"{_ZONE} | {_TEMP}", "Zone_Air_Temperature_Sensor"),
    (f"supply discharge | {_TEMP}", "Supply_Air_Temperature_Sensor"),
    ("sat dat", "Supply_Air_Temperature_Sensor"),
    (f"return | {_TEMP}", "Return_Air_Temperature_Sensor"),
    ("rat", "Return_Air_Temperature_Sensor"),
    (f"mixed mixing | {_TEMP}", "Mixed_Air_Temperature_Sensor"),
    (f"outside outdoor ambient | {_TEMP}", "Outside_Air_Temperature_Sensor"),
    ("oat", "Outside_Air_Temperature_Sensor"),
    (_TEMP, "Temperature_Sensor"),
    # air quality and humidity
    (f"{_ZONE} | {_HUM}", "Zone_Air_Humidity_Sensor"),
    (f"outside outdoor ambient | {_HUM}", "Outside_Air_Humidity_Sensor"),
    (_HUM, "Humidity_Sensor"),
    ("co2", "CO2_Sensor"),
    ("voc tvoc", "TVOC_Sensor"),
    ("co", "CO_Sensor"),
    # air and water side
    ("damper", "Damper_Position_Sensor"),
    ("water | flow", "Water_Flow_Sensor"),
    ("flow airflow", "Supply_Air_Flow_Sensor"),
    ("differential dp | pressure press", "Differential_Pressure_Sensor"),
    ("static | pressure press", "Static_Pressure_Sensor"),
    ("pressure press", "Pressure_Sensor"),
    ("tank water | level", "Water_Level_Sensor"),
    # electrical
    ("energy kwh wh mwh", "Energy_Sensor"),
    ("reactive kvar var", "Reactive_Power_Sensor"),
    ("factor pf", "Power_Factor_Sensor"),
    ("power kw watts", "Electric_Power_Sensor"),
    ("voltage volt volts", "Voltage_Sensor"),
    ("current amps ampere", "Current_Sensor"),
    ("frequency hz", "Frequency_Sensor"),
    # occupancy and light
    ("occupied occupancy presence occ", "Occupancy_Sensor"),
    ("lux illuminance lx", "Illuminance_Sensor"),
    # states
    ("mode", "Mode_Status"),
    ("fan | status state", "Fan_Status"),
    ("run running | status state", "Run_Status"),
    ("fault flt", "Fault_Status"),
    ("status state", "Status"),
    ("speed", "Speed_Sensor"),
    ("position pos", "Position_Sensor"),
)

# Equipment: the words of a device's or object's name -> Brick class; first match wins.
EQUIPMENT_RULES: Rules = _rules(
    ("lift elevator car", "Elevator"),
    ("handling handler | air", "AHU"),
    ("ahu", "AHU"),
    ("vav", "VAV"),
    ("fcu | coil fan", "Fan_Coil_Unit"),
    ("fcu", "Fan_Coil_Unit"),
    ("doas | fresh outdoor | air unit", "Dedicated_Outdoor_Air_System_Unit"),
    ("chiller", "Chiller"),
    ("boiler", "Boiler"),
    ("tower | cooling", "Cooling_Tower"),
    ("pump", "Pump"),
    ("exhaust | fan", "Exhaust_Fan"),
    ("fan", "Fan"),
    ("inverter", "Inverter"),
    ("pv photovoltaic solar", "Photovoltaic_Array"),
    ("battery", "Battery"),
    ("water | meter", "Water_Meter"),
    ("meter", "Electrical_Meter"),
    ("charger evse", "Electric_Vehicle_Charging_Station"),
    ("camera", "Camera"),
    ("reader", "Access_Reader"),
    ("tank", "Water_Tank"),
    ("weather", "Weather_Station"),
    ("blind", "Blind"),
    ("thermostat", "Thermostat"),
    ("fire | panel", "Fire_Control_Panel"),
)

# A word that a protocol role adds when the name says none of the role's words.
_ROLE_WORDS: dict[str, tuple[str, frozenset[str]]] = {
    "setpoint": ("sp", frozenset(_SP.split())),
    "command": ("cmd", frozenset(_CMD.split())),
    "status": ("status", frozenset({"status", "state"})),
    "alarm": ("alarm", frozenset({"alarm", "alm"})),
}

BRICK_BY_UNIT: dict[str, str] = {
    "degC": "Temperature_Sensor",
    "degF": "Temperature_Sensor",
    "K": "Temperature_Sensor",
    "kW": "Electric_Power_Sensor",
    "W": "Electric_Power_Sensor",
    "kWh": "Energy_Sensor",
    "Wh": "Energy_Sensor",
    "MWh": "Energy_Sensor",
    "lx": "Illuminance_Sensor",
    "%RH": "Humidity_Sensor",
    "Pa": "Pressure_Sensor",
    "kPa": "Pressure_Sensor",
    "V": "Voltage_Sensor",
    "A": "Current_Sensor",
    "Hz": "Frequency_Sensor",
    "ppm": "CO2_Sensor",
    "L/s": "Flow_Sensor",
    "m3/h": "Flow_Sensor",
}

# The quantity a unit measures, as a word the rules know: ZN_T in degC is a zone temperature.
_UNIT_WORDS: dict[str, str] = {
    "degC": "temp",
    "degF": "temp",
    "K": "temp",
    "%RH": "humidity",
    "kW": "power",
    "W": "power",
    "kWh": "energy",
    "Wh": "energy",
    "MWh": "energy",
    "Pa": "pressure",
    "kPa": "pressure",
    "lx": "lux",
    "V": "voltage",
    "A": "current",
    "Hz": "frequency",
}

# The last word of a name, when it names a unit: temp_c, power_kw, co2_ppm.
UNIT_BY_SUFFIX: dict[str, str] = {
    "c": "degC",
    "degc": "degC",
    "celsius": "degC",
    "f": "degF",
    "degf": "degF",
    "pct": "%",
    "percent": "%",
    "ppm": "ppm",
    "kw": "kW",
    "w": "W",
    "kwh": "kWh",
    "wh": "Wh",
    "lux": "lx",
    "lx": "lx",
    "pa": "Pa",
    "kpa": "kPa",
    "v": "V",
    "hz": "Hz",
}

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z]{2,})")  # zoneAirTemp, but not kWh or co2


def words(name: str) -> list[str]:
    """Lower-case words of a name: 'zoneAirTemp' and 'zone_air_temp' give zone, air, temp."""
    return [word.lower() for part in _SEPARATORS.split(name) for word in _CAMEL.split(part) if word]


def _has(found: list[str], hint: str) -> bool:
    """Whether a word is the hint, or starts with it when the hint is long (temperature: temp)."""
    return any(w == hint or (len(hint) >= 4 and w.startswith(hint)) for w in found)


def suggest_brick(
    name: str,
    unit: str | None = None,
    *,
    description: str | None = None,
    role: Role | None = None,
) -> str | None:
    """The Brick class that a name (and description, role, or failing those its unit) suggests."""
    found = words(name) + (words(description) if description else [])
    unit_word = _UNIT_WORDS.get(unit or "")
    if unit_word is not None:
        found.append(unit_word)
    if role in _ROLE_WORDS:
        role_word, said = _ROLE_WORDS[role]
        if not any(_has(found, w) for w in said):
            found.append(role_word)
    brick = _first_match(found, BRICK_RULES)
    if brick is None and unit is not None and role in (None, "sensor"):
        return BRICK_BY_UNIT.get(unit)
    return brick


def suggest_equipment(name: str, description: str | None = None) -> str | None:
    """The Brick equipment class a device's name (or description) suggests, if any."""
    return _first_match(words(name) + (words(description) if description else []), EQUIPMENT_RULES)


def _first_match(found: list[str], rules: Rules) -> str | None:
    for groups, brick in rules:
        if all(any(_has(found, hint) for hint in group) for group in groups):
            return brick
    return None


def unit_from_name(name: str) -> str | None:
    """The unit a name's last word names (temp_c -> degC), if it names one."""
    found = words(name)
    return UNIT_BY_SUFFIX.get(found[-1]) if len(found) > 1 else None


def local_id(name: str, taken: set[str] | None = None) -> str:
    """A lower snake case id for a name, unique among `taken` (which it joins)."""
    base = "_".join(words(name)) or "point"
    if not base[0].isalpha():
        base = f"p_{base}"
    candidate, n = base, 2
    while taken is not None and candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    if taken is not None:
        taken.add(candidate)
    return candidate

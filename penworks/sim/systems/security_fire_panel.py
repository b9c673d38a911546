"""The fire alarm panel's decisions: detector states, coincidence, latching, silence and reset.

Coincidence (EN 54-2 type B dependency): one automatic detector in alarm is only worth an
investigation (pre-alarm on the panel); a second one, or a manual call point, confirms the
fire: fire alarm on the floors in alarm, sounders, evacuation. A confirmed alarm latches:
every detector and call point that alarmed stays in alarm until the panel is reset. The
twin's operator silences the sounders a couple of minutes after the fire is out and resets
the panel a few minutes later, once no detector still sees smoke or heat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from penworks.sim.systems.security_fire_catalogue import (
    ALARM,
    CO,
    FAULT,
    FIRE_ALARM,
    HEAT,
    NORMAL,
    PRE,
    PRE_ALARM,
    QUIET,
    SILENCED,
    SMOKE,
)

PRE_ALARM_AT = {SMOKE: 1.5, HEAT: 45.0, CO: 70.0}  # %obs/m, degC, ppm
ALARM_AT = {SMOKE: 3.0, HEAT: 57.0, CO: 150.0}  # EN 54-5 class A1 heat: 54-65 degC
ROR_PRE_K_MIN = 5.0
ROR_ALARM_K_MIN = 8.3  # rate-of-rise heat detectors
CONFIRMING_KINDS = frozenset({SMOKE, HEAT})  # CO alone never confirms a fire
SILENCE_AFTER_S = 120.0
RESET_AFTER_S = 300.0


def sensed_state(kind: str, value: float, rise_k_min: float = 0.0) -> str:
    """What a detector reports for what it senses (before the panel's latch)."""
    if value >= ALARM_AT[kind] or (kind == HEAT and rise_k_min >= ROR_ALARM_K_MIN):
        return ALARM
    if value >= PRE_ALARM_AT[kind] or (kind == HEAT and rise_k_min >= ROR_PRE_K_MIN):
        return PRE
    return QUIET


@dataclass(slots=True)
class Panel:
    """The panel's latch: confirmed alarm, floors in alarm, devices latched, silence."""

    fire_alarm: bool = False
    silenced: bool = False
    floors: set[str] = field(default_factory=set)
    latched: set[str] = field(default_factory=set)  # detector and call point keys
    pressed: dict[str, str] = field(default_factory=dict)  # call point key -> floor
    out_for_s: float | None = None  # how long the fire has been out while the alarm stands

    def press(self, key: str, floor: str) -> None:
        """Someone breaks the glass of a manual call point."""
        self.pressed[key] = floor

    def update(self, alarms: dict[str, str], fire_out: bool, quiet: bool, dt: float) -> None:
        """Apply this step's automatic alarms (key -> floor) and the operator's routine.

        `fire_out`: no fire is burning any more; `quiet`: no detector senses smoke or heat
        at pre-alarm level, so a reset would hold.
        """
        if not self.fire_alarm and (len(alarms) >= 2 or self.pressed):
            self.fire_alarm = True
            self.silenced = False
            self.out_for_s = None
        if not self.fire_alarm:
            return
        for key, floor in (*alarms.items(), *self.pressed.items()):
            self.latched.add(key)
            self.floors.add(floor)
        if not fire_out:
            self.out_for_s = None
            return
        self.out_for_s = 0.0 if self.out_for_s is None else self.out_for_s + dt
        if self.out_for_s >= SILENCE_AFTER_S:
            self.silenced = True
        if self.out_for_s >= RESET_AFTER_S and quiet:
            self.reset()

    def reset(self) -> None:
        self.fire_alarm = False
        self.silenced = False
        self.floors.clear()
        self.latched.clear()
        self.pressed.clear()
        self.out_for_s = None

    @property
    def sounders(self) -> bool:
        return self.fire_alarm and not self.silenced

    def mode(self, investigating: bool, faulted: bool) -> int:
        if self.fire_alarm:
            return SILENCED if self.silenced else FIRE_ALARM
        if investigating:
            return PRE_ALARM
        return FAULT if faulted else NORMAL

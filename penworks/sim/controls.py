"""How the twin's own controllers run Building 15: as the twin has them, or on fixed schedules.

LOCAL (the default) is the twin as it is: lights switch on occupancy and dim against
daylight, the air handlers start by optimal start, the fresh-air units follow room CO2.
FIXED is a building run the way most are today, on time schedules alone: lights at full
level 07:00-20:00 on working days, air handlers from a fixed 06:00 start to 20:00, fresh
air at design flow while the units' schedule runs (demand control only once a CO2 setpoint
is commanded). In both, whatever the network commands wins, so a platform app can do
better than the schedules; the fan-coil programs, the zone setpoints and every other system
are the same in both.
"""

from __future__ import annotations

from enum import StrEnum


class Controls(StrEnum):
    LOCAL = "local"
    FIXED = "fixed"

"""The ground truth of a run: what was injected, when and where, and who was really where.

A JSON Lines file, one record a line, so that every smart app can be scored against it:
  {"type": "scenario", "event": "start"|"end", "kind", "target", "ts", "start", "end"}
  {"type": "occupancy", "ts", "inside", "places": {"f3/r301": 17, ...}}   every interval
  {"type": "booking", "room", "start", "end", "attendees", "no_show"}     when it has ended
Records are flushed as they are written, so a run cut short keeps what happened.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from penworks.sim.people import OUTSIDE, People
from penworks.sim.scenarios import Injection

OCCUPANCY_EVERY_S = 300.0


class GroundTruth:
    def __init__(self, path: Path, every_s: float = OCCUPANCY_EVERY_S) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] | None = path.open("a", encoding="utf-8")
        self._every_s = every_s
        self._last: datetime | None = None
        self._bookings_done: set[tuple[str, datetime]] = set()

    def scenario(self, event: str, injection: Injection) -> None:
        self._write(
            {
                "type": "scenario",
                "event": event,
                "kind": injection.kind.value,
                "target": injection.target,
                "ts": (injection.start if event == "start" else injection.end).isoformat(),
                "start": injection.start.isoformat(),
                "end": injection.end.isoformat(),
                **({"params": injection.params} if injection.params else {}),
            }
        )

    def occupancy(self, now: datetime, people: People) -> None:
        """The true count of every place, every interval, and each booking once it has ended."""
        day = people.now.date() if people.now is not None else now.date()
        for booking in people.bookings(day):
            key = (booking.room, booking.start)
            if booking.end <= now and key not in self._bookings_done:
                self._bookings_done.add(key)
                self._write(
                    {
                        "type": "booking",
                        "room": booking.room,
                        "start": booking.start.isoformat(),
                        "end": booking.end.isoformat(),
                        "attendees": len(booking.attendees),
                        "no_show": booking.no_show,
                    }
                )
        if self._last is not None and (now - self._last).total_seconds() < self._every_s:
            return
        self._last = now
        places = {p: n for p, n in sorted(people.count.items()) if p != OUTSIDE and n > 0}
        self._write(
            {
                "type": "occupancy",
                "ts": now.isoformat(),
                "inside": sum(places.values()),
                "places": places,
            }
        )

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_truth(path: Path) -> list[dict[str, Any]]:
    """Every record of a ground-truth file."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]

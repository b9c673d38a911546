"""Who may open which door of Building 15, and with which credential they present.

Everyone who works in the building passes the entrances; a tenant's staff pass their own
floor's door, and so do the guards and the cleaners; the restricted rooms open only for the
guards and a short list per tenant, drawn once from the seed: two facility contacts each for
the plant room, the electrical room and the roof, two IT people each for the server room.
Visitors hold a QR code for the main entrance, valid on the day of their meeting. Staff
enrolled for face access show their face where the door has a face reader, else their card.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from penworks.sim.layout import TENANT_FLOORS, DoorSpec, DoorUse

if TYPE_CHECKING:  # people.py uses the rights to choose who runs errands where
    from penworks.sim.people import Person

FACILITY_DOORS = ("plant", "elec", "roof")
IT_DOORS = ("srv",)
PER_TENANT = 2

NO_RIGHTS = "no rights"
WRONG_FLOOR = "wrong floor"
NO_CREDENTIAL = "no credential"


class AccessRights:
    """The access levels of the building's card holders."""

    def __init__(self, persons: Sequence[Person], seed: int) -> None:
        self.restricted: dict[str, set[str]] = {door: set() for door in FACILITY_DOORS + IT_DOORS}
        for tenant in sorted(TENANT_FLOORS):
            staff = sorted(p.id for p in persons if p.role == "staff" and p.tenant == tenant)
            rng = random.Random(f"{seed}:rights:{tenant}")
            chosen = rng.sample(staff, min(len(staff), 2 * PER_TENANT))
            for door in FACILITY_DOORS:
                self.restricted[door].update(chosen[:PER_TENANT])
            for door in IT_DOORS:
                self.restricted[door].update(chosen[PER_TENANT:])

    def refusal(self, person: Person, door: DoorSpec) -> str | None:
        """Why the door stays shut for this person (None: it opens)."""
        if person.role == "guard":
            return None
        if person.role == "visitor":
            return None if "qr" in door.readers and door.use is DoorUse.ENTRANCE else NO_RIGHTS
        if door.use is DoorUse.ENTRANCE:
            return None
        if door.use is DoorUse.TENANT:
            if person.role == "cleaner":
                return None
            own = TENANT_FLOORS.get(person.tenant or "")
            return None if own == door.floor else WRONG_FLOOR
        return None if person.id in self.restricted.get(door.id, set()) else NO_RIGHTS

    def holders(self, persons: Sequence[Person], door: DoorSpec) -> list[Person]:
        """The card holders this door opens for (visitors aside)."""
        return [p for p in persons if p.role != "visitor" and self.refusal(p, door) is None]


def credential(person: Person, door: DoorSpec, face_reader_ok: bool = True) -> str:
    """The reader a person uses at a door: face, qr or card."""
    if person.role == "visitor":
        return "qr"
    if person.face and "face" in door.readers and face_reader_ok:
        return "face"
    return "card"


def describe(person: Person, how: str) -> str:
    """A credential as the access system logs it: 'card 3A0025 p0001', 'face p0012'."""
    if how == "card":
        return f"card {person.card} {person.id}"
    return f"{how} {person.id}"

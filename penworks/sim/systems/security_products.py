"""The security products of Building 15 as their vendors document them (MQTT JSON keys).

Door controllers and their readers, intrusion panel areas, smart cameras (as the video
management system publishes their state and analytics), car park bay sensors, barrier gates
with their plate-reading cameras, and the parking guidance summary. Counters count since
installation, as the devices keep them.
"""

from __future__ import annotations

from penworks.core import PointKind
from penworks.sim.devices import DeviceType, PointSpec

BOOL, TEXT = PointKind.BOOL, PointKind.TEXT


def _flag(key: str, description: str, default: bool = False, writable: bool = False) -> PointSpec:
    return PointSpec(key, BOOL, description=description, default=default, writable=writable)


def _text(key: str, description: str, default: str = "") -> PointSpec:
    return PointSpec(key, TEXT, description=description, default=default)


def _count(key: str, description: str) -> PointSpec:
    return PointSpec(key, description=description, default=0, min=0)


DOOR_CONTROLLER = DeviceType(
    "AC-400 door controller",
    "mqtt",
    (
        _flag("open", "door contact: the door stands open"),
        _flag(
            "locked",
            "lock: true locks, false unlocks, null returns to the schedule",
            default=True,
            writable=True,
        ),
        _flag("held_open", "alarm: the door is held open too long"),
        _flag("forced_open", "alarm: the door opened without a grant or an exit request"),
        _text(
            "mode",
            "normal, free-access, emergency-unlocked, locked-override, unlocked-override",
            "normal",
        ),
        _text("last_event", "the last access decision or alarm, e.g. granted card 3A0025 p0001"),
        _count("granted", "access granted"),
        _count("denied", "access denied"),
        _flag("tailgate", "alarm: more people passed than credentials were granted"),
        _count("tailgates", "tailgating events"),
    ),
)


def _reader(model: str) -> DeviceType:
    return DeviceType(
        model,
        "mqtt",
        (
            _flag("online", "the reader answers its controller", default=True),
            _text("status", "ok or offline", "ok"),
            _count("reads", "credentials presented"),
            _text("last_read", "the last credential presented (card number or person id)"),
            _flag("tamper", "the reader's housing is open or it was pulled off the wall"),
        ),
    )


READERS: dict[str, DeviceType] = {
    "card": _reader("CR-10 card reader"),
    "qr": _reader("QR-20 QR code reader"),
    "face": _reader("FR-7 face recognition terminal"),
}


def _intrusion_area(glass: bool) -> DeviceType:
    points = [
        PointSpec(
            "armed",
            BOOL,
            description="area armed: true arms, false disarms, null returns to the schedule",
            default=False,
            writable=True,
        ),
        _text("state", "disarmed, armed or alarm", "disarmed"),
        _flag("ready", "ready to arm: no motion, door closed", default=True),
        _flag("motion", "PIR motion detector"),
        _flag("door", "door contact: the area's door stands open"),
        _flag("alarm", "intrusion alarm (latched until disarmed or reset)"),
        _flag("tamper", "a detector's housing is open"),
        _text("last_event", "the last arming, disarming or alarm event"),
    ]
    if glass:
        points.insert(5, _flag("glass_break", "acoustic glass-break detector"))
    model = "IP-8 intrusion area (PIR, door contact" + (", glass-break)" if glass else ")")
    return DeviceType(model, "mqtt", tuple(points))


INTRUSION_AREA = _intrusion_area(glass=False)
INTRUSION_AREA_GLASS = _intrusion_area(glass=True)

CAMERA = DeviceType(
    "SC-4K smart camera",
    "mqtt",
    (
        _flag("online", "the camera answers the video management system", default=True),
        _flag("recording", "the NVR records its stream", default=True),
        PointSpec("fps", unit="fps", description="main stream frame rate", default=25.0, min=0),
        PointSpec("bitrate", unit="kbps", description="main stream bitrate", default=2048, min=0),
        _text("last_detection", "the last analytics detection: person, vehicle, smoke or fire"),
        PointSpec(
            "confidence", description="confidence of the last detection (0..1)", min=0, max=1
        ),
        PointSpec("people", description="people in view", default=0, min=0),
        _count("detections", "analytics detections"),
        _text("alert", "analytics alert in force: smoke, fire, intrusion, or empty"),
        _flag("tamper", "the view is blocked, moved or defocused"),
    ),
)

BAY_SENSOR = DeviceType(
    "PG-1 bay sensor with plate camera",
    "mqtt",
    (
        _flag("occupied", "a vehicle stands in the bay"),
        _text("plate", "plate of the vehicle in the bay (empty when free)"),
    ),
)

BARRIER_GATE = DeviceType(
    "BG-3 barrier gate with LPR camera",
    "mqtt",
    (
        _flag("barrier_open", "the barrier arm is up"),
        _flag(
            "open",
            "command: true lifts the barrier once (a visitor); it drops after a car",
            writable=True,
        ),
        _flag("vehicle_present", "the loop detector sees a vehicle at the barrier"),
        _text("plate", "the last plate read by the LPR camera"),
        PointSpec(
            "confidence", unit="%", description="confidence of the last plate read", min=0, max=100
        ),
        _text("decision", "why the barrier opened: known, ticket, paid or remote"),
        _count("vehicles", "vehicles through"),
        _count("unknown", "vehicles with a plate not on the list"),
    ),
)

PARKING_SUMMARY = DeviceType(
    "PG-100 parking guidance controller",
    "mqtt",
    (
        PointSpec("free", description="free bays", default=0, min=0),
        PointSpec("occupied", description="occupied bays", default=0, min=0),
        PointSpec("ev_free", description="free bays with an EV charger", default=0, min=0),
        PointSpec("overflow", description="cars parked off the marked bays", default=0, min=0),
        _flag("full", "every bay is taken: the entry sign shows FULL"),
    ),
)

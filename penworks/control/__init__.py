"""The command path: priority arrays, policies, interlocks, read-back and the audit log.

Anything that wants equipment to act hands a `CommandRequest` to `ControlService.submit`;
nothing else writes to a device.
"""

from penworks.control.config import (
    ControlConfig,
    InterlockAction,
    InterlockDef,
    Permission,
    PointPolicy,
    RateLimit,
    load_control_config,
)
from penworks.control.ports import WritePort
from penworks.control.priority import (
    APP,
    CRITICAL_EQUIPMENT,
    DEFAULT,
    LIFE_SAFETY_AUTOMATIC,
    LIFE_SAFETY_MANUAL,
    MANUAL_OPERATOR,
    MINIMUM_ON_OFF,
    RULE,
    SCHEDULE,
    PriorityArray,
)
from penworks.control.service import ControlService
from penworks.control.types import (
    Actor,
    ActorKind,
    CommandOutcome,
    CommandRequest,
    CommandStatus,
    Hold,
    InterlockStatus,
    InterlockTarget,
    LevelEntry,
    PrioritySnapshot,
    Refusal,
)

__all__ = [
    "APP",
    "CRITICAL_EQUIPMENT",
    "DEFAULT",
    "LIFE_SAFETY_AUTOMATIC",
    "LIFE_SAFETY_MANUAL",
    "MANUAL_OPERATOR",
    "MINIMUM_ON_OFF",
    "RULE",
    "SCHEDULE",
    "Actor",
    "ActorKind",
    "CommandOutcome",
    "CommandRequest",
    "CommandStatus",
    "ControlConfig",
    "ControlService",
    "Hold",
    "InterlockAction",
    "InterlockDef",
    "InterlockStatus",
    "InterlockTarget",
    "LevelEntry",
    "Permission",
    "PointPolicy",
    "PriorityArray",
    "PrioritySnapshot",
    "RateLimit",
    "Refusal",
    "WritePort",
    "load_control_config",
]

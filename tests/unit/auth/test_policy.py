"""The access policy over Building 15: tenants, sharing, trades, API token scopes, alarms.

Inkwell Robotics rents floor 2, Nib Analytics floor 3; the lobby is shared with every tenant.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from penworks.auth.policy import AccessPolicy, SharingConfig
from penworks.auth.types import Action, Principal, Role
from penworks.model import SiteModel, UnknownEntityError

BUILDING15 = Path(__file__).resolve().parents[3] / "sites" / "building15.yaml"

INK_TEMP = "b15.f2.r201.zone_air_temp"
INK_VAV = "b15.f2.r201.vav.occupied_cooling_setpoint"
NIB_TEMP = "b15.f3.r301.zone_air_temp"
NIB_VAV = "b15.f3.r301.vav.occupied_cooling_setpoint"
NIB_LIGHTS = "b15.f3.r301.light.level"
NIB_BLINDS = "b15.f3.r301.blinds.position"
DOOR = "b15.f3.door_f3.locked"
LOBBY_TEMP = "b15.f1.lobby.zone_air_temp"
LOBBY_LIGHTS = "b15.f1.lobby.light.level"
HALL_TEMP = "b15.f1.hall.zone_air_temp"

_ids = itertools.count(1)


def who(role: Role, tenant: str | None = None, scopes: set[Action] | None = None) -> Principal:
    n = next(_ids)
    frozen = frozenset(scopes) if scopes is not None else None
    return Principal(n, f"user{n}", role, tenant, f"ses_{n}", frozen)


ADMIN = who(Role.ADMIN)
OPERATOR = who(Role.OPERATOR)
SECURITY = who(Role.SECURITY_OFFICER)
ENERGY = who(Role.ENERGY_MANAGER)
VIEWER = who(Role.VIEWER)
NIB_ADMIN = who(Role.TENANT_ADMIN, "nib")
NIB_USER = who(Role.TENANT_USER, "nib")
PARK_WIDE = (ADMIN, OPERATOR, SECURITY, ENERGY, VIEWER)


@pytest.fixture(scope="module")
def site() -> SiteModel:
    return SiteModel.load(BUILDING15)


@pytest.fixture(scope="module")
def policy(site: SiteModel) -> AccessPolicy:
    return AccessPolicy(site, SharingConfig(shared=["b15.f1.lobby"]))


def readable(policy: AccessPolicy, site: SiteModel, p: Principal, point: str) -> bool:
    return policy.can_read_point(p, site.point(point))


def commandable(policy: AccessPolicy, site: SiteModel, p: Principal, point: str) -> bool:
    return policy.can_command_point(p, site.point(point))


@pytest.mark.parametrize("principal", [*PARK_WIDE, NIB_ADMIN, NIB_USER], ids=lambda p: p.role)
def test_who_reads_which_point(policy: AccessPolicy, site: SiteModel, principal: Principal) -> None:
    park_wide = principal.park_wide
    assert readable(policy, site, principal, NIB_TEMP)
    assert readable(policy, site, principal, LOBBY_TEMP)  # shared
    assert readable(policy, site, principal, INK_TEMP) == park_wide
    assert readable(policy, site, principal, HALL_TEMP) == park_wide  # not shared
    assert readable(policy, site, principal, DOOR) == park_wide  # the floor's, no tenant's


def test_a_tenant_sees_its_points_and_the_shared_ones_only(
    policy: AccessPolicy, site: SiteModel
) -> None:
    seen = policy.visible_points(NIB_USER, site.points())
    assert seen
    assert all(p.tenant == "nib" or p.id.startswith("b15.f1.lobby.") for p in seen)
    assert {p.id for p in seen} >= {p.id for p in site.find_points(within="b15.f1.lobby")}
    assert len(policy.visible_points(VIEWER, site.points())) == len(site.points())


@pytest.mark.parametrize(
    ("principal", "vav", "lights", "blinds", "door", "inkwell_vav", "lobby_lights"),
    [
        (ADMIN, True, True, True, True, True, True),
        (OPERATOR, True, True, True, True, True, True),
        (SECURITY, False, False, False, True, False, False),
        (ENERGY, True, True, True, False, True, True),
        (VIEWER, False, False, False, False, False, False),
        (NIB_ADMIN, True, True, True, False, False, False),  # the lobby: read only
        (NIB_USER, True, True, True, False, False, False),
    ],
    ids=lambda v: v.role if isinstance(v, Principal) else None,
)
def test_who_commands_what(
    policy: AccessPolicy,
    site: SiteModel,
    principal: Principal,
    vav: bool,
    lights: bool,
    blinds: bool,
    door: bool,
    inkwell_vav: bool,
    lobby_lights: bool,
) -> None:
    got = [
        commandable(policy, site, principal, p)
        for p in (NIB_VAV, NIB_LIGHTS, NIB_BLINDS, DOOR, INK_VAV, LOBBY_LIGHTS)
    ]
    assert got == [vav, lights, blinds, door, inkwell_vav, lobby_lights]


def test_a_read_only_point_is_commanded_by_no_one(policy: AccessPolicy, site: SiteModel) -> None:
    assert not any(commandable(policy, site, p, NIB_TEMP) for p in (*PARK_WIDE, NIB_ADMIN))


def test_an_api_token_has_only_its_scopes(policy: AccessPolicy, site: SiteModel) -> None:
    reader = who(Role.OPERATOR, scopes={Action.READ})
    assert readable(policy, site, reader, NIB_VAV)
    assert not commandable(policy, site, reader, NIB_VAV)
    alarms_only = who(Role.TENANT_ADMIN, "nib", scopes={Action.ALARMS})
    assert not readable(policy, site, alarms_only, NIB_TEMP)  # no read scope: sees nothing
    assert not policy.can_read_entity(alarms_only, "b15.f3.r301")
    assert not policy.can_act_on_alarm(alarms_only, NIB_TEMP, "b15.f3")


@pytest.mark.parametrize(
    ("entity", "seen"),
    [
        ("b15", True),  # the building its spaces are in
        ("b15.f3", True),  # its floor
        ("b15.f3.r301", True),
        ("b15.f3.r301.vav", True),
        ("b15.f1", True),  # holds the shared lobby
        ("b15.f1.lobby", True),
        ("b15.f1.lobby.light", True),
        ("b15.f1.hall", False),
        ("b15.f2", False),  # Inkwell's floor
        ("b15.f2.r201", False),
        ("b15.f2.r201.vav", False),
        ("b15.f3.door_f3", False),  # on its floor, but no tenant's
        ("b15.roof", False),
    ],
)
def test_which_places_a_tenant_sees(policy: AccessPolicy, entity: str, seen: bool) -> None:
    assert policy.can_read_entity(NIB_USER, entity) == seen
    assert policy.can_read_entity(VIEWER, entity)


@pytest.mark.parametrize("principal", [VIEWER, NIB_USER], ids=lambda p: p.role)
def test_an_unknown_place_is_unknown_to_everyone(
    policy: AccessPolicy, principal: Principal
) -> None:
    with pytest.raises(UnknownEntityError):
        policy.can_read_entity(principal, "b15.f9")


@pytest.mark.parametrize("tenant", ["inkwell", "nib", "quill"])
def test_places_seen_are_those_that_hold_something_seen(
    policy: AccessPolicy, site: SiteModel, tenant: str
) -> None:
    """The indexed answer is the definition: its own, shared, or holding a visible point."""
    principal = who(Role.TENANT_USER, tenant)
    for entity in site.entities():
        held = site.find_points(within=entity.id)
        expected = (
            entity.tenant == tenant
            or entity.id.startswith("b15.f1.lobby")
            or any(policy.can_read_point(principal, p) for p in held)
        )
        assert policy.can_read_entity(principal, entity.id) == expected, entity.id


def test_alarms_are_seen_with_their_point(policy: AccessPolicy) -> None:
    assert policy.can_read_alarm(NIB_USER, NIB_TEMP, "b15.f3")
    assert policy.can_read_alarm(NIB_USER, LOBBY_TEMP, "b15.f1")
    assert not policy.can_read_alarm(NIB_USER, INK_TEMP, "b15.f3")  # the area does not matter
    assert policy.can_read_alarm(VIEWER, INK_TEMP, "b15.f2")
    # Without a point (or one the model lacks): park-wide roles only.
    assert not policy.can_read_alarm(NIB_USER, None, "b15.f3")
    assert not policy.can_read_alarm(NIB_USER, "b15.f3.gone", "b15.f3")
    assert policy.can_read_alarm(VIEWER, None, "b15.f3")


def test_who_acts_on_which_alarm(policy: AccessPolicy) -> None:
    assert policy.can_act_on_alarm(NIB_ADMIN, NIB_TEMP, "b15.f3")
    assert not policy.can_act_on_alarm(NIB_ADMIN, LOBBY_TEMP, "b15.f1")  # shared: read only
    assert not policy.can_act_on_alarm(NIB_ADMIN, INK_TEMP, "b15.f2")
    assert not policy.can_act_on_alarm(NIB_ADMIN, None, "b15.f3")
    assert not policy.can_act_on_alarm(NIB_USER, NIB_TEMP, "b15.f3")  # no alarms action
    assert not policy.can_act_on_alarm(VIEWER, NIB_TEMP, "b15.f3")
    for principal in (ADMIN, OPERATOR, SECURITY, ENERGY):
        assert policy.can_act_on_alarm(principal, INK_TEMP, "b15.f2")
        assert policy.can_act_on_alarm(principal, None, "b15.f2")


def test_sharing_one_point_shares_that_point(site: SiteModel) -> None:
    policy = AccessPolicy(site, SharingConfig(shared=[HALL_TEMP]))
    assert readable(policy, site, NIB_USER, HALL_TEMP)
    assert not readable(policy, site, NIB_USER, "b15.f1.hall.zone_co2")
    assert policy.can_read_entity(NIB_USER, "b15.f1.hall")  # it holds the shared point


def test_sharing_an_unknown_place_fails_at_start(site: SiteModel) -> None:
    with pytest.raises(UnknownEntityError):
        AccessPolicy(site, SharingConfig(shared=["b15.f1.nowhere"]))

"""Users and API tokens.

An administrator manages every user; a tenant administrator the users of its own tenant,
giving tenant roles of that tenant only. Nobody changes their own role, disables or deletes
themselves. A user one may not manage answers 404, as an unknown one. Disabling or deleting a
user ends its sessions and API tokens at once.

API tokens belong to the user who makes them, carry a subset of its actions and expire
within a year; the secret is shown once. Each user sees and revokes its own tokens; an
administrator every token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from penworks.api.auth_schemas import (
    NewTokenOut,
    TokenIn,
    TokenInfoOut,
    UserIn,
    UserOut,
    UserPatch,
)
from penworks.api.context import ApiContext, Context
from penworks.api.responses import problems
from penworks.api.routes.auth import auth_service
from penworks.api.security import Authed
from penworks.auth.management import (
    check_grant,
    check_manager,
    check_manages,
    check_not_self,
    check_token_maker,
    check_token_owner,
    manages,
)
from penworks.auth.records import KEEP, Keep, User
from penworks.auth.types import Action, Principal
from penworks.auth.validation import next_role

router = APIRouter(tags=["users"])

UserId = Annotated[int, Path(ge=1, le=2**53, description="User id", examples=[1])]
TokenId = Annotated[
    str,
    Path(
        pattern=r"^tok_[0-9a-f]{16}$", description="API token id", examples=["tok_0123456789abcdef"]
    ),
]


def _tenants(context: ApiContext) -> set[str]:
    return {t.id for t in context.model.definition.tenants}


async def _managed(context: ApiContext, principal: Principal, user_id: int) -> User:
    check_manager(principal)
    user = await auth_service(context).get_user(user_id)
    check_manages(principal, user)
    return user


@router.get(
    "/api/users",
    summary="Users",
    description="Every user an administrator manages; a tenant administrator sees its "
    "tenant's users.",
    responses=problems(401, 403, 503),
)
async def list_users(context: Context, principal: Authed) -> list[UserOut]:
    check_manager(principal)
    users = await auth_service(context).list_users()
    return [UserOut.of(u) for u in users if manages(principal, u)]


@router.post(
    "/api/users",
    status_code=201,
    summary="Make a user",
    description="A tenant administrator makes tenant users and tenant administrators of its "
    "own tenant only. The password must meet the policy (422 says which rule it breaks).",
    responses=problems(401, 403, 409, 422, 503),
)
async def create_user(context: Context, principal: Authed, body: UserIn) -> UserOut:
    check_grant(principal, body.role, body.tenant)
    user = await auth_service(context).create_user(
        body.username,
        body.password,
        body.role,
        body.tenant,
        body.display_name,
        tenants=_tenants(context),
    )
    return UserOut.of(user)


@router.get(
    "/api/users/{user_id}",
    summary="One user",
    responses=problems(401, 403, 404, 422, 503),
)
async def get_user(context: Context, principal: Authed, user_id: UserId) -> UserOut:
    return UserOut.of(await _managed(context, principal, user_id))


@router.patch(
    "/api/users/{user_id}",
    summary="Change a user",
    description="Display name, role (with its tenant), disabled, password. Disabling ends the "
    "user's sessions and API tokens at once; a new password ends its sessions. Your own "
    "role, tenant and disabled flag are not yours to change; change your own password at "
    "/api/auth/password.",
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def update_user(
    context: Context, principal: Authed, user_id: UserId, body: UserPatch
) -> UserOut:
    user = await _managed(context, principal, user_id)
    given = body.model_fields_set
    tenant: str | None | Keep = body.tenant if "tenant" in given else KEEP
    if body.role is not None or "tenant" in given:
        check_not_self(principal, user, "change the role or tenant of")
        check_grant(principal, *next_role(user, body.role, tenant))
    if body.disabled is not None:
        check_not_self(principal, user, "disable or enable")
    if body.password is not None:
        check_not_self(principal, user, "reset the password of")
    updated = await auth_service(context).update_user(
        user_id,
        display_name=body.display_name,
        role=body.role,
        tenant=tenant,
        disabled=body.disabled,
        password=body.password,
        tenants=_tenants(context),
    )
    return UserOut.of(updated)


@router.delete(
    "/api/users/{user_id}",
    status_code=204,
    summary="Delete a user",
    description="With its sessions and API tokens, which stop working at once.",
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def delete_user(context: Context, principal: Authed, user_id: UserId) -> Response:
    user = await _managed(context, principal, user_id)
    check_not_self(principal, user, "delete")
    await auth_service(context).delete_user(user_id)
    return Response(status_code=204)


@router.post(
    "/api/users/{user_id}/revoke",
    status_code=204,
    summary="Sign a user out everywhere",
    description="Ends every session and API token of the user at once (it may sign in again).",
    responses=problems(401, 403, 404, 422, 503),
)
async def revoke_user(context: Context, principal: Authed, user_id: UserId) -> Response:
    await _managed(context, principal, user_id)
    await auth_service(context).revoke_user(user_id)
    return Response(status_code=204)


# API tokens


@router.get(
    "/api/tokens",
    summary="API tokens",
    description="Your API tokens (never their secrets); an administrator sees every user's, "
    "or one user's with `user_id`.",
    responses=problems(401, 403, 422, 503),
)
async def list_tokens(
    context: Context,
    principal: Authed,
    user_id: Annotated[int | None, Query(ge=1, le=2**53, description="Owner")] = None,
) -> list[TokenInfoOut]:
    service = auth_service(context)
    if principal.may(Action.USERS):
        tokens = await service.list_api_tokens(user_id)
    elif user_id in (None, principal.user_id):
        tokens = await service.list_api_tokens(principal.user_id)
    else:
        tokens = []  # another user's tokens: as if it had none
    return [TokenInfoOut.of(t) for t in tokens]


@router.post(
    "/api/tokens",
    status_code=201,
    summary="Make an API token",
    description="A token for an integration, acting as you with the scopes given (a subset "
    "of your role's actions), until `expires_at` (at most a year on). The secret is in this "
    "answer only. Only a signed-in session makes tokens, not another API token.",
    responses=problems(401, 403, 422, 503),
)
async def create_token(
    context: Context, principal: Authed, body: TokenIn, response: Response
) -> NewTokenOut:
    check_token_maker(principal)
    text, info = await auth_service(context).create_api_token(
        principal.user_id, body.name, set(body.scopes), body.expires_at
    )
    response.headers["Cache-Control"] = "no-store"
    return NewTokenOut(token=text, info=TokenInfoOut.of(info))


@router.get(
    "/api/tokens/{token_id}",
    summary="One API token",
    responses=problems(401, 404, 422, 503),
)
async def get_token(context: Context, principal: Authed, token_id: TokenId) -> TokenInfoOut:
    token = await auth_service(context).get_api_token(token_id)
    check_token_owner(principal, token)
    return TokenInfoOut.of(token)


@router.delete(
    "/api/tokens/{token_id}",
    status_code=204,
    summary="Revoke an API token",
    description="It stops working at once.",
    responses=problems(401, 404, 422, 503),
)
async def revoke_token(context: Context, principal: Authed, token_id: TokenId) -> Response:
    service = auth_service(context)
    check_token_owner(principal, await service.get_api_token(token_id))
    await service.revoke_api_token(token_id)
    return Response(status_code=204)

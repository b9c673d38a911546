"""Dead letters: input that could not become an observation, kept with the reason (the
system permission: raw payloads are anyone's data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from penworks.api.context import Context
from penworks.api.responses import problems
from penworks.api.schemas import DeadLetterCountOut, DeadLetterOut
from penworks.api.security import SystemUser

router = APIRouter(tags=["dead letters"])

PAYLOAD_SHOWN = 4096  # bytes of each payload in the answer


@router.get(
    "/api/deadletters",
    summary="Newest dead letters",
    description=f"Newest first. Payloads show at most {PAYLOAD_SHOWN} bytes, as UTF-8 text "
    "and, when the payload is not valid UTF-8, also as base64.",
    responses=problems(401, 403, 422, 503),
)
async def dead_letters(
    context: Context,
    principal: SystemUser,
    source: Annotated[
        str | None, Query(description="Only from this connector", examples=["mqtt"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most letters returned")] = 100,
) -> list[DeadLetterOut]:
    letters = await context.history.dead_letters(source=source, limit=limit)
    return [DeadLetterOut.of(letter, PAYLOAD_SHOWN) for letter in letters]


@router.get(
    "/api/deadletters/counts",
    summary="Dead letters counted",
    description="How many dead letters per source, channel and reason, with the newest time.",
    responses=problems(401, 403, 503),
)
async def dead_letter_counts(context: Context, principal: SystemUser) -> list[DeadLetterCountOut]:
    return [DeadLetterCountOut.of(c) for c in await context.history.dead_letter_counts()]

"""The messages of /api/live: what a client may send (validated), and the errors it gets back.

Every message is one JSON object with a `type`. Client messages are looked up by their
type in `CLIENT_MESSAGES` and validated by their model; anything else becomes a `LiveError`
that the session answers with `{"type": "error", "problem": {...}}` without closing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from penworks.api.problems import InvalidParam, Problem, ProblemError

LIVE_PATH: Final = "/api/live"

MessageId = Annotated[str, StringConstraints(max_length=64)] | int
"""What a client may tag a request with; the reply carries it back."""

EntityRef = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthIn(_Message):
    """The first message: the access token (or an API token) of who is listening."""

    type: Literal["auth"] = Field(description="auth")
    token: str = Field(min_length=1, max_length=8192, description="Bearer access or API token")


class SubscribeIn(_Message):
    """Add points (listed, or found by Brick class and location) and/or alarms and events."""

    type: Literal["subscribe"] = Field(description="subscribe")
    id: MessageId | None = Field(None, description="Echoed in the reply")
    points: list[EntityRef] = Field(
        default_factory=list, max_length=2000, description="Full point ids to add"
    )
    brick: EntityRef | None = Field(None, description="Add the points of this Brick class")
    within: EntityRef | None = Field(
        None, description="Add the points within this building, floor, space or equipment"
    )
    alarms: bool = Field(False, description="Also stream the alarm transitions it may see")
    events: bool = Field(False, description="Also stream events (commands, rule events)")


class UnsubscribeIn(_Message):
    """Remove points (listed, or found by Brick class and location), alarms or events."""

    type: Literal["unsubscribe"] = Field(description="unsubscribe")
    id: MessageId | None = Field(None, description="Echoed in the reply")
    points: list[EntityRef] = Field(
        default_factory=list, max_length=2000, description="Full point ids to remove"
    )
    brick: EntityRef | None = Field(None, description="Remove the points of this Brick class")
    within: EntityRef | None = Field(None, description="Remove the points within this entity")
    alarms: bool = Field(False, description="Stop streaming alarm transitions")
    events: bool = Field(False, description="Stop streaming events")
    all: bool = Field(False, description="Remove every point, alarms and events")


class PingIn(_Message):
    """Asks for a pong: a client's own check that the connection is alive."""

    type: Literal["ping"] = Field(description="ping")
    id: MessageId | None = Field(None, description="Echoed in the pong")


ClientMessage = AuthIn | SubscribeIn | UnsubscribeIn | PingIn

CLIENT_MESSAGES: Final[dict[str, type[ClientMessage]]] = {
    "auth": AuthIn,
    "subscribe": SubscribeIn,
    "unsubscribe": UnsubscribeIn,
    "ping": PingIn,
}


class LiveError(ProblemError):
    """A client message the session refuses; sent back as an error message."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        kind: str,
        *,
        errors: Sequence[InvalidParam] = (),
        request_id: MessageId | None = None,
    ) -> None:
        super().__init__(status, title, detail, kind)
        self.errors = list(errors)
        self.request_id = request_id

    def message(self) -> dict[str, Any]:
        problem = Problem(
            type=self.type,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=LIVE_PATH,
            errors=self.errors or None,
        )
        body = problem.model_dump(mode="json", exclude_none=True)
        return {"type": "error", "id": self.request_id, "problem": body}


def parse_client_message(text: str | bytes, max_bytes: int) -> ClientMessage:
    """The client message `text` holds; LiveError for anything else."""
    if isinstance(text, bytes):
        raise LiveError(400, "Binary frame", "send JSON in text frames", "live-binary")
    if len(text) > max_bytes:
        detail = f"a message holds at most {max_bytes} bytes"
        raise LiveError(400, "Message too large", detail, "live-too-large")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LiveError(400, "Invalid JSON", f"not JSON: {exc}", "live-invalid-json") from None
    if not isinstance(data, dict):
        raise LiveError(400, "Invalid message", "a message is a JSON object", "live-invalid")
    request_id = _request_id(data.get("id"))
    kind = data.get("type")
    model = CLIENT_MESSAGES.get(kind) if isinstance(kind, str) else None
    if model is None:
        expected = ", ".join(CLIENT_MESSAGES)
        detail = f"unknown message type {kind!r}; expected one of {expected}"
        raise LiveError(400, "Unknown message type", detail, "live-unknown-type",
                        request_id=request_id)  # fmt: skip
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, request_id) from None


def _request_id(value: object) -> MessageId | None:
    """The id to echo in an error, when the client gave a usable one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value) <= 64:
        return value
    return None


def _invalid(exc: ValidationError, request_id: MessageId | None) -> LiveError:
    params = [
        InvalidParam(
            location="message",
            name=".".join(str(part) for part in error["loc"]) or "(whole)",
            reason=error["msg"],
        )
        for error in exc.errors()
    ]
    detail = "; ".join(f"{p.name}: {p.reason}" for p in params)
    return LiveError(422, "Invalid message", detail, "live-invalid-message",
                     errors=params, request_id=request_id)  # fmt: skip

"""What the service checks every request against, in memory: the users, the live sessions
and the live API tokens. Read from the store at open and again after every change, so a
revocation takes effect at the next request, not when a token expires.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from penworks.auth.records import ApiTokenInfo, SessionRecord, User
from penworks.auth.revocation import Revocation
from penworks.auth.store import UserStore


@dataclass(slots=True)
class LiveState:
    users: dict[int, User] = field(default_factory=dict)
    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    tokens: dict[str, ApiTokenInfo] = field(default_factory=dict)  # by the token's hash

    @classmethod
    async def load(cls, store: UserStore, now: datetime) -> LiveState:
        users = {u.id: u for u in await store.users()}
        sessions = {s.id: s for s in await store.live_sessions(now)}
        tokens = dict(await store.live_api_tokens(now))
        return cls(users, sessions, tokens)

    def active_user(self, user_id: int) -> User | None:
        user = self.users.get(user_id)
        return None if user is None or user.disabled else user

    def token_by_id(self, token_id: str) -> ApiTokenInfo | None:
        return next((t for t in self.tokens.values() if t.id == token_id), None)

    def revocations(self, newer: LiveState, now: datetime, reason: str) -> list[Revocation]:
        """What ended between this state and `newer`: users disabled, deleted or given
        another role or tenant; sessions and tokens revoked (not those that expired)."""
        whole: set[int] = set()
        for user in self.users.values():
            after = newer.active_user(user.id)
            if not user.disabled and (
                after is None or (after.role, after.tenant) != (user.role, user.tenant)
            ):
                whole.add(user.id)
        ended: defaultdict[int, set[str]] = defaultdict(set)
        for session in self.sessions.values():
            if session.id not in newer.sessions and session.expires > now:
                ended[session.user_id].add(session.id)
        newer_ids = {t.id for t in newer.tokens.values()}
        for token in self.tokens.values():
            if token.id not in newer_ids and token.expires > now:
                ended[token.user_id].add(token.id)
        found = [Revocation(u, frozenset(ended.pop(u, ())), True, reason) for u in sorted(whole)]
        found += [Revocation(u, frozenset(s), False, reason) for u, s in sorted(ended.items())]
        return found

"""AuthService: who a request is, and the users, sessions and API tokens behind the answer.

A password sign-in starts a session: a short-lived access token (a JWT naming the session)
and a refresh token that rotates at every use. Every request's token is checked against the
live state in memory (`LiveState`), so disabling a user, deleting it or revoking a session
or an API token takes effect at the next request; open connections hear it through
`listen_revocations`. A `penworks user` command run beside the platform writes the same
file; the service notices within `watch_s` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from penworks.auth.errors import AuthError, UnknownToken, UnknownUser, UserRefused
from penworks.auth.keys import load_or_create_key, signing_key_path
from penworks.auth.live import LiveState
from penworks.auth.passwords import MAX_LENGTH, Passwords, check_policy
from penworks.auth.records import KEEP, ApiTokenInfo, Keep, SessionRecord, TokenPair, User
from penworks.auth.revocation import Revocation, RevocationFeed
from penworks.auth.store import AUTH_DB, Rotation, UserChanges, UserStore
from penworks.auth.throttle import LoginThrottle, ThrottleSettings
from penworks.auth.tokens import (
    API_TOKEN_PREFIX,
    AUDIENCE,
    ISSUER,
    MAX_TOKEN_LENGTH,
    AccessClaims,
    AccessTokens,
    new_api_token,
    new_id,
    new_secret,
    token_hash,
)
from penworks.auth.types import Action, Principal, Role
from penworks.auth.validation import (
    USERNAME,
    check_api_token,
    check_display_name,
    check_role,
    next_role,
    normalize_username,
)
from penworks.core import Clock, PenworksError

log = logging.getLogger(__name__)

BAD_SIGN_IN: Final = "wrong username or password"  # the same for an unknown user
_SETUP: Final = "\x00setup"  # the throttle's key for setup token guesses (no username has it)
_TOUCH_EVERY: Final = timedelta(minutes=1)  # how often an API token's last use is written
_PRUNE_EVERY: Final = timedelta(hours=1)


class AuthService:
    """Users, sign-in, sessions, API tokens and revocation, over a `UserStore`."""

    def __init__(
        self,
        store: UserStore,
        key: bytes,
        clock: Clock,
        *,
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(days=30),
        passwords: Passwords | None = None,
        throttle: ThrottleSettings | None = None,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        watch_s: float | None = 2.0,
    ) -> None:
        if access_ttl <= timedelta(0) or refresh_ttl <= access_ttl:
            raise ValueError("access_ttl must be positive and shorter than refresh_ttl")
        self.store = store
        self._clock = clock
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        self._tokens = AccessTokens(key, issuer=issuer, audience=audience)
        self._passwords = passwords or Passwords()
        self._throttle = LoginThrottle(clock, throttle)
        self._watch_s = watch_s
        self._state = LiveState()
        self._lock = asyncio.Lock()  # one change of the store and the state at a time
        self._feed = RevocationFeed()
        self._setup: str | None = None
        self._version = 0
        self._pruned: datetime | None = None
        self._touched: dict[str, datetime] = {}  # API token id -> last use written
        self._used: dict[str, datetime] = {}  # API token id -> last use seen
        self._watcher: asyncio.Task[None] | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path, clock: Clock, **options: Any) -> AuthService:
        """The service over `<data_dir>/auth.db` and `<data_dir>/signing.key` (made at the
        first start; KeyFileError for one that others may read)."""
        key = load_or_create_key(signing_key_path(data_dir))
        return cls(UserStore(data_dir / AUTH_DB), key, clock, **options)

    # Life

    async def open(self) -> None:
        await self.store.open()
        try:
            async with self._lock:
                await self._prune()
                self._state = await LiveState.load(self.store, self._clock.now())
                self._version = await self.store.data_version()
        except BaseException:
            await self.store.close()
            raise
        if self._watch_s is not None:
            self._watcher = asyncio.create_task(self._watch(self._watch_s), name="auth-watch")

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.store.close()

    async def sync(self) -> None:
        """Read the store again if another process (`penworks user ...`) changed it."""
        version = await self.store.data_version()
        if version != self._version:
            self._version = version
            async with self._lock:
                await self._reload("changed by another process")

    # Signing in

    async def has_users(self) -> bool:
        return await self.store.count_users() > 0

    async def authenticate(
        self, username: str, password: str, *, client: str | None = None
    ) -> Principal:
        """The principal of a correct username and password, with a new session id (not
        live until `issue`). AuthError, with one message for an unknown user, a wrong
        password and a disabled user; TooManyAttempts after repeated failures."""
        name = username.strip().lower()
        self._throttle.check(name, client)
        found = await self.store.login(name) if USERNAME.fullmatch(name) else None
        stored = found[1] if found is not None else None
        ok = await asyncio.to_thread(self._passwords.verify, stored, password[: MAX_LENGTH * 4])
        if found is None or stored is None or not ok or found[0].disabled:
            self._throttle.failed(name, client)
            raise AuthError(BAD_SIGN_IN)
        self._throttle.succeeded(name)
        user = found[0]
        if self._passwords.needs_rehash(stored):
            await self._rehash(user, password)
        async with self._lock:
            self._state.users[user.id] = user  # made by another process a moment ago, maybe
        return Principal(user.id, user.username, user.role, user.tenant, new_id("ses_"))

    async def issue(self, principal: Principal) -> TokenPair:
        """Start the session of a principal from `authenticate`: its first token pair."""
        if principal.scopes is not None:
            raise ValueError("an API token does not start sessions")
        now = self._clock.now()
        refresh = new_secret()
        expires = now + self._refresh_ttl
        async with self._lock:
            if principal.session in self._state.sessions:
                raise ValueError(f"session {principal.session} has started already")
            self._state.sessions[principal.session] = await self.store.add_session(
                principal.session, principal.user_id, token_hash(refresh), now, expires
            )
        return self._pair(principal.user_id, principal.session, refresh, now)

    async def sign_in(
        self, username: str, password: str, *, client: str | None = None
    ) -> TokenPair:
        return await self.issue(await self.authenticate(username, password, client=client))

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new token pair for a refresh token, which is spent. A spent one presented again
        ends its session: the thief and the victim both sign in again, the thief cannot."""
        if not refresh_token or len(refresh_token) > MAX_TOKEN_LENGTH:
            raise AuthError("invalid refresh token")
        now = self._clock.now()
        new = new_secret()
        expires = now + self._refresh_ttl
        async with self._lock:
            use = await self.store.use_refresh(
                token_hash(refresh_token), token_hash(new), now, expires
            )
            if use.outcome is Rotation.REUSED:
                log.warning("refresh token of session %s used twice: session revoked", use.session)
                await self._reload("a refresh token was used twice")
                raise AuthError("this refresh token was used already; sign in again")
            if use.outcome is not Rotation.ROTATED or use.session is None or use.user_id is None:
                raise AuthError("the refresh token is invalid, expired or revoked; sign in again")
            if self._state.active_user(use.user_id) is None:
                raise AuthError("the user is disabled or no longer exists")
            session = self._state.sessions.get(use.session)
            self._state.sessions[use.session] = (
                replace(session, expires=expires)
                if session is not None
                else SessionRecord(use.session, use.user_id, now, expires)
            )
        return self._pair(use.user_id, use.session, new, now)

    async def logout(self, refresh_token: str) -> None:
        """End the session of a refresh token (nothing happens for an unknown one)."""
        if not refresh_token or len(refresh_token) > MAX_TOKEN_LENGTH:
            return
        session = await self.store.session_of(token_hash(refresh_token))
        if session is not None:
            await self.revoke_session(session)

    async def setup_token(self) -> str | None:
        """While there is no user: the one-time token that makes the first administrator
        (the same until used; a new one after a restart). None once a user exists."""
        if await self.has_users():
            self._setup = None
            return None
        if self._setup is None:
            self._setup = new_secret()
        return self._setup

    async def setup(
        self,
        token: str,
        username: str,
        password: str,
        *,
        display_name: str = "",
        client: str | None = None,
    ) -> User:
        """Make the first administrator with the setup token; AuthError once any user
        exists or for a wrong token (guesses are throttled like passwords)."""
        self._throttle.check(_SETUP, client)
        expected = self._setup
        if expected is None or not hmac.compare_digest(token_hash(token), token_hash(expected)):
            self._throttle.failed(_SETUP, client)
            raise AuthError("invalid setup token, or setup is done")
        user = await self._add_user(
            username, password, Role.ADMIN, None, display_name, only_if_none=True
        )
        self._setup = None
        if user is None:
            raise AuthError("invalid setup token, or setup is done")
        log.info("first administrator %r made with the setup token", user.username)
        return user

    # Who a request is

    async def principal(self, bearer: str) -> Principal:
        """The principal of an access token or an API token (`pwk_...`); AuthError when it
        is invalid, expired or revoked, or its user is disabled or gone."""
        bearer = bearer.strip()
        if not bearer:
            raise AuthError("no credentials")
        now = self._clock.now()
        if bearer.startswith(API_TOKEN_PREFIX):
            return await self._token_principal(bearer, now)
        claims = self._tokens.decode(bearer, now)
        session = self._state.sessions.get(claims.session)
        if session is None or session.user_id != claims.user_id:
            raise AuthError("the session has ended; sign in again")
        user = self._active(claims.user_id)
        return Principal(user.id, user.username, user.role, user.tenant, claims.session)

    def still_valid(self, principal: Principal) -> bool:
        """Whether a principal found earlier may still act (for long-lived connections)."""
        user = self._state.active_user(principal.user_id)
        if user is None or (user.role, user.tenant) != (principal.role, principal.tenant):
            return False
        now = self._clock.now()
        if principal.scopes is not None:
            token = self._state.token_by_id(principal.session)
            return token is not None and token.live(now)
        session = self._state.sessions.get(principal.session)
        return session is not None and session.user_id == user.id

    def listen_revocations(self) -> asyncio.Queue[Revocation]:
        """A queue that gets every revocation from now on; `unlisten` it when done."""
        return self._feed.listen()

    def unlisten(self, queue: asyncio.Queue[Revocation]) -> None:
        self._feed.unlisten(queue)

    # Users

    async def create_user(
        self,
        username: str,
        password: str,
        role: Role,
        tenant: str | None = None,
        display_name: str = "",
        *,
        tenants: Collection[str] | None = None,
    ) -> User:
        """A new user; InvalidUser, WeakPassword or UserExists when it cannot be. `tenants`:
        the site's tenant ids, to refuse an unknown one."""
        check_role(role, tenant, tenants)
        user = await self._add_user(username, password, role, tenant, display_name)
        assert user is not None
        return user

    async def list_users(self) -> list[User]:
        return await self.store.users()

    async def get_user(self, user_id: int) -> User:
        user = await self.store.user(user_id)
        if user is None:
            raise UnknownUser(f"no user {user_id}")
        return user

    async def find_user(self, username: str) -> User:
        name = username.strip().lower()
        found = await self.store.login(name) if USERNAME.fullmatch(name) else None
        if found is None:
            raise UnknownUser(f"no user {username!r}")
        return found[0]

    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        role: Role | None = None,
        tenant: str | None | Keep = KEEP,
        disabled: bool | None = None,
        password: str | None = None,
        tenants: Collection[str] | None = None,
    ) -> User:
        """Change a user. Disabling it ends its sessions and API tokens; a new password
        ends its sessions; a new role or tenant closes its live connections."""
        current = await self.get_user(user_id)
        new_role, new_tenant = next_role(current, role, tenant)
        moved = (new_role, new_tenant) != (current.role, current.tenant)
        if moved:
            check_role(new_role, new_tenant, tenants)
        if (moved and new_role is not Role.ADMIN) or disabled:
            self._refuse_last_admin(current)
        changes = UserChanges(
            display_name=check_display_name(display_name) if display_name is not None else None,
            role=new_role if moved else None,
            tenant=new_tenant,
            disabled=disabled,
            password_hash=await self._hash(password, current.username) if password else None,
        )
        now = self._clock.now()
        async with self._lock:
            user = await self.store.update_user(user_id, changes, now)
            if user is None:
                raise UnknownUser(f"no user {user_id}")
            if disabled:
                await self._revoke_all(user_id, now)
            elif password:
                await self.store.revoke_sessions(now, user_id=user_id)
            await self._reload(_why(disabled, password, moved))
        return user

    async def change_password(self, principal: Principal, current: str, new: str) -> None:
        """A user's own change: the current password first; its other sessions end."""
        if principal.scopes is not None:
            raise AuthError("an API token cannot change a password")
        self._throttle.check(principal.username, None)
        stored = await self.store.password_hash(principal.user_id)
        if not await asyncio.to_thread(self._passwords.verify, stored, current[: MAX_LENGTH * 4]):
            self._throttle.failed(principal.username, None)
            raise AuthError("the current password is wrong")
        changes = UserChanges(password_hash=await self._hash(new, principal.username))
        now = self._clock.now()
        async with self._lock:
            await self.store.update_user(principal.user_id, changes, now)
            await self.store.revoke_sessions(now, user_id=principal.user_id, keep=principal.session)
            await self._reload("password changed")

    async def delete_user(self, user_id: int) -> None:
        """Delete a user with its sessions and tokens; its connections close at once."""
        self._refuse_last_admin(await self.get_user(user_id))
        async with self._lock:
            if not await self.store.delete_user(user_id):
                raise UnknownUser(f"no user {user_id}")
            await self._reload("user deleted")

    async def revoke_user(self, user_id: int) -> None:
        """Sign a user out everywhere: every session and API token ends."""
        async with self._lock:
            await self._revoke_all(user_id, self._clock.now())
            await self._reload("signed out everywhere")

    async def revoke_session(self, session: str) -> None:
        async with self._lock:
            await self.store.revoke_sessions(self._clock.now(), session=session)
            await self._reload("signed out")

    # API tokens

    async def create_api_token(
        self, user_id: int, name: str, scopes: Collection[Action], expires_at: datetime
    ) -> tuple[str, ApiTokenInfo]:
        """A new API token of a user, with a subset of its role's actions; the text is
        returned once and never stored."""
        owner = await self.get_user(user_id)
        now = self._clock.now()
        name = check_api_token(name, scopes, expires_at, now, owner.role)
        text = new_api_token()
        info = ApiTokenInfo(new_id("tok_"), user_id, name, frozenset(scopes), now, expires_at)
        async with self._lock:
            await self.store.add_api_token(info, token_hash(text))
            self._state.tokens[token_hash(text)] = info
        return text, info

    async def list_api_tokens(self, user_id: int | None = None) -> list[ApiTokenInfo]:
        return [self._with_use(t) for t in await self.store.api_tokens(user_id)]

    async def get_api_token(self, token_id: str) -> ApiTokenInfo:
        token = await self.store.api_token(token_id)
        if token is None:
            raise UnknownToken(f"no API token {token_id!r}")
        return self._with_use(token)

    async def revoke_api_token(self, token_id: str) -> None:
        await self.get_api_token(token_id)
        async with self._lock:
            await self.store.revoke_api_tokens(self._clock.now(), token_id=token_id)
            await self._reload("API token revoked")

    # Inside

    def _pair(self, user_id: int, session: str, refresh: str, now: datetime) -> TokenPair:
        user = self._active(user_id)
        claims = AccessClaims(
            user.id, user.role, user.tenant, session, new_id("at_"), now, now + self._access_ttl
        )
        expires_in = int(self._access_ttl.total_seconds())
        return TokenPair(self._tokens.encode(claims), refresh, expires_in, session)

    def _active(self, user_id: int) -> User:
        user = self._state.active_user(user_id)
        if user is None:
            raise AuthError("the user is disabled or no longer exists")
        return user

    async def _token_principal(self, text: str, now: datetime) -> Principal:
        token = self._state.tokens.get(token_hash(text)) if len(text) <= MAX_TOKEN_LENGTH else None
        if token is None or not token.live(now):
            raise AuthError("the API token is invalid, expired or revoked")
        user = self._active(token.user_id)
        self._used[token.id] = now
        written = self._touched.get(token.id)
        if written is None or now - written >= _TOUCH_EVERY:
            self._touched[token.id] = now
            await self.store.touch_api_token(token.id, now)
        return Principal(user.id, user.username, user.role, user.tenant, token.id, token.scopes)

    def _with_use(self, token: ApiTokenInfo) -> ApiTokenInfo:
        seen = self._used.get(token.id)
        if seen is None or (token.last_used is not None and token.last_used >= seen):
            return token
        return replace(token, last_used=seen)

    async def _add_user(
        self,
        username: str,
        password: str,
        role: Role,
        tenant: str | None,
        display_name: str,
        *,
        only_if_none: bool = False,
    ) -> User | None:
        name = normalize_username(username)
        display = check_display_name(display_name)
        password_hash = await self._hash(password, name)
        async with self._lock:
            user = await self.store.add_user(
                name,
                display,
                password_hash,
                role,
                tenant,
                self._clock.now(),
                only_if_none=only_if_none,
            )
            if user is not None:
                self._state.users[user.id] = user
        return user

    async def _hash(self, password: str, username: str) -> str:
        check_policy(password, username)
        return await asyncio.to_thread(self._passwords.hash, password)

    async def _rehash(self, user: User, password: str) -> None:
        fresh = await asyncio.to_thread(self._passwords.hash, password)
        async with self._lock:
            await self.store.update_user(
                user.id, UserChanges(password_hash=fresh), self._clock.now()
            )

    def _refuse_last_admin(self, user: User) -> None:
        if user.role is not Role.ADMIN or user.disabled:
            return
        admins = [u for u in self._state.users.values() if u.role is Role.ADMIN and not u.disabled]
        if len(admins) <= 1:
            raise UserRefused(
                f"{user.username} is the last enabled administrator; make another one first"
            )

    async def _revoke_all(self, user_id: int, now: datetime) -> None:
        await self.store.revoke_sessions(now, user_id=user_id)
        await self.store.revoke_api_tokens(now, user_id=user_id)

    async def _reload(self, reason: str) -> None:
        """Read the live state again (under the lock) and tell listeners what ended."""
        now = self._clock.now()
        newer = await LiveState.load(self.store, now)
        ended = self._state.revocations(newer, now, reason)
        self._state = newer
        for revocation in ended:
            log.info(
                "revoked: user %s, %s (%s)",
                revocation.user_id,
                "every session"
                if revocation.whole_user
                else ", ".join(sorted(revocation.sessions)),
                reason,
            )
            self._feed.publish(revocation)

    async def _prune(self) -> None:
        now = self._clock.now()
        if self._pruned is None or now - self._pruned >= _PRUNE_EVERY:
            self._pruned = now
            await self.store.prune(now - timedelta(days=1))

    async def _watch(self, every_s: float) -> None:
        while True:
            # Wall-clock seconds whatever the clock's speed: the other process writes in
            # real time.
            await self._clock.sleep(every_s * self._clock.speed)
            try:
                await self.sync()
                async with self._lock:
                    await self._prune()
            except PenworksError:  # the watcher must outlive a busy or failing file
                log.exception("could not re-read the user store")


def _why(disabled: bool | None, password: str | None, moved: bool) -> str:
    if disabled:
        return "user disabled"
    if password:
        return "password reset"
    return "role or tenant changed" if moved else "user changed"

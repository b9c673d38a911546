"""Users, sessions and API tokens in one SQLite file (`auth.db` in the data directory).

Only hashes of secrets are stored: argon2 hashes of passwords, SHA-256 hashes of refresh and
API tokens. The file is made readable by its owner only. Blocking calls run in a worker
thread, one at a time. Another process (the `penworks user` command) may change the file
while the platform runs: `data_version` tells the platform to read it again.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, TypeVar

from penworks.auth.errors import UserExists
from penworks.auth.records import ApiTokenInfo, SessionRecord, User
from penworks.auth.types import Action, Role
from penworks.core import StoreError
from penworks.store.sqlite_connection import connect_writer, transaction

AUTH_DB: Final = "auth.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a deleted user's id never returns
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    tenant TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    revoked_us INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    used_us INTEGER  -- set when rotated: presenting it again is theft
);
CREATE INDEX IF NOT EXISTS refresh_session ON refresh_tokens (session_id);
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    revoked_us INTEGER,
    last_used_us INTEGER
);
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id);
"""

_USER_COLUMNS = "id, username, display_name, role, tenant, disabled, created_us"
_TOKEN_COLUMNS = "id, user_id, name, scopes, created_us, expires_us, revoked_us, last_used_us"
_SESSION_COLUMNS = "id, user_id, created_us, expires_us, revoked_us"

T = TypeVar("T")


class Rotation(StrEnum):
    """What presenting a refresh token came to."""

    ROTATED = "rotated"  # a new refresh token replaces it
    REUSED = "reused"  # it had been rotated before: its session is now revoked
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"  # its session had ended


@dataclass(frozen=True, slots=True)
class RefreshUse:
    outcome: Rotation
    session: str | None = None
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class UserChanges:
    """Fields to change; None leaves one as it is (`tenant` changes together with `role`)."""

    display_name: str | None = None
    role: Role | None = None
    tenant: str | None = None
    disabled: bool | None = None
    password_hash: str | None = None


class UserStore:
    """The auth database; every method is a single transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        async with self._lock:
            if self._conn is not None:
                raise StoreError(f"user store {self.path} is already open")
            self._conn = await self._thread(_open, self.path)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await asyncio.to_thread(self._conn.close)
            self._conn = None

    async def data_version(self) -> int:
        """Changes when another connection (another process) has written the file."""
        return int(await self._run(lambda c: c.execute("PRAGMA data_version").fetchone()[0]))

    # Users

    async def count_users(self) -> int:
        return int(await self._run(lambda c: c.execute("SELECT count(*) FROM users").fetchone()[0]))

    async def add_user(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: Role,
        tenant: str | None,
        now: datetime,
        *,
        only_if_none: bool = False,
    ) -> User | None:
        """The new user; None when `only_if_none` and a user exists. UserExists for a taken
        name."""

        def add(conn: sqlite3.Connection) -> User | None:
            with transaction(conn):
                if only_if_none and conn.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                    return None
                taken = conn.execute("SELECT 1 FROM users WHERE username = ?", (username,))
                if taken.fetchone():
                    raise UserExists(f"the username {username!r} is taken")
                us = _us(now)
                cursor = conn.execute(
                    "INSERT INTO users (username, display_name, password_hash, role, tenant, "
                    "created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (username, display_name, password_hash, role.value, tenant, us, us),
                )
                return _user_by_id(conn, int(cursor.lastrowid or 0))

        return await self._run(add)

    async def users(self) -> list[User]:
        rows = await self._run(
            lambda c: c.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY id").fetchall()
        )
        return [_user(row) for row in rows]

    async def user(self, user_id: int) -> User | None:
        return await self._run(lambda c: _user_by_id(c, user_id))

    async def login(self, username: str) -> tuple[User, str] | None:
        """The user of this name (any case) and its password hash."""

        def find(conn: sqlite3.Connection) -> tuple[User, str] | None:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE username = ?",
                (username,),
            ).fetchone()
            return None if row is None else (_user(row[:-1]), str(row[-1]))

        return await self._run(find)

    async def password_hash(self, user_id: int) -> str | None:
        row = await self._run(
            lambda c: c.execute(
                "SELECT password_hash FROM users WHERE id = ?", (user_id,)
            ).fetchone()
        )
        return None if row is None else str(row[0])

    async def update_user(self, user_id: int, changes: UserChanges, now: datetime) -> User | None:
        """The changed user; None if there is none."""
        sets: list[str] = ["updated_us = ?"]
        args: list[object] = [_us(now)]
        if changes.display_name is not None:
            sets.append("display_name = ?")
            args.append(changes.display_name)
        if changes.role is not None:
            sets.extend(["role = ?", "tenant = ?"])
            args.extend([changes.role.value, changes.tenant])
        if changes.disabled is not None:
            sets.append("disabled = ?")
            args.append(int(changes.disabled))
        if changes.password_hash is not None:
            sets.append("password_hash = ?")
            args.append(changes.password_hash)
        sql = f"UPDATE users SET {', '.join(sets)} WHERE id = ?"

        def update(conn: sqlite3.Connection) -> User | None:
            with transaction(conn):
                conn.execute(sql, (*args, user_id))
                return _user_by_id(conn, user_id)

        return await self._run(update)

    async def delete_user(self, user_id: int) -> bool:
        """Deletes the user, its sessions and its API tokens; False if there was none."""

        def delete(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                return conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount > 0

        return await self._run(delete)

    # Sessions and refresh tokens

    async def add_session(
        self, session: str, user_id: int, refresh_hash: str, now: datetime, expires: datetime
    ) -> SessionRecord:
        def add(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO sessions (id, user_id, created_us, expires_us) "
                    "VALUES (?, ?, ?, ?)",
                    (session, user_id, _us(now), _us(expires)),
                )
                _add_refresh(conn, session, refresh_hash, now, expires)

        await self._run(add)
        return SessionRecord(session, user_id, now, expires)

    async def use_refresh(
        self, refresh_hash: str, new_hash: str, now: datetime, expires: datetime
    ) -> RefreshUse:
        """Rotate a refresh token: the old one is spent, `new_hash` replaces it. A spent one
        presented again revokes its whole session (whoever holds it stole it, or was
        robbed)."""
        return await self._run(lambda c: _rotate(c, refresh_hash, new_hash, now, expires))

    async def revoke_sessions(
        self,
        now: datetime,
        *,
        session: str | None = None,
        user_id: int | None = None,
        keep: str | None = None,
    ) -> list[SessionRecord]:
        """End one session, or every session of a user but `keep`; returns those that were
        live."""
        where, args = _owner(session, user_id)
        if keep is not None:
            where, args = f"{where} AND id != ?", (*args, keep)

        def revoke(conn: sqlite3.Connection) -> list[SessionRecord]:
            with transaction(conn):
                rows = conn.execute(
                    f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE {where} AND revoked_us IS NULL",
                    args,
                ).fetchall()
                conn.execute(
                    f"UPDATE sessions SET revoked_us = ? WHERE {where} AND revoked_us IS NULL",
                    (_us(now), *args),
                )
            return [_session(row) for row in rows]

        return await self._run(revoke)

    async def session_of(self, refresh_hash: str) -> str | None:
        """The session a refresh token belongs to (spent or not)."""
        row = await self._run(
            lambda c: c.execute(
                "SELECT session_id FROM refresh_tokens WHERE token_hash = ?", (refresh_hash,)
            ).fetchone()
        )
        return None if row is None else str(row[0])

    async def live_sessions(self, now: datetime) -> list[SessionRecord]:
        rows = await self._run(
            lambda c: c.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions "
                "WHERE revoked_us IS NULL AND expires_us > ?",
                (_us(now),),
            ).fetchall()
        )
        return [_session(row) for row in rows]

    async def prune(self, before: datetime) -> int:
        """Forget refresh tokens that expired, and sessions that expired or were revoked,
        before `before`; how many sessions."""

        def prune(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                conn.execute("DELETE FROM refresh_tokens WHERE expires_us < ?", (_us(before),))
                return conn.execute(
                    "DELETE FROM sessions WHERE expires_us < ? OR revoked_us < ?",
                    (_us(before), _us(before)),
                ).rowcount

        return int(await self._run(prune))

    # API tokens

    async def add_api_token(self, token: ApiTokenInfo, token_hash: str) -> None:
        scopes = json.dumps(sorted(s.value for s in token.scopes))

        def add(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_us, "
                    "expires_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (token.id, token.user_id, token.name, token_hash, scopes,
                     _us(token.created), _us(token.expires)),
                )  # fmt: skip

        await self._run(add)

    async def api_tokens(self, user_id: int | None = None) -> list[ApiTokenInfo]:
        where, args = ("user_id = ?", (user_id,)) if user_id is not None else ("1", ())
        rows = await self._run(
            lambda c: c.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE {where} ORDER BY created_us, id",
                args,
            ).fetchall()
        )
        return [_token(row) for row in rows]

    async def api_token(self, token_id: str) -> ApiTokenInfo | None:
        row = await self._run(
            lambda c: c.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
            ).fetchone()
        )
        return None if row is None else _token(row)

    async def live_api_tokens(self, now: datetime) -> list[tuple[str, ApiTokenInfo]]:
        """Tokens that may be used now, with their hashes."""
        rows = await self._run(
            lambda c: c.execute(
                f"SELECT {_TOKEN_COLUMNS}, token_hash FROM api_tokens "
                "WHERE revoked_us IS NULL AND expires_us > ?",
                (_us(now),),
            ).fetchall()
        )
        return [(str(row[-1]), _token(row[:-1])) for row in rows]

    async def revoke_api_tokens(
        self, now: datetime, *, token_id: str | None = None, user_id: int | None = None
    ) -> list[ApiTokenInfo]:
        """Revoke one token, or every token of a user; returns those that were live."""
        where, args = _owner(token_id, user_id)

        def revoke(conn: sqlite3.Connection) -> list[ApiTokenInfo]:
            with transaction(conn):
                rows = conn.execute(
                    f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE {where} AND revoked_us IS NULL",
                    args,
                ).fetchall()
                conn.execute(
                    f"UPDATE api_tokens SET revoked_us = ? WHERE {where} AND revoked_us IS NULL",
                    (_us(now), *args),
                )
            return [_token(row) for row in rows]

        return await self._run(revoke)

    async def touch_api_token(self, token_id: str, when: datetime) -> None:
        def touch(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "UPDATE api_tokens SET last_used_us = max(coalesce(last_used_us, 0), ?) "
                    "WHERE id = ?",
                    (_us(when), token_id),
                )

        await self._run(touch)

    # Plumbing

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        async with self._lock:
            if self._conn is None:
                raise StoreError(f"user store {self.path} is not open")
            return await self._thread(fn, self._conn)

    @staticmethod
    async def _thread(fn: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"user store: {exc}") from exc


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Made private before SQLite writes a hash into it; its -wal and -shm files inherit
        # the mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    os.chmod(path, 0o600)
    conn = connect_writer(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


def _rotate(
    conn: sqlite3.Connection, old: str, new: str, now: datetime, expires: datetime
) -> RefreshUse:
    with transaction(conn):
        row = conn.execute(
            "SELECT r.id, r.session_id, r.expires_us, r.used_us, s.user_id, s.revoked_us "
            "FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id "
            "WHERE r.token_hash = ?",
            (old,),
        ).fetchone()
        if row is None:
            return RefreshUse(Rotation.UNKNOWN)
        token_id, session, expires_us, used_us, user_id, revoked_us = row
        if revoked_us is not None:
            return RefreshUse(Rotation.REVOKED, session, user_id)
        if used_us is not None:
            conn.execute("UPDATE sessions SET revoked_us = ? WHERE id = ?", (_us(now), session))
            return RefreshUse(Rotation.REUSED, session, user_id)
        if expires_us <= _us(now):
            return RefreshUse(Rotation.EXPIRED, session, user_id)
        conn.execute("UPDATE refresh_tokens SET used_us = ? WHERE id = ?", (_us(now), token_id))
        _add_refresh(conn, session, new, now, expires)
        conn.execute("UPDATE sessions SET expires_us = ? WHERE id = ?", (_us(expires), session))
    return RefreshUse(Rotation.ROTATED, session, user_id)


def _add_refresh(
    conn: sqlite3.Connection, session: str, token_hash: str, now: datetime, expires: datetime
) -> None:
    conn.execute(
        "INSERT INTO refresh_tokens (session_id, token_hash, created_us, expires_us) "
        "VALUES (?, ?, ?, ?)",
        (session, token_hash, _us(now), _us(expires)),
    )


def _owner(item: str | None, user_id: int | None) -> tuple[str, tuple[object, ...]]:
    if (item is None) == (user_id is None):
        raise ValueError("give exactly one of an id and a user id")
    return ("id = ?", (item,)) if item is not None else ("user_id = ?", (user_id,))


def _user_by_id(conn: sqlite3.Connection, user_id: int) -> User | None:
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else _user(row)


def _user(row: tuple[Any, ...]) -> User:
    user_id, username, display_name, role, tenant, disabled, created_us = row
    return User(
        id=int(user_id),
        username=str(username),
        display_name=str(display_name),
        role=Role(role),
        tenant=tenant,
        disabled=bool(disabled),
        created=_ts(created_us),
    )


def _token(row: tuple[Any, ...]) -> ApiTokenInfo:
    token_id, user_id, name, scopes, created_us, expires_us, revoked_us, last_used_us = row
    return ApiTokenInfo(
        id=str(token_id),
        user_id=int(user_id),
        name=str(name),
        scopes=frozenset(Action(s) for s in json.loads(scopes)),
        created=_ts(created_us),
        expires=_ts(expires_us),
        revoked=_ts(revoked_us) if revoked_us is not None else None,
        last_used=_ts(last_used_us) if last_used_us is not None else None,
    )


def _session(row: tuple[Any, ...]) -> SessionRecord:
    session, user_id, created_us, expires_us, revoked_us = row
    return SessionRecord(
        id=str(session),
        user_id=int(user_id),
        created=_ts(created_us),
        expires=_ts(expires_us),
        revoked=_ts(revoked_us) if revoked_us is not None else None,
    )


def _us(ts: datetime) -> int:
    if ts.tzinfo is None:
        raise StoreError("user store times must be timezone-aware")
    return round(ts.timestamp() * 1_000_000)


def _ts(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)

"""`penworks user ...`: add, list, disable and enable users of an install, beside or without a
running platform (it notices the change within seconds).

The install is named by its data directory (`--data`) or its platform config (`--config`,
whose data_dir and site are used). Passwords are read from a prompt, twice, or from standard
input (`--password-stdin`, for scripts); never from the command line, where `ps` and shell
history would show them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from penworks.auth import AuthService, Role, User
from penworks.config import DEFAULT_SITE, load_platform_config
from penworks.core import PenworksError, RealClock
from penworks.model.loader import read_site

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Install:
    data_dir: Path
    site: Path


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `user` command group, under the top-level commands."""
    user = commands.add_parser("user", help="add, list, disable and enable users")
    actions = user.add_subparsers(metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a user (the first administrator too)")
    add.add_argument("username", help="2-64 letters, digits, '.', '_', '@' or '-'")
    add.add_argument("--role", type=Role, choices=list(Role), help="the user's role")
    add.add_argument("--admin", action="store_true", help="an administrator (--role admin)")
    add.add_argument("--tenant", help="tenant id of the site (tenant roles)")
    add.add_argument("--display-name", default="", help="name shown in the web app")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    _install_options(add)
    add.set_defaults(func=_add)

    listing = actions.add_parser("list", help="list the users")
    _install_options(listing)
    listing.set_defaults(func=_list)

    for name, disabled, text in (
        ("disable", True, "disable a user: its sessions and API tokens end at once"),
        ("enable", False, "enable a disabled user again (it signs in anew)"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("username")
        _install_options(sub)
        sub.set_defaults(func=_set_disabled, disabled=disabled)


def _install_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, help="the install's data directory")
    where.add_argument("--config", type=Path, help="the platform config file")
    parser.add_argument(
        "--site", type=Path, help="site file whose tenants are valid (with --data; default: "
        "Building 15)",
    )  # fmt: skip


def _install(args: argparse.Namespace) -> Install:
    if args.config is not None:
        if args.site is not None:
            raise PenworksError("--site goes with --data; --config names its own site")
        config = load_platform_config(args.config)
        return Install(config.data_dir, config.site)
    return Install(args.data.resolve(), (args.site or DEFAULT_SITE).resolve())


def _with_service(install: Install, work: Callable[[AuthService], Awaitable[T]]) -> T:
    async def run() -> T:
        service = AuthService.in_data_dir(install.data_dir, RealClock(), watch_s=None)
        await service.open()
        try:
            return await work(service)
        finally:
            await service.close()

    return asyncio.run(run())


def _add(args: argparse.Namespace) -> int:
    role = _role(args.role, args.admin)
    install = _install(args)
    tenants = {t.id for t in read_site(install.site)[0].tenants} if args.tenant else None
    password = _password(args.password_stdin)

    async def add(service: AuthService) -> User:
        return await service.create_user(
            args.username, password, role, args.tenant, args.display_name, tenants=tenants
        )

    user = _with_service(install, add)
    tenant = f" of tenant {user.tenant}" if user.tenant else ""
    print(f"added user {user.username} ({user.role}{tenant}) in {install.data_dir}")
    return 0


def _role(role: Role | None, admin: bool) -> Role:
    if admin and role not in (None, Role.ADMIN):
        raise PenworksError(f"--admin and --role {role} disagree; give one")
    if admin:
        return Role.ADMIN
    if role is None:
        raise PenworksError(f"give --role ({', '.join(Role)}) or --admin")
    return role


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise PenworksError("no password on standard input")
        return password
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise PenworksError("the two passwords differ; nothing was changed")
    return first


def _list(args: argparse.Namespace) -> int:
    users = _with_service(_install(args), lambda service: service.list_users())
    rows = [("ID", "USERNAME", "ROLE", "TENANT", "STATUS", "CREATED", "NAME")]
    rows += [
        (str(u.id), u.username, u.role.value, u.tenant or "-",
         "disabled" if u.disabled else "enabled", u.created.strftime("%Y-%m-%d"), u.display_name)
        for u in users
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _set_disabled(args: argparse.Namespace) -> int:
    async def change(service: AuthService) -> User:
        user = await service.find_user(args.username)
        return await service.update_user(user.id, disabled=args.disabled)

    user = _with_service(_install(args), change)
    if user.disabled:
        print(f"disabled {user.username}: its sessions and API tokens are revoked")
    else:
        print(f"enabled {user.username}")
    return 0

"""Servers of the tests' own, on free ports in temporary folders, to stop, kill and restart.

The machine's shared services are never touched: fault tests start their own mosquitto,
nats-server and PostgreSQL here.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on port {port} after {timeout_s} s")


class OwnMosquitto:
    """A mosquitto of its own with unbounded queues. `durable` (the default) saves its state
    on every change, so a SIGKILL loses nothing it acknowledged; without, it keeps its state
    in memory only (for benchmarks). With `accounts` (user: password) only they may connect."""

    def __init__(
        self, folder: Path, *, durable: bool = True, accounts: dict[str, str] | None = None
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self._config = folder / "mosquitto.conf"
        self._config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            # Started as root it would become the mosquitto user, who cannot save here.
            f"user {getpass.getuser()}\n"
            "allow_anonymous true\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 100\n"
        )
        if accounts is not None:  # only these may connect
            passwords = folder / "passwd"
            passwords.touch()
            for user, password in accounts.items():
                subprocess.run(
                    ["mosquitto_passwd", "-b", str(passwords), user, password], check=True
                )
            config_text = self._config.read_text().replace("allow_anonymous true\n", "")
            self._config.write_text(
                config_text + f"allow_anonymous false\npassword_file {passwords}\n"
            )
        if durable:
            with self._config.open("a") as config:
                config.write(
                    "persistence true\n"
                    f"persistence_location {folder}/\n"
                    "autosave_on_changes true\n"
                    "autosave_interval 1\n"
                )

    def start(self) -> None:
        self._process = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(self._config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self._process is not None:
            self._process.send_signal(sig)
            self._process.wait(10)
            self._process = None

    def restart(self, sig: signal.Signals = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()


class OwnPostgres:
    """A PostgreSQL cluster of its own (run as the postgres user: initdb refuses root).

    Its folder is a temporary one of its own, since a test's tmp_path is closed to other
    users; `remove()` deletes it.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="penworks-pg-"))
        self.port = free_port()
        self.data = self.folder / "pgdata"
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        prefix: list[str] = []
        if os.geteuid() == 0:
            prefix = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
            str(self.folder / "log"), "start",
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

"""`penworks user add|list|disable|enable`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from penworks.cli import main
from tests.unit.auth.support import GOOD_PASSWORD, OTHER_PASSWORD

SITE = Path(__file__).resolve().parents[3] / "sites" / "building15.yaml"


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    feed = io.StringIO()
    monkeypatch.setattr(sys, "stdin", feed)
    return feed


def _add(data: Path, stdin: io.StringIO, *args: str, password: str = GOOD_PASSWORD) -> int:
    stdin.seek(0)
    stdin.truncate()
    stdin.write(password + "\n")
    stdin.seek(0)
    return main(["user", "add", *args, "--data", str(data), "--password-stdin"])


def test_add_list_disable_enable(
    tmp_path: Path, stdin: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert _add(data, stdin, "Root", "--admin", "--display-name", "Site Admin") == 0
    assert _add(data, stdin, "ann", "--role", "tenant_user", "--tenant", "nib") == 0
    out = capsys.readouterr().out
    assert "added user root (admin)" in out
    assert "added user ann (tenant_user of tenant nib)" in out
    assert (data / "signing.key").exists()
    assert main(["user", "disable", "ann", "--data", str(data)]) == 0
    assert "disabled ann" in capsys.readouterr().out
    assert main(["user", "list", "--data", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "USERNAME", "ROLE", "TENANT", "STATUS", "CREATED", "NAME"]
    assert lines[1].split()[:5] == ["1", "root", "admin", "-", "enabled"]
    assert lines[1].endswith("Site Admin")
    assert lines[2].split()[:5] == ["2", "ann", "tenant_user", "nib", "disabled"]
    assert main(["user", "enable", "ann", "--data", str(data)]) == 0
    assert "enabled ann" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "password", "error"),
    [
        (
            ["bob", "--role", "tenant_user", "--tenant", "acme"],
            GOOD_PASSWORD,
            "unknown tenant 'acme'",
        ),
        (["bob", "--role", "tenant_user"], GOOD_PASSWORD, "needs a tenant"),
        (["bob"], GOOD_PASSWORD, "give --role"),
        (["bob", "--admin", "--role", "viewer"], GOOD_PASSWORD, "disagree"),
        (["bob", "--role", "viewer"], "short", "at least 12 characters"),
        (["bob", "--role", "viewer"], "", "no password"),
    ],
)
def test_refusals_are_one_clear_line(
    tmp_path: Path,
    stdin: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    password: str,
    error: str,
) -> None:
    assert _add(tmp_path, stdin, *args, password=password) == 1
    err = capsys.readouterr().err
    assert err.startswith("penworks: ")
    assert error in err
    assert "Traceback" not in err


def test_a_taken_name_and_the_last_admin_are_refused(
    tmp_path: Path, stdin: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(tmp_path, stdin, "root", "--admin") == 0
    assert _add(tmp_path, stdin, "ROOT", "--role", "viewer") == 1
    assert "taken" in capsys.readouterr().err
    assert main(["user", "disable", "root", "--data", str(tmp_path)]) == 1
    assert "last enabled administrator" in capsys.readouterr().err
    assert main(["user", "disable", "nobody", "--data", str(tmp_path)]) == 1
    assert "no user 'nobody'" in capsys.readouterr().err


def test_the_password_prompt_asks_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([GOOD_PASSWORD, OTHER_PASSWORD, GOOD_PASSWORD, GOOD_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    command = ["user", "add", "root", "--admin", "--data", str(tmp_path)]
    assert main(command) == 1
    assert "differ" in capsys.readouterr().err
    assert main(command) == 0


def test_config_names_the_data_dir_and_the_site(
    tmp_path: Path, stdin: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "penworks.yaml"
    config.write_text(f"site: {SITE}\ndata_dir: state\n")
    stdin.write(GOOD_PASSWORD + "\n")
    stdin.seek(0)
    command = ["user", "add", "quinn", "--role", "tenant_admin", "--tenant", "quill"]
    assert main([*command, "--config", str(config), "--password-stdin"]) == 0
    assert (tmp_path / "state" / "auth.db").exists()
    assert main(["user", "list", "--config", str(config), "--site", str(SITE)]) == 1
    assert "--site goes with --data" in capsys.readouterr().err


def test_an_unsafe_key_file_stops_the_command(
    tmp_path: Path, stdin: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(tmp_path, stdin, "root", "--admin") == 0
    (tmp_path / "signing.key").chmod(0o644)
    assert main(["user", "list", "--data", str(tmp_path)]) == 1
    assert f"chmod 600 {tmp_path / 'signing.key'}" in capsys.readouterr().err


def test_the_installed_command_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = os.environ | {"PYTHONPATH": str(SITE.parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "penworks", "user", "add", "root", "--admin",
         "--data", str(tmp_path), "--password-stdin"],
        input=GOOD_PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "added user root (admin)" in done.stdout
    assert GOOD_PASSWORD not in done.stdout + done.stderr

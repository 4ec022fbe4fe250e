"""stackling-manage, run as a real process: exit statuses, --help, and an operator's session."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackling.cli import parser as cli_parser
from stackling.cli.main import main
from stackling.config import DEFAULT_CONFIG_PATH
from stackling.quota import RESOURCES
from tests.library.helpers import FAST_HASHING

STACKLING_MANAGE = str(Path(sys.executable).parent / "stackling-manage")


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STACKLING_")}
    full_env.update(env or {})
    return subprocess.run(
        [STACKLING_MANAGE, *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=120, check=False
    )


@pytest.fixture()
def config_file(db_url: str, tmp_path: Path) -> str:
    path = tmp_path / "controller.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": {"url": db_url},
                "fernet_tokens": {"key_repository": "keys"},
                "password_hashing": {
                    "time_cost": FAST_HASHING.time_cost,
                    "memory_cost": FAST_HASHING.memory_cost,
                    "parallelism": FAST_HASHING.parallelism,
                },
            }
        )
    )
    return str(path)


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("db", "bootstrap", "fernet", "project", "user", "role", "quota"):
        assert command in result.stdout
    user_help = run("user", "--help")
    assert user_help.returncode == 0
    for action in ("create", "list", "set-password", "disable"):
        assert action in user_help.stdout
    assert "STACKLING_BOOTSTRAP_PASSWORD" in run("bootstrap", "--help").stdout


def test_wrong_usage_exits_2() -> None:
    for args in (["bogus"], ["project"], ["role", "assign", "member"], ["user", "create"], []):
        result = run(*args)
        assert result.returncode == 2, args
        assert "usage:" in result.stderr


def test_the_parsers_literal_copies_match_the_library() -> None:
    assert cli_parser.RESOURCES == RESOURCES
    assert cli_parser.DEFAULT_CONFIG_PATH == DEFAULT_CONFIG_PATH


def test_a_missing_config_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "absent.yaml"), "project", "list")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "config file" in result.stderr and "not found" in result.stderr


def test_a_first_session_as_processes(config_file: str, tmp_path: Path) -> None:
    def ok(*args: str, env: dict[str, str] | None = None) -> str:
        result = run("--config", config_file, *args, env=env)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    assert "newest" in ok("db", "upgrade")
    assert "created keys [1, 0]" in ok("fernet", "setup")
    assert "created user admin" in ok("bootstrap", env={"STACKLING_BOOTSTRAP_PASSWORD": "boot-Secret-1"})
    assert len(ok("project", "create", "web").strip()) == 32
    duplicate = run("--config", config_file, "project", "create", "web")
    assert duplicate.returncode == 1
    assert duplicate.stderr.startswith("stackling-manage: error:") and duplicate.stderr.count("\n") == 1
    assert "already exists" in duplicate.stderr


class InProcess:
    """main() called in this process (same code path as the console script, much faster)."""

    def __init__(self, config_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.config_file = config_file
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
        with self.monkeypatch.context() as patch:
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            try:
                status = main(["--config", self.config_file, *args])
            except SystemExit as exit_:
                status = int(exit_.code or 0)
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def ok(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
        status, out, err = self(*args, stdin=stdin, env=env)
        assert status == 0, (args, out, err)
        return out


def test_an_operator_session(
    config_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = InProcess(config_file, capsys, monkeypatch)
    assert "newest" in cli.ok("db", "upgrade")
    assert "created keys [1, 0]" in cli.ok("fernet", "setup")
    assert "already has keys" in cli.ok("fernet", "setup")
    assert "rotated: primary key 2" in cli.ok("fernet", "rotate")
    assert sorted(os.listdir(tmp_path / "keys")) == [".rotation.lock", "0", "1", "2"]

    status, _, err = cli("bootstrap")
    assert status == 2 and "STACKLING_BOOTSTRAP_PASSWORD" in err
    assert "created user admin" in cli.ok("bootstrap", env={"STACKLING_BOOTSTRAP_PASSWORD": "boot-Secret-1"})
    assert "nothing to do" in cli.ok("bootstrap", "--admin-password", "boot-Secret-1")
    assert "reset the password" in cli.ok("bootstrap", "--admin-password", "boot-Secret-2")

    project_id = cli.ok("project", "create", "web", "--description", "front ends").strip()
    assert "web" in cli.ok("project", "list")
    cli.ok("user", "create", "alice", "--password-stdin", stdin="alice-Secret-1\n")
    assert "granted" in cli.ok("role", "assign", "member", "--user", "alice", "--project", "web")
    assert "already granted" in cli.ok("role", "assign", "member", "--user", "alice", "--project", "web")
    grants = cli.ok("role", "list", "--project", "web")
    assert "member" in grants and project_id in grants
    roles = cli.ok("role", "list")
    assert "admin" in roles and "reader" in roles
    cli.ok("user", "set-password", "alice", env={"STACKLING_USER_PASSWORD": "alice-Secret-2"})
    assert "disabled" in cli.ok("user", "disable", "alice")
    assert "False" in cli.ok("user", "list")
    cli.ok("quota", "set", "web", "instances=5", "cores=-1")
    quota = cli.ok("quota", "show", "web")
    assert any(line.split() == ["instances", "5", "0"] for line in quota.splitlines())

    for args, message in (
        (("project", "create", "web"), "already exists"),
        (("quota", "set", "web", "gpus=1"), "unknown quota resource"),
        (("quota", "set", "web", "instances"), "RESOURCE=LIMIT"),
        (("user", "set-password", "ghost", "--password", "x"), "not found"),
    ):
        status, _, err = cli(*args)
        assert status == 1 and message in err and err.count("\n") == 1, (args, err)
    assert "revoked" in cli.ok("role", "unassign", "member", "--user", "alice", "--project", "web")
    assert "deleted project web" in cli.ok("project", "delete", "web")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unmigrated_database_is_a_one_line_error(empty_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "controller.yaml"
    path.write_text(yaml.safe_dump({"database": {"url": empty_db_url}, "fernet_tokens": {"key_repository": "k"}}))
    result = run("--config", str(path), "project", "list")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "db upgrade" in result.stderr

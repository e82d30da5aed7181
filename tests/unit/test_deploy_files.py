"""There is no Docker engine here, so check what the Dockerfile and compose.yaml would run exists."""

import re
import shlex
from pathlib import Path

import yaml
from typer.main import get_command

from app.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _cli_commands() -> set[str]:
    return set(get_command(cli).commands)  # type: ignore[attr-defined]


def _dockerfile_commands() -> list[list[str]]:
    text = (ROOT / "Dockerfile").read_text()
    cmds = [eval(m) for m in re.findall(r"^CMD (\[.*\])$", text, re.M)]  # noqa: S307 - our own file
    return cmds


def _compose_commands() -> list[list[str]]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    out = []
    for service in compose["services"].values():
        cmd = service.get("command")
        if cmd:
            out.append(cmd if isinstance(cmd, list) else shlex.split(cmd))
    return out


def test_every_quillcast_command_in_dockerfile_and_compose_exists():
    commands = _dockerfile_commands() + _compose_commands()
    assert len(commands) >= 5
    known = _cli_commands()
    for cmd in commands:
        assert cmd[0] == "quillcast", cmd
        assert cmd[1] in known, f"{cmd} runs `quillcast {cmd[1]}`, which the CLI does not have"


def test_compose_runs_web_worker_and_beat_on_postgres_and_redis():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_dockerfile_is_multistage_non_root_with_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER (?!root)\S+", text, re.M)
    assert "HEALTHCHECK" in text and "/api/health" in text


def test_web_and_worker_share_the_data_dir_and_the_image_leaves_local_state_out():
    """Uploaded media is written by web and read by the worker: both must see the same DATA_DIR."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    data_dir = re.search(r"DATA_DIR=(\S+)", (ROOT / "Dockerfile").read_text())
    assert data_dir, "the Dockerfile sets DATA_DIR"
    for name in ("web", "worker", "beat"):
        mounts = [v.split(":") for v in compose["services"][name].get("volumes", [])]
        assert [m for m in mounts if m[1] == data_dir.group(1) and m[0] in compose["volumes"]], name
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "data", ".env"} <= set(ignored)

"""The single-process commands production runs (web, worker, beat) and the command lines they exec;
`quillcast run` starts the same command lines as its children."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

import typer

from app.cli.base import load_settings, require_set, say

BIN = Path(sys.executable).parent


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The venv's Node/bun first: Reflex must not find an older system Node.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Granian's default is 2 x cores + 1 web workers (~190 MiB each); two serve a team well.
    env.setdefault("GRANIAN_WORKERS", "2")
    return env


def web_argv(port: int, host: str = "127.0.0.1", dev: bool = False) -> list[str]:
    # Reflex's own default host is 0.0.0.0 (rxconfig `backend_host`); granian binds what --backend-host says.
    if dev:
        return [str(BIN / "reflex"), "run", "--frontend-port", str(port), "--backend-port", str(port + 1),
                "--backend-host", host]
    return [
        str(BIN / "reflex"), "run", "--env", "prod", "--single-port",
        "--frontend-port", str(port), "--backend-port", str(port), "--backend-host", host,
    ]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def local_url(host: str, port: int) -> str:
    """Where this machine reaches a server bound to `host` (every interface: through loopback)."""
    host = host.strip("[]")
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def exposure_line(host: str) -> str:
    if _is_loopback(host):
        return f"listening on {host} only; set WEB_HOST=0.0.0.0 to expose it"
    return f"listening on {host} (WEB_HOST): reachable from the network, put TLS in front of it"


def worker_argv(concurrency: int, queues: str = "publish,email,maintenance") -> list[str]:
    return [
        str(BIN / "celery"), "-A", "tasks", "worker", "--loglevel", _celery_level(), "-Q", queues,
        "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
        "--hostname", "quillcast@%h",
    ]


def _celery_level() -> str:
    # Celery logs every task at INFO; with a dispatcher tick each second that drowns everything else.
    return os.environ.get("CELERY_LOG_LEVEL", "WARNING")


def beat_argv(data_dir: Path) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        str(BIN / "celery"), "-A", "tasks", "beat", "--loglevel", _celery_level(),
        "--schedule", str(data_dir / "celerybeat-schedule"),
    ]


def _exec(argv: list[str]) -> None:
    os.execve(argv[0], argv, child_env())  # noqa: S606 - replaces this process, as Docker expects


def announce_media_store() -> None:
    """One line at start: where uploads go, or why that store cannot be used. The process starts anyway
    (all but images works, and /api/ready keeps naming the problem until it is fixed)."""
    from app.core import storage

    try:
        say(f"media: {storage.check()}")
    except storage.StorageError as exc:
        say(f"warning: media storage cannot be used, so uploads and publishing images will fail: {exc}")


def web(port: int = typer.Option(None, help="Port for UI and API (default WEB_PORT or 3000)"),
        dev: bool = typer.Option(False, help="Hot-reloading dev server on two ports")) -> None:
    """Start the web process: the Reflex UI and the REST API under /api."""
    settings = load_settings()
    require_set("DATABASE_URL", settings.database_url)
    require_set("REDIS_URL", settings.redis_url)
    announce_media_store()
    _exec(web_argv(port or settings.web_port, settings.web_host, dev))


def worker(concurrency: int = typer.Option(None, help="Worker processes (default WORKER_CONCURRENCY)"),
           queues: str = typer.Option("publish,email,maintenance", help="Queues to consume")) -> None:
    """Start a Celery worker (publishing, e-mail, maintenance)."""
    settings = load_settings()
    require_set("DATABASE_URL", settings.database_url)
    require_set("REDIS_URL", settings.redis_url)
    announce_media_store()
    _exec(worker_argv(concurrency or settings.worker_concurrency, queues))


def beat() -> None:
    """Start Celery beat (the dispatcher tick). Run exactly one."""
    settings = load_settings()
    require_set("REDIS_URL", settings.redis_url)
    _exec(beat_argv(settings.data_dir))

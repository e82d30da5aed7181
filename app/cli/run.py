"""`quillcast run`: the whole system in one command, stopped as one on Ctrl-C.

Embedded PostgreSQL / Redis when DATABASE_URL / REDIS_URL are unset, migrations, then web, worker and
beat as children whose output is prefixed with their name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

import typer

from app.cli.admins import first_run_link
from app.cli.base import fail, load_settings, say
from app.cli.database import base_backup_if_due, run_migrations
from app.cli.processes import beat_argv, child_env, exposure_line, local_url, web_argv, worker_argv
from app.core.config import ROOT

COLOURS = {"web": "\033[36m", "worker": "\033[35m", "beat": "\033[33m"}


class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(  # noqa: S603 - our own argv
            argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()

    def _pump(self, stream: IO[bytes] | None) -> None:
        colour, reset = (COLOURS.get(self.name, ""), "\033[0m") if sys.stderr.isatty() else ("", "")
        assert stream is not None
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            sys.stderr.write(f"{colour}{self.name:<9}|{reset} {line}\n")

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is not None:
            return
        try:
            if self.name == "worker":
                # Its main process only: Celery's warm shutdown lets the publishes in flight finish and
                # then stops its pool. SIGTERM to the whole group would kill the pool mid-publish.
                self.process.send_signal(signal.SIGTERM)
            else:
                os.killpg(self.process.pid, signal.SIGTERM)  # the whole group: reflex spawns granian, etc.
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever of the group outlived its leader


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "<unparseable URL>"


def _preflight() -> None:
    """Reach the database and Redis before starting anything, with a message that says what to fix."""
    from app.core import db
    from app.core.config import get_settings
    from app.core.redis import get_redis

    settings = get_settings()
    try:
        db.ping()
    except Exception as exc:  # noqa: BLE001
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        fail(f"cannot reach PostgreSQL at {_redact(settings.sqlalchemy_database_url)} ({reason}): "
             "fix DATABASE_URL, or unset it to use the embedded PostgreSQL")
    try:
        get_redis().ping()
    except Exception as exc:  # noqa: BLE001
        fail(f"cannot reach Redis at {_redact(settings.redis_url or '')} ({str(exc)[:160]}): "
             "fix REDIS_URL, or unset it to use the embedded Redis")


def _announce_setup(url: str) -> None:
    """After the start line: the setup link while the instance has no administrator."""
    from app.core import db

    db.reset_engine()  # the app's login is made by the migration that just ran: connect afresh
    try:
        link = first_run_link(url)
    except Exception as exc:  # noqa: BLE001 - a hint only: never stop a running system over it
        say(f"could not check for first-run setup ({type(exc).__name__}: {str(exc)[:200]}); "
            "`quillcast setup-link` prints the setup link")
        return
    if link:
        say(f"first start: create the administrator account at {link}")


def _wait_until_up(url: str, children: list[Child], timeout: float) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_stop()
        for child in children:
            if child.process.poll() is not None:
                return False
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def _bind_probe_host(host: str) -> str:
    return "" if host in ("0.0.0.0", "::") else host.strip("[]")  # noqa: S104 - probing, as web will bind


# Python drops a KeyboardInterrupt raised while it runs a garbage-collector callback ("Exception ignored
# in ..."), so a Ctrl-C that lands there would be lost; the flag outlives it and the loops below check it.
_stop_requested = threading.Event()


def _interrupt(signum: int, _frame: object) -> None:
    _stop_requested.set()
    raise KeyboardInterrupt


def _check_stop() -> None:
    if _stop_requested.is_set():
        raise KeyboardInterrupt


def run(port: int = typer.Option(None, help="Port for UI and API (default WEB_PORT or 3000)")) -> None:
    """Start everything: embedded services if needed, migrations, web, worker and beat."""
    from app.core import embedded
    from app.core.config import get_settings

    settings = load_settings()
    port = port or settings.web_port
    # Explicitly, not inherited: a process started in the background by a non-interactive shell (CI
    # scripts, `cmd &`) begins with SIGINT ignored, and Python then never raises KeyboardInterrupt.
    _stop_requested.clear()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    stoppers: list[Callable[[], object]] = []
    children: list[Child] = []
    code = 0
    try:
        if not embedded.port_free(port, _bind_probe_host(settings.web_host)):
            fail(f"port {port} is taken: stop what uses it, or choose another with WEB_PORT=<port>")
        if not settings.database_url:
            say(f"starting embedded PostgreSQL in {settings.data_dir / 'postgres'}")
            pg = embedded.start_postgres(settings.data_dir)
            stoppers.append(pg.stop)
            os.environ["DATABASE_URL"] = pg.url
        if not settings.redis_url:
            say(f"starting embedded Redis on 127.0.0.1:{settings.embedded_redis_port}")
            rd = embedded.start_redis(settings.data_dir, settings.embedded_redis_port)
            stoppers.append(rd.stop)
            os.environ["REDIS_URL"] = rd.url
        get_settings.cache_clear()
        settings = load_settings()
        _preflight()
        run_migrations()
        base_backup_if_due()
        env = child_env()
        for name, argv in (
            ("worker", worker_argv(settings.worker_concurrency)),
            ("beat", beat_argv(settings.data_dir)),
            ("web", web_argv(port, settings.web_host)),
        ):
            children.append(Child(name, argv, env))
        local = local_url(settings.web_host, port)
        url = settings.public_url or local
        say("building and starting the web app (the first start compiles the UI: about a minute)")
        if not _wait_until_up(f"{local}/api/health", children, timeout=600):
            dead = [c.name for c in children if c.process.poll() is not None]
            fail(f"{', '.join(dead) or 'web'} stopped during start-up: see its lines above")
        say(f"Quillcast is running at {url}  (API docs: {url}/api/docs); {exposure_line(settings.web_host)}. "
            "Ctrl-C stops everything.")
        _announce_setup(url)
        while True:
            _check_stop()
            for child in children:
                if child.process.poll() is not None:
                    fail(f"{child.name} exited with code {child.process.returncode}: "
                         "see its lines above; everything else was stopped")
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping")
    except typer.Exit as exc:
        code = exc.exit_code
    except embedded.EmbeddedError as exc:
        typer.secho(f"quillcast | error: {exc}", err=True, fg=typer.colors.RED)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan children
        for child in reversed(children):
            child.stop()
        for stop in reversed(stoppers):
            stop()
        if children or stoppers:
            say("stopped: no process left running")
    raise typer.Exit(code)

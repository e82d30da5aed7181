"""`quillcast`: run the whole system, or one process of it.

`quillcast run` starts web + worker + beat (and embedded PostgreSQL / Redis when DATABASE_URL /
REDIS_URL are unset) and stops every one of them on Ctrl-C. The single-process commands are what
production (Dockerfile, compose.yaml) runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import typer

from app.core.config import ROOT

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
BIN = Path(sys.executable).parent
COLOURS = {"web": "\033[36m", "worker": "\033[35m", "beat": "\033[33m"}


def say(message: str) -> None:
    typer.echo(f"quillcast | {message}", err=True)


def fail(message: str) -> None:
    """One clear line naming the problem and the fix; no traceback."""
    typer.secho(f"quillcast | error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def _settings():  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from app.core.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))


def _child_env() -> dict[str, str]:
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
    import ipaddress

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


def _require(var: str, value: str | None) -> None:
    if not value:
        fail(f"{var} is not set: set it, or start the whole system with `quillcast run`")


def _exec(argv: list[str]) -> None:
    os.execve(argv[0], argv, _child_env())  # noqa: S606 - replaces this process, as Docker expects


@cli.command()
def web(port: int = typer.Option(None, help="Port for UI and API (default WEB_PORT or 3000)"),
        dev: bool = typer.Option(False, help="Hot-reloading dev server on two ports")) -> None:
    """Start the web process: the Reflex UI and the REST API under /api."""
    settings = _settings()
    _require("DATABASE_URL", settings.database_url)
    _require("REDIS_URL", settings.redis_url)
    _exec(web_argv(port or settings.web_port, settings.web_host, dev))


@cli.command()
def worker(concurrency: int = typer.Option(None, help="Worker processes (default WORKER_CONCURRENCY)"),
           queues: str = typer.Option("publish,email,maintenance", help="Queues to consume")) -> None:
    """Start a Celery worker (publishing, e-mail, maintenance)."""
    settings = _settings()
    _require("DATABASE_URL", settings.database_url)
    _require("REDIS_URL", settings.redis_url)
    _exec(worker_argv(concurrency or settings.worker_concurrency, queues))


@cli.command()
def beat() -> None:
    """Start Celery beat (the dispatcher tick). Run exactly one."""
    settings = _settings()
    _require("REDIS_URL", settings.redis_url)
    _exec(beat_argv(settings.data_dir))


@cli.command()
def migrate() -> None:
    """Bring the database schema to the latest migration (and re-encrypt values of the old default key)."""
    with _local_services(create_database=True):
        _migrate()


@cli.command("create-admin")
def create_admin(
    email: str = typer.Option(..., "--email", help="The administrator's e-mail address"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read a password for a new account from standard input"),
) -> None:
    """Make an instance administrator (a new account, or promote an existing one)."""
    from app.core import db
    from app.services.errors import DomainError
    from app.services.identity import admins

    # Never from argv: it would sit in the shell history and the process list.
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with _local_services():
        try:
            with db.session_scope() as session:
                result = admins.create_admin(session, email, password)
        except DomainError as exc:
            fail(exc.message)
        except Exception as exc:  # noqa: BLE001 - one clear line, no traceback
            fail(f"could not reach the database ({type(exc).__name__}): check DATABASE_URL and run "
                 "`quillcast migrate`")
    user = result.user
    if result.created:
        note = "" if password else " (no password: set one with 'forgot password')"
        say(f"created administrator {user.email}{note}")
    elif result.promoted:
        say(f"{user.email} is now an administrator (password unchanged)")
    else:
        say(f"{user.email} was already an administrator (nothing changed)")


def _postgres_running(pgdata: Path) -> bool:
    from pgserver.postgres_server import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        return info is not None and info.is_running()
    except Exception:  # noqa: BLE001 - an unreadable pid file: treat as not ours to keep running
        return (pgdata / "postmaster.pid").exists()


@contextmanager
def _database_for_maintenance(create: bool = False) -> Iterator[str]:
    """DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (reused while `make run` is up, else
    started for the command and stopped again afterwards). `create`: a fresh DATA_DIR gets one."""
    from app.core import embedded

    settings = _settings()
    if settings.database_url:
        yield settings.database_url
        return
    pgdata = settings.data_dir / "postgres"
    if not create and not (pgdata / "PG_VERSION").exists():
        fail(f"no database here: DATABASE_URL is unset and {pgdata} holds none (start Quillcast once with "
             "`make run`, or set DATABASE_URL)")
    was_running = _postgres_running(pgdata)
    try:
        pg = embedded.start_postgres(settings.data_dir)
    except embedded.EmbeddedError as exc:
        fail(str(exc))
    try:
        yield pg.url
    finally:
        if not was_running:
            pg.stop()


def _setup_link(base_url: str | None = None) -> str | None:
    """The first-run setup link while no instance administrator exists (identity.setup), else None."""
    from app.core import db
    from app.services.identity import setup

    with db.session_scope() as session:
        return setup.setup_link(session, base_url)


def _announce_setup(url: str) -> None:
    """After the start line: the setup link while the instance has no administrator."""
    from app.core import db

    db.reset_engine()  # the app's login is made by the migration that just ran: connect afresh
    try:
        link = _setup_link(url)
    except Exception as exc:  # noqa: BLE001 - a hint only: never stop a running system over it
        say(f"could not check for first-run setup ({type(exc).__name__}: {str(exc)[:200]}); "
            "`quillcast setup-link` prints the setup link")
        return
    if link:
        say(f"first start: create the administrator account at {link}")


@cli.command("setup-link")
def setup_link() -> None:
    """Print the one-time link that makes the first administrator (only while there is none)."""
    with _local_services():
        try:
            link = _setup_link()
        except Exception as exc:  # noqa: BLE001 - one clear line, no traceback
            fail(f"could not read the database ({type(exc).__name__}): run `quillcast migrate` "
                 "(or `make run`) first")
    if link is None:
        fail("this Quillcast is already set up (it has an administrator): sign in, or make another "
             "administrator with `quillcast create-admin --email <address>`")
    say("open this link to create the first account, the administrator (it works until one exists):")
    typer.echo(link)


def _reload_settings() -> None:
    from app.core import db, redis
    from app.core.config import get_settings

    get_settings.cache_clear()
    db.reset_engine()
    redis.reset_redis()


@contextmanager
def _local_services(create_database: bool = False) -> Iterator[None]:
    """For a one-off command: with DATABASE_URL unset, the embedded PostgreSQL of `make run` (see
    `_database_for_maintenance`); with REDIS_URL unset, the embedded Redis when it is up. Both are put
    in this process's environment, so every client below uses them."""
    from app.core import embedded

    settings = _settings()
    if not settings.redis_url and embedded.port_open(settings.embedded_redis_port):
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{settings.embedded_redis_port}/0"
    with _database_for_maintenance(create=create_database) as url:
        os.environ["DATABASE_URL"] = url
        _reload_settings()
        yield


@cli.command()
def backup(directory: Path = typer.Option(None, "--dir", help="Where to write (default BACKUP_DIR or "
                                          "DATA_DIR/backups)")) -> None:
    """Back up the database to a file (pg_dump custom format); keeps the newest BACKUP_KEEP."""
    from app.core import backup as backups

    settings = _settings()
    target = directory or settings.backups_path
    with _database_for_maintenance() as url:
        try:
            taken = backups.take(url, target)
        except backups.BackupError as exc:
            fail(str(exc))
    removed = backups.prune(target, settings.backup_keep)
    say(f"backup written: {taken.path} ({taken.size / 1024:.0f} KiB)"
        + (f"; removed {len(removed)} older" if removed else ""))
    key_file = settings.key_file_used
    keys = f"the key file {key_file}" if key_file else "SECRET_KEY / ENCRYPTION_KEYS"
    say(f"keep {keys} safe as well, apart from the backups: the encrypted secrets in them need it")


@cli.command()
def restore(file: Path = typer.Argument(..., help="A quillcast-*.dump file from `quillcast backup`"),
            yes: bool = typer.Option(False, "--yes", help="Really replace the database's contents")) -> None:
    """Replace the database's contents with a backup, then migrate it to this version's schema."""
    from app.core import backup as backups

    if not yes:
        fail(f"this replaces everything in the database with {file.name}: stop Quillcast first, then run "
             "again with --yes")
    with _database_for_maintenance() as url:
        try:
            backups.restore(url, file)
        except backups.BackupError as exc:
            fail(str(exc))
        os.environ["DATABASE_URL"] = url
        _reload_settings()
        _migrate()
    say(f"restored {file.name}")


@cli.command()
def check() -> None:
    """Print the readiness of each part (the same as GET /api/ready)."""
    from app.services.operations import system

    ok = True
    with _local_services():
        for c in system.readiness():
            ok &= c.ok
            typer.echo(f"{'ok  ' if c.ok else 'DOWN'} {c.name:<9} {c.detail}")
    raise typer.Exit(0 if ok else 1)


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


def _migrate() -> None:
    from alembic.util.exc import CommandError

    from app.core import dblogin, migrations

    try:
        migrations.upgrade()
    except CommandError as exc:
        fail(f"migration failed: {exc}. The database was migrated by a newer Quillcast, or a migration "
             "file is missing: update this checkout (git pull) and run `quillcast migrate`")
    except dblogin.LoginError as exc:
        fail(str(exc))
    say(f"database schema at {migrations.head_revision()}")
    _reencrypt_legacy()


def _reencrypt_legacy() -> None:
    from app.core import db, rekey

    db.reset_engine()  # connections opened before the migration created the app role cannot switch to it
    try:
        result = rekey.reencrypt_legacy()
    except Exception as exc:  # noqa: BLE001 - one clear line; the values stay as they were
        # The first line only: SQLAlchemy puts the statement's parameters on the lines after it.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        fail(f"re-encrypting values of the old default key failed ({reason}): run `quillcast migrate` again")
    if result.total:
        say(result.summary())
    unreadable = sum(result.unreadable.values())
    if unreadable:
        say(f"warning: {unreadable} encrypted value(s) open with no configured key: put the key that made "
            "them back in ENCRYPTION_KEYS (after the newest)")


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
            os.killpg(self.process.pid, signal.SIGTERM)  # the whole group: reflex spawns granian, etc.
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def _wait_until_up(url: str, children: list[Child], timeout: float) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
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


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@cli.command()
def run(port: int = typer.Option(None, help="Port for UI and API (default WEB_PORT or 3000)")) -> None:
    """Start everything: embedded services if needed, migrations, web, worker and beat."""
    from app.core import embedded
    from app.core.config import get_settings

    settings = _settings()
    port = port or settings.web_port
    # Explicitly, not inherited: a process started in the background by a non-interactive shell (CI
    # scripts, `cmd &`) begins with SIGINT ignored, and Python then never raises KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    stoppers: list = []  # type: ignore[type-arg]
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
        settings = _settings()
        _preflight()
        _migrate()
        env = _child_env()
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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()

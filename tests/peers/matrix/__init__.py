"""A real Matrix Synapse homeserver (sqlite, loopback, registration open) for tests.

`start_synapse()` installs Synapse in its own venv on first use (tests/peers/matrix/install.sh),
generates a config with keys in a fresh directory, overrides listeners/database/rate limits, and waits
for /_matrix/client/versions.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.support import ROOT, free_port

HERE = Path(__file__).resolve().parent
INSTALL_DIR = Path(os.environ.get("QUILLCAST_SYNAPSE_DIR", ROOT / "data" / "peers" / "synapse"))
PYTHON = INSTALL_DIR / ".venv" / "bin" / "python"
_FAST = {"per_second": 10_000, "burst_count": 10_000}


def ensure_installed() -> Path:
    if not PYTHON.exists() or not list(INSTALL_DIR.glob(".installed-*")):
        subprocess.run([str(HERE / "install.sh"), str(INSTALL_DIR)], check=True, timeout=900)
    return PYTHON


@dataclass
class MatrixUser:
    user_id: str
    password: str
    access_token: str


@dataclass
class Synapse:
    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path

    def register(self, name: str | None = None) -> MatrixUser:
        username = name or f"u{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12)
        with httpx.Client(base_url=self.url, timeout=30) as c:
            first = c.post("/_matrix/client/v3/register", json={"username": username, "password": password})
            session = first.json().get("session")
            r = c.post(
                "/_matrix/client/v3/register",
                json={
                    "username": username,
                    "password": password,
                    "auth": {"type": "m.login.dummy", "session": session},
                },
            )
            r.raise_for_status()
            body = r.json()
        return MatrixUser(body["user_id"], password, body["access_token"])

    def create_room(self, user: MatrixUser, name: str = "Quillcast test") -> str:
        r = httpx.post(
            f"{self.url}/_matrix/client/v3/createRoom",
            json={"name": name, "preset": "public_chat"},
            headers={"Authorization": f"Bearer {user.access_token}"},
            timeout=30,
        )
        r.raise_for_status()
        return str(r.json()["room_id"])

    def messages(self, user: MatrixUser, room_id: str, limit: int = 100) -> list[dict]:  # type: ignore[type-arg]
        r = httpx.get(
            f"{self.url}/_matrix/client/v3/rooms/{room_id}/messages",
            params={"dir": "b", "limit": limit, "filter": '{"types":["m.room.message"]}'},
            headers={"Authorization": f"Bearer {user.access_token}"},
            timeout=30,
        )
        r.raise_for_status()
        return list(reversed(r.json()["chunk"]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_synapse(timeout: float = 90.0) -> Synapse:
    python = ensure_installed()
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="synapse-", dir=INSTALL_DIR))
    base = data_dir / "homeserver.yaml"
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            "localhost",
            "--config-path",
            str(base),
            "--generate-config",
            "--report-stats=no",
            "--data-directory",
            str(data_dir),
        ],
        check=True,
        cwd=data_dir,
        timeout=120,
        capture_output=True,
    )
    overrides = {
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(data_dir / "homeserver.db")}},
        "media_store_path": str(data_dir / "media"),
        "enable_registration": True,
        "enable_registration_without_verification": True,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "rc_message": _FAST,
        "rc_registration": _FAST,
        "rc_joins": {"local": _FAST, "remote": _FAST},
        "rc_login": {"address": _FAST, "account": _FAST, "failed_attempts": _FAST},
    }
    override_path = data_dir / "overrides.yaml"
    override_path.write_text(yaml.safe_dump(overrides))
    log = (data_dir / "synapse.out").open("wb")
    process = subprocess.Popen(
        [str(python), "-m", "synapse.app.homeserver", "-c", str(base), "-c", str(override_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    synapse = Synapse(url, process, data_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = (data_dir / "synapse.out").read_text(errors="replace")[-3000:]
            shutil.rmtree(data_dir, ignore_errors=True)
            raise RuntimeError(f"Synapse exited with {process.returncode}:\n{out}")
        try:
            if httpx.get(f"{url}/_matrix/client/versions", timeout=2).status_code == 200:
                return synapse
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    synapse.stop()
    raise RuntimeError(f"Synapse did not answer within {timeout:.0f} s")

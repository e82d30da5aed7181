"""The real Bluesky PDS (with its in-memory PLC) for tests: installed on first use, started per run.

`start_pds()` installs it when node_modules is missing (tests/peers/bluesky/install.sh, ~1 min),
starts start.js on free loopback ports with a fresh data directory, and waits for /xrpc/_health.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import ROOT, free_port

HERE = Path(__file__).resolve().parent
INSTALL_DIR = Path(os.environ.get("QUILLCAST_PDS_DIR", ROOT / "data" / "peers" / "bluesky-pds"))


def ensure_installed() -> Path:
    """The Node 22 binary that runs the PDS; installs the PDS first when it is missing."""
    marker = INSTALL_DIR / "node_modules" / "@atproto" / "pds" / "package.json"
    node_path = INSTALL_DIR / ".node-path"
    if not marker.exists() or not node_path.exists():
        subprocess.run([str(HERE / "install.sh"), str(INSTALL_DIR)], check=True, timeout=900)
    return Path(node_path.read_text().strip())


@dataclass
class Account:
    handle: str
    did: str
    password: str
    app_password: str
    access_jwt: str


@dataclass
class Pds:
    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    accounts: list[Account] = field(default_factory=list)

    def create_account(self, name: str | None = None) -> Account:
        """A new account (handle `<name>.test`) with an app password, the way a user would connect it."""
        handle = f"{name or 'u' + secrets.token_hex(4)}.test"
        password = secrets.token_urlsafe(12)
        with httpx.Client(base_url=self.url, timeout=30) as c:
            r = c.post(
                "/xrpc/com.atproto.server.createAccount",
                json={"handle": handle, "email": f"{handle}@example.com", "password": password},
            )
            r.raise_for_status()
            body = r.json()
            r = c.post(
                "/xrpc/com.atproto.server.createAppPassword",
                json={"name": "quillcast"},
                headers={"Authorization": f"Bearer {body['accessJwt']}"},
            )
            r.raise_for_status()
            account = Account(handle, body["did"], password, r.json()["password"], body["accessJwt"])
        self.accounts.append(account)
        return account

    def get_record(self, did: str, rkey: str, collection: str = "app.bsky.feed.post") -> httpx.Response:
        return httpx.get(
            f"{self.url}/xrpc/com.atproto.repo.getRecord",
            params={"repo": did, "collection": collection, "rkey": rkey},
            timeout=30,
        )

    def list_records(self, did: str, collection: str = "app.bsky.feed.post") -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"repo": did, "collection": collection, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            r = httpx.get(f"{self.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=30)
            r.raise_for_status()
            body = r.json()
            records += body["records"]
            cursor = body.get("cursor")
            if not cursor or not body["records"]:
                return records

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_pds(timeout: float = 90.0) -> Pds:
    node = ensure_installed()
    plc_port, pds_port = free_port(), free_port()
    # The PLC lives in memory: a fresh data directory per start, or old DIDs would not resolve.
    data_dir = Path(tempfile.mkdtemp(prefix="pds-", dir=INSTALL_DIR))
    log_path = data_dir / "pds.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(node), str(HERE / "start.js"), str(INSTALL_DIR), str(plc_port), str(pds_port), str(data_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{pds_port}"
    pds = Pds(url, process, data_dir, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log_path.read_text(errors="replace")[-3000:]
            shutil.rmtree(data_dir, ignore_errors=True)
            raise RuntimeError(f"the Bluesky PDS exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{url}/xrpc/_health", timeout=2).status_code == 200:
                return pds
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pds.stop()
    raise RuntimeError(f"the Bluesky PDS did not answer /xrpc/_health within {timeout:.0f} s")

"""A publisher process for the crash test: publishes posts 0..N-1 with keys `<prefix>-<i>` in order,
printing each index once the PDS has it.

Run as `python -m tests.peers.bluesky_burst URL HANDLE APP_PASSWORD PREFIX N`."""

from __future__ import annotations

import sys

from app.connectors.base import PublishRequest
from app.connectors.bluesky import BlueskyConnector


def main() -> None:
    url, handle, password, prefix, count = sys.argv[1:6]
    connector = BlueskyConnector({"service": url, "identifier": handle, "app_password": password})
    for i in range(int(count)):
        connector.publish(
            PublishRequest(
                idempotency_key=f"{prefix}-{i}", text=f"burst post {i}", thread=(f"burst reply {i}",)
            )
        )
        print(i, flush=True)


if __name__ == "__main__":
    main()

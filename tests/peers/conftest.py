"""Real peer servers, one per test session: the Bluesky PDS (+PLC) and Matrix Synapse.

Both install themselves on first use from the project's own files (tests/peers/*/install.sh) into
data/peers/, and bind free loopback ports so parallel runs do not collide.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.bluesky import Pds, start_pds
from tests.peers.matrix import Synapse, start_synapse


@pytest.fixture(scope="session")
def bluesky_pds() -> Iterator[Pds]:
    pds = start_pds()
    yield pds
    pds.stop()


@pytest.fixture(scope="session")
def synapse() -> Iterator[Synapse]:
    server = start_synapse()
    yield server
    server.stop()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Install the peers before any test starts (a fresh machine needs a few minutes for the PDS build),
    so the install is not counted against a test's timeout."""
    from tests.peers import bluesky, matrix

    needed = {name for item in items for name in getattr(item, "fixturenames", ())}
    if "bluesky_pds" in needed:
        bluesky.ensure_installed()
    if "synapse" in needed:
        matrix.ensure_installed()

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

"""A fresh instance inside the shared test database: no instance administrator, for this test only.

Other tests make administrators; the setup link works only while there is none. `no_admin` demotes every
administrator for the test and promotes them again afterwards (the test session runs one test at a
time), so the setup tests see the instance as a stranger's fresh `make run` does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import Session


@pytest.fixture()
def no_admin(session: Session) -> Iterator[None]:
    demoted = [row[0] for row in session.execute(
        text("UPDATE users SET is_admin = false WHERE is_admin RETURNING id"))]
    session.commit()
    yield
    session.rollback()
    if demoted:
        session.execute(text("UPDATE users SET is_admin = true WHERE id = ANY(:ids)"), {"ids": demoted})
        session.commit()

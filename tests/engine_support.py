"""Helpers shared by the publishing-engine tests: a sink channel, queued targets, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from app.core import crypto
from models import Channel, PostTarget, PublishAttempt, User, Workspace
from tests.factories import make_channel, make_target, make_user, make_workspace
from tests.sink import Sink, new_token


def sink_channel(session: Session, sink: Sink, network: str = "bluesky", **settings: object
                 ) -> tuple[User, Workspace, Channel, str]:
    """An owner, their workspace, and a channel whose connector talks to `sink` with a fresh token."""
    user = make_user(session)
    ws = make_workspace(session, owner=user)
    token = new_token()
    ch = make_channel(session, ws, network=network, settings={"endpoint": sink.url, **settings},
                      credentials=crypto.encrypt(f'{{"token": "{token}"}}'))
    return user, ws, ch, token


def queued_target(
    session: Session, ch: Channel, author: User | None = None, body: str = "Hello"
) -> PostTarget:
    return make_target(session, ch, status="queued", author=author, body=body,
                       scheduled_at=datetime.now(UTC))


def reload(session: Session, target: PostTarget) -> PostTarget:
    session.expire_all()
    fresh = session.get(PostTarget, target.id)
    assert fresh is not None
    return fresh


def attempts(session: Session, target: PostTarget) -> list[PublishAttempt]:
    session.expire_all()
    return list(session.exec(select(PublishAttempt).where(PublishAttempt.target_id == target.id)
                             .order_by(PublishAttempt.number)).all())  # type: ignore[arg-type]


def wait_for(check: Callable[[], bool], timeout: float = 30, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def clear_targets(session: Session) -> None:
    """Other tests' leftovers must not be claimed by a dispatcher tick of ours."""
    session.execute(delete(PostTarget))
    session.commit()

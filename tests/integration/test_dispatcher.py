"""The dispatcher claims each due target once, in order, and leaves future ones alone."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.services.delivery import dispatcher
from models import PostTarget
from tests.factories import make_channel, make_target, make_workspace


def _clear(session):
    for t in session.exec(select(PostTarget)).all():
        session.delete(t)
    session.commit()


def test_claims_due_targets_and_skips_future_ones(session):
    _clear(session)
    ch = make_channel(session, make_workspace(session))
    now = datetime.now(UTC)
    due = make_target(session, ch, scheduled_at=now - timedelta(seconds=5))
    future = make_target(session, ch, scheduled_at=now + timedelta(hours=1))
    draft = make_target(session, ch, scheduled_at=now - timedelta(hours=1), status="draft")

    claimed = dispatcher.claim_due()

    assert claimed == [str(due.id)]
    for t in (due, future, draft):
        session.refresh(t)
    assert (due.status, future.status, draft.status) == ("queued", "scheduled", "draft")
    assert dispatcher.claim_due() == []  # already queued: never claimed twice


def test_concurrent_dispatchers_claim_disjoint_sets(session):
    _clear(session)
    ch = make_channel(session, make_workspace(session))
    past = datetime.now(UTC) - timedelta(minutes=1)
    ids = {str(make_target(session, ch, scheduled_at=past).id) for _ in range(60)}

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: dispatcher.claim_due(limit=10), range(12)))

    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)) == 60
    assert set(claimed) == ids


def test_retrying_targets_come_back_when_their_time_comes(session):
    _clear(session)
    ch = make_channel(session, make_workspace(session))
    t = make_target(session, ch, status="retrying")
    t.next_attempt_at = datetime.now(UTC) + timedelta(minutes=5)
    session.add(t)
    session.commit()
    assert dispatcher.claim_due() == []
    t.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(t)
    session.commit()
    assert dispatcher.claim_due() == [str(t.id)]

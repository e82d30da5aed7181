"""`posts.allowed_actions` (what the post page offers) says exactly what the posts service then accepts:
for every target state, each action it offers goes through and each one it hides is refused."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from app.services.delivery import publishing
from app.services.errors import Conflict, PermissionDenied
from app.services.planning import posts, statuses
from models import TARGET_STATUSES, Membership, Post, PostTarget
from tests import sink as sink_module
from tests.factories import make_channel, make_target, make_user, make_workspace


@pytest.fixture(scope="module", autouse=True)
def _no_worker_takes_our_tasks(app_env, servers):
    """Broker db 0 is consumed by no test worker: nothing queued here gets published for real."""
    from tests.conftest import _reset_clients

    saved = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = f"{servers.redis_base_url}/0"
    _reset_clients()
    yield
    os.environ["REDIS_URL"] = saved
    _reset_clients()


@pytest.fixture(autouse=True)
def _sink_connectors():
    publishing.set_connector_resolver(sink_module.connector_for)  # validates like a network, sends nothing
    yield
    publishing.set_connector_resolver(None)


def _accepted(session, action, owner, target) -> bool:
    """Whether the service takes `action` now (tried in a savepoint, then undone)."""
    calls = {
        "publish_now": lambda: posts.publish_now(session, owner.id, target.post_id),
        "edit": lambda: posts.update_post(session, owner.id, target.post_id, body="Changed"),
        "cancel": lambda: posts.cancel_post(session, owner.id, target.post_id),
        "retry": lambda: posts.retry_target(session, owner.id, target.id),
        "publish_anyway": lambda: posts.resolve_unknown(session, owner.id, target.id, "publish_anyway"),
        "mark_posted": lambda: posts.resolve_unknown(session, owner.id, target.id, "mark_posted"),
    }
    before = target.status
    nested = session.begin_nested()
    try:
        calls[action]()
        # cancel_post passes over what it cannot stop: taken means the target was stopped
        taken = action != "cancel" or (before != "cancelled"
                                       and session.get(PostTarget, target.id).status == "cancelled")
    except Conflict:
        taken = False
    nested.rollback()
    return taken


@pytest.mark.parametrize("status", TARGET_STATUSES)
def test_the_actions_offered_are_the_ones_the_service_takes(session, status):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    channel = make_channel(session, ws, "bluesky", settings={"endpoint": "http://127.0.0.1:9"})
    target = make_target(session, channel, status=status, author=owner,
                         scheduled_at=datetime.now(UTC) + timedelta(hours=1))
    statuses.refresh_post_status(session, target.post_id)
    session.commit()
    post = session.get(Post, target.post_id)

    post_actions, [target_actions] = posts.allowed_actions(post.status, [status])
    for action in ("publish_now", "edit", "cancel"):
        assert _accepted(session, action, owner, target) == (action in post_actions), (status, action)
    for action in ("retry", "publish_anyway", "mark_posted"):
        assert _accepted(session, action, owner, target) == (action in target_actions), (status, action)


def test_a_post_with_a_target_mid_publish_cannot_be_cancelled_nor_started_again(session):
    post_actions, target_actions = posts.allowed_actions("publishing", ["publishing", "failed"])
    assert post_actions == frozenset()
    assert target_actions == [frozenset(), frozenset({"retry"})]


def _taken_by(session, action, actor, target) -> bool:
    """`_accepted` for any member: a refusal for their role counts as not taken, and "publish now" counts
    only when it publishes (a contributor's "publish now" is a submission for approval, not offered)."""
    calls = {
        "publish_now": lambda: posts.publish_now(session, actor.id, target.post_id).status == "publishing",
        "edit": lambda: posts.update_post(session, actor.id, target.post_id, body="Changed") is not None,
        "cancel": lambda: posts.cancel_post(session, actor.id, target.post_id) is not None,
        "retry": lambda: posts.retry_target(session, actor.id, target.id) is not None,
        "publish_anyway": lambda: posts.resolve_unknown(session, actor.id, target.id, "publish_anyway") is not None,
        "mark_posted": lambda: posts.resolve_unknown(session, actor.id, target.id, "mark_posted") is not None,
    }
    before = target.status
    nested = session.begin_nested()
    try:
        taken = calls[action]()
        if action == "cancel":  # cancel_post passes over what it cannot stop
            taken = before != "cancelled" and session.get(PostTarget, target.id).status == "cancelled"
    except (Conflict, PermissionDenied):
        taken = False
    nested.rollback()
    return taken


@pytest.mark.parametrize("status", TARGET_STATUSES)
@pytest.mark.parametrize(("role", "author"), [("editor", False), ("contributor", True),
                                             ("contributor", False), ("viewer", False)])
def test_what_a_role_is_offered_is_what_the_service_takes_from_it(session, status, role, author):
    owner, member = make_user(session), make_user(session)
    ws = make_workspace(session, owner=owner)
    session.add(Membership(workspace_id=ws.id, user_id=member.id, role=role))
    channel = make_channel(session, ws, "bluesky", settings={"endpoint": "http://127.0.0.1:9"})
    target = make_target(session, channel, status=status, author=member if author else owner,
                         scheduled_at=datetime.now(UTC) + timedelta(hours=1))
    statuses.refresh_post_status(session, target.post_id)
    session.commit()
    post = session.get(Post, target.post_id)

    post_actions, [target_actions] = statuses.allowed_actions(post.status, [status], role, is_author=author)
    for action in ("publish_now", "edit", "cancel"):
        assert _taken_by(session, action, member, target) == (action in post_actions), (role, status, action)
    for action in ("retry", "publish_anyway", "mark_posted"):
        assert _taken_by(session, action, member, target) == (action in target_actions), (role, status, action)

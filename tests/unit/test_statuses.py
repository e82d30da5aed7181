"""The status vocabulary (models.post) and its rules (planning.statuses): the named groups mean what they
say, and the post page shows exactly the actions the service allows, for every state and role."""

from __future__ import annotations

import inspect
import itertools
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from app.services.planning import statuses
from app.services.tenancy import permissions
from models import POST_STATUSES, ROLES, TARGET_STATUSES
from models import post as vocabulary

POST_GROUPS = {name: value for name, value in vars(vocabulary).items()
               if name.startswith("POST_") and name != "POST_STATUSES"}
TARGET_GROUPS = {name: value for name, value in vars(vocabulary).items()
                 if name.startswith("TARGET_") and name != "TARGET_STATUSES"}


def test_every_group_names_real_statuses():
    assert POST_GROUPS and TARGET_GROUPS
    for name, group in POST_GROUPS.items():
        assert set(group) <= set(POST_STATUSES), name
        assert len(set(group)) == len(group), name
    for name, group in TARGET_GROUPS.items():
        assert set(group) <= set(TARGET_STATUSES), name
        assert len(set(group)) == len(group), name


def test_waiting_in_flight_and_settled_divide_the_target_statuses():
    parts = [vocabulary.TARGET_WAITING, vocabulary.TARGET_IN_FLIGHT, vocabulary.TARGET_SETTLED]
    assert sorted(itertools.chain(*parts)) == sorted(TARGET_STATUSES)


def test_the_groups_agree_with_each_other():
    v = vocabulary
    assert set(v.TARGET_PLANNED) <= set(v.TARGET_WAITING)
    assert set(v.TARGET_GOING_OUT) <= set(v.TARGET_IN_FLIGHT)
    assert set(v.TARGET_PENDING) == set(v.TARGET_PLANNED) | set(v.TARGET_IN_FLIGHT)
    # cancel stops everything not yet out, but never a target mid-publish
    assert set(v.TARGET_CANCELLABLE) == set(TARGET_STATUSES) - {"published", "cancelled", "publishing"}
    # a slot is free again only when its target will not go out at that time
    assert set(TARGET_STATUSES) - set(v.TARGET_HOLDS_SLOT) == {"draft", "failed", "cancelled"}
    assert set(v.POST_EDITABLE) == set(v.POST_DRAFTS) | set(v.POST_PLANNED)


def test_the_calendar_filter_covers_every_target_status_once():
    shown = list(itertools.chain(*statuses.CALENDAR_FILTERS.values()))
    assert sorted(shown) == sorted(TARGET_STATUSES)
    assert set(statuses.CALENDAR_FILTERS) <= set(TARGET_STATUSES)
    assert statuses.filter_statuses("scheduled") == ["scheduled", "queued"]
    assert statuses.filter_statuses("publishing") == ["publishing", "retrying"]
    assert statuses.filter_statuses("draft") == ["draft"]


@pytest.mark.parametrize("post_status", POST_STATUSES)
@pytest.mark.parametrize("target_status", TARGET_STATUSES)
def test_actions_by_state(post_status, target_status):
    post_actions, [target_actions] = statuses.allowed_actions(post_status, [target_status])
    assert post_actions <= set(statuses.POST_ACTIONS)
    assert target_actions <= set(statuses.TARGET_ACTIONS)
    started = target_status not in vocabulary.TARGET_WAITING
    assert ("edit" in post_actions) == ("publish_now" in post_actions) == (
        post_status in vocabulary.POST_EDITABLE and not started)
    assert ("cancel" in post_actions) == (target_status in vocabulary.TARGET_CANCELLABLE)
    assert target_actions == {"failed": {"retry"}, "unknown": {"publish_anyway", "mark_posted"}}.get(
        target_status, frozenset())


def test_a_target_mid_publish_blocks_cancel_and_a_started_one_blocks_edit():
    post_actions, target_actions = statuses.allowed_actions("publishing", ["scheduled", "publishing"])
    assert post_actions == frozenset()
    assert statuses.allowed_actions("scheduled", [])[0] == frozenset()  # no channel: nothing to start


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("is_author", [True, False])
def test_roles_narrow_the_actions_as_the_services_check_them(role, is_author):
    states = ["failed", "unknown"]
    post_all, targets_all = statuses.allowed_actions("draft", ["draft"])
    post, _ = statuses.allowed_actions("draft", ["draft"], role, is_author=is_author)
    _, targets = statuses.allowed_actions("publishing", states, role, is_author=is_author)
    publisher = permissions.can(role, "post:publish")
    changer = permissions.can(role, "post:edit_any") or (is_author and permissions.can(role, "post:create"))
    assert ("publish_now" in post) == publisher
    assert ("edit" in post) == ("cancel" in post) == changer
    assert post <= post_all
    assert targets == ([frozenset({"retry"}), frozenset({"publish_anyway", "mark_posted"})] if publisher
                       else [frozenset(), frozenset()])


def test_derive_post_status():
    d = statuses.derive_post_status
    assert d([]) is None
    assert d(["cancelled"]) == "cancelled"
    assert d(["published", "unknown"]) == "publishing"  # unknown waits for a person's answer
    for s in vocabulary.TARGET_IN_FLIGHT:
        assert d(["published", s]) == "publishing"
    assert d(["published", "scheduled"]) == "partially_published"
    assert d(["published", "failed"]) == "partially_published"
    assert d(["failed", "cancelled"]) == "failed"
    assert d(["draft"]) is None


# --- the post page shows what the service says ---
def _shown(role: str, is_author: bool, post_status: str, states: list[str]) -> SimpleNamespace:
    """PostDetailState._show on a stand-in state: what the page's flags become for this post."""
    from state.post_detail import PostDetailState

    me = uuid.uuid4()
    page = SimpleNamespace(workspace_timezone="UTC", role=role, _user_id=str(me))
    when = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    detail = {
        "body": "Hello", "status": post_status, "author_id": me if is_author else uuid.uuid4(),
        "targets": [{"id": uuid.uuid4(), "channel_name": f"c{i}", "network": "bluesky", "status": s,
                     "scheduled_at": when, "published_at": None, "attempt_log": []}
                    for i, s in enumerate(states)],
    }
    PostDetailState._show(page, uuid.uuid4(), "v1", detail, {})
    return page


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("is_author", [True, False])
def test_the_post_page_shows_exactly_the_actions_the_service_allows(role, is_author):
    cases = [(p, [t]) for p in POST_STATUSES for t in TARGET_STATUSES]
    cases += [("publishing", ["publishing", "failed"]), ("partially_published", ["published", "unknown"]),
              ("scheduled", ["scheduled", "draft"]), ("publishing", ["queued", "retrying", "failed"])]
    for post_status, states in cases:
        page = _shown(role, is_author, post_status, states)
        post_actions, target_actions = statuses.allowed_actions(post_status, states, role, is_author=is_author)
        assert (page.can_publish_now, page.can_edit, page.can_cancel) == (
            "publish_now" in post_actions, "edit" in post_actions, "cancel" in post_actions), (post_status, states)
        for view, actions in zip(page.targets, target_actions, strict=True):
            assert view.can_retry == ("retry" in actions)
            assert view.can_resolve == ("publish_anyway" in actions) == ("mark_posted" in actions)
        assert page.live == any(s in vocabulary.TARGET_IN_FLIGHT for s in states)


def test_the_post_page_adds_no_rule_of_its_own():
    """Its buttons follow only the flags the state took from the service (no role or status check)."""
    from app.pages import post_detail as page

    for fn in (page.actions, page.post_actions):
        source = inspect.getsource(fn)
        assert ".allowed" not in source and ".role" not in source
        assert not any(f'"{s}"' in source for s in TARGET_STATUSES), fn.__name__

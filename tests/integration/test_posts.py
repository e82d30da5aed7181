"""The scheduling service against real PostgreSQL: drafts, DST-correct times, queue slots, series,
approval, and what the calendar and the post detail read."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import select

from app.services.delivery import outcomes, publishing
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.planning import posts, timeslots
from models import Membership, Post, PostTarget, PublishAttempt
from tests import sink as sink_module
from tests.factories import make_channel, make_user, make_workspace

T = posts.TargetInput

@pytest.fixture(scope="module", autouse=True)
def _no_worker_takes_our_tasks(app_env, servers):
    """These tests check the service's answers; a Celery worker alive elsewhere in the session would
    publish the queued targets under their feet. Broker db 0 is consumed by no test worker."""
    import os

    from tests.conftest import _reset_clients

    saved = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = f"{servers.redis_base_url}/0"
    _reset_clients()
    yield
    os.environ["REDIS_URL"] = saved
    _reset_clients()



@pytest.fixture()
def team(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner, timezone="Europe/Paris")
    people = {"owner": owner}
    for role in ("editor", "contributor", "viewer"):
        u = make_user(session)
        session.add(Membership(workspace_id=ws.id, user_id=u.id, role=role))
        people[role] = u
    session.commit()
    ch = make_channel(session, ws, "bluesky", settings={"endpoint": "http://127.0.0.1:9", "max_chars": 300})
    ch2 = make_channel(session, ws, "mastodon", settings={"endpoint": "http://127.0.0.1:9", "max_chars": 500})
    return ws, people, ch, ch2


@pytest.fixture(autouse=True)
def _sink_connectors():
    # The sink's connector validates like a network (max_chars from the channel); no request is made.
    publishing.set_connector_resolver(sink_module.connector_for)
    yield
    publishing.set_connector_resolver(None)


def _draft(session, team, who="owner", body="Hello 👋 مرحبا", **kw):
    ws, people, ch, ch2 = team
    post = posts.create_post(
        session,
        people[who].id,
        ws.id,
        body=body,
        targets=kw.pop("targets", [T(ch.id), T(ch2.id, body="Variant for Mastodon")]),
        **kw,
    )
    session.commit()
    return post


def _targets(session, post):
    session.expire_all()
    return session.exec(
        select(PostTarget).where(PostTarget.post_id == post.id).order_by(PostTarget.created_at)
    ).all()


def test_create_draft_with_variant_text_and_inherited_text(session, team):
    post = _draft(session, team)
    a, b = _targets(session, post)
    assert post.status == "draft" and a.status == b.status == "draft"
    assert a.body is None and b.body == "Variant for Mastodon"
    assert publishing.build_request(post, a).text == "Hello 👋 مرحبا"
    assert a.idempotency_key == a.id.hex


@pytest.mark.parametrize(
    "body,field",
    [
        ("   ", "body"),
        ("x\x00y", "body"),
        ("x" * 20_001, "body"),
    ],
)
def test_bad_text_is_refused_naming_the_field(session, team, body, field):
    with pytest.raises(ValidationFailed) as err:
        _draft(session, team, body=body, targets=[T(team[2].id)])
    assert err.value.field == field


def test_foreign_and_duplicate_channels_are_refused(session, team):
    ws, people, ch, _ = team
    other = make_channel(session, make_workspace(session))
    with pytest.raises(ValidationFailed) as err:
        posts.create_post(
            session, people["owner"].id, ws.id, body="hi", targets=[T(other.id), T(ch.id), T(ch.id)]
        )
    fields = [p.field for p in err.value.problems]
    assert fields == ["targets[0].channel_id", "targets[2].channel_id"]


def test_viewer_cannot_create_and_outsider_does_not_see_the_workspace(session, team):
    ws, people, ch, _ = team
    with pytest.raises(PermissionDenied):
        posts.create_post(session, people["viewer"].id, ws.id, body="hi", targets=[T(ch.id)])
    stranger = make_user(session)
    with pytest.raises(NotFound):
        posts.create_post(session, stranger.id, ws.id, body="hi", targets=[T(ch.id)])


def test_schedule_at_local_time_stores_utc(session, team):
    post = _draft(session, team)
    posts.schedule_post(
        session, team[1]["owner"].id, post.id, local_time=datetime(2027, 6, 1, 9, 30), timezone="Europe/Paris"
    )
    session.commit()
    assert {t.scheduled_at for t in _targets(session, post)} == {datetime(2027, 6, 1, 7, 30, tzinfo=UTC)}
    assert {t.status for t in _targets(session, post)} == {"scheduled"}
    assert session.get(Post, post.id).status == "scheduled"


def test_a_time_that_does_not_exist_names_both_options_and_fold_chooses(session, team):
    post = _draft(session, team)
    owner = team[1]["owner"].id
    with pytest.raises(ValidationFailed) as err:
        posts.schedule_post(
            session, owner, post.id, local_time=datetime(2027, 3, 28, 2, 30), timezone="Europe/Paris"
        )
    assert err.value.field == "scheduled_at" and err.value.problems[0].code == "dst_gap"
    assert "does not exist" in err.value.message
    assert "2027-03-28 01:30 CET" in err.value.message and "2027-03-28 03:30 CEST" in err.value.message
    assert _targets(session, post)[0].status == "draft"  # nothing was shifted silently
    posts.schedule_post(
        session, owner, post.id, local_time=datetime(2027, 3, 28, 2, 30), timezone="Europe/Paris", fold=0
    )
    session.commit()
    assert _targets(session, post)[0].scheduled_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST


def test_a_time_that_exists_twice_names_both_options_and_fold_chooses(session, team):
    post = _draft(session, team)
    owner = team[1]["owner"].id
    with pytest.raises(ValidationFailed) as err:
        posts.schedule_post(
            session, owner, post.id, local_time=datetime(2027, 10, 31, 2, 30), timezone="Europe/Paris"
        )
    assert err.value.problems[0].code == "dst_ambiguous" and err.value.field == "scheduled_at"
    assert "02:30 CEST (UTC+02:00)" in err.value.message and "02:30 CET (UTC+01:00)" in err.value.message
    posts.schedule_post(
        session, owner, post.id, local_time=datetime(2027, 10, 31, 2, 30), timezone="Europe/Paris", fold=1
    )
    session.commit()
    assert _targets(session, post)[0].scheduled_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", "../../etc/passwd", "Europe/Paris'; DROP TABLE posts;--"])
def test_unknown_timezone_is_refused_naming_the_field(session, team, tz):
    post = _draft(session, team)
    with pytest.raises(ValidationFailed) as err:
        posts.schedule_post(
            session, team[1]["owner"].id, post.id, local_time=datetime(2027, 6, 1, 9), timezone=tz
        )
    assert err.value.field == "timezone" and "IANA" in err.value.message


def test_a_time_in_the_past_is_refused(session, team):
    post = _draft(session, team)
    with pytest.raises(ValidationFailed) as err:
        posts.schedule_post(
            session, team[1]["owner"].id, post.id, local_time=datetime(2020, 1, 1, 9), timezone="UTC"
        )
    assert err.value.field == "scheduled_at" and "in the past" in err.value.message


def test_over_limit_text_is_refused_at_scheduling_naming_network_and_limit(session, team):
    post = _draft(session, team, body="é" * 301, targets=[T(team[2].id)])
    with pytest.raises(ValidationFailed) as err:
        posts.schedule_post(
            session, team[1]["owner"].id, post.id, local_time=datetime(2027, 6, 1, 9), timezone="UTC"
        )
    assert err.value.field == "targets[0].text"
    assert "bluesky allows 300 characters; this has 301" in err.value.message


def test_reschedule_and_cancel(session, team):
    post = _draft(session, team)
    owner = team[1]["owner"].id
    posts.schedule_post(session, owner, post.id, local_time=datetime(2027, 6, 1, 9), timezone="UTC")
    posts.schedule_post(session, owner, post.id, local_time=datetime(2027, 6, 2, 10), timezone="UTC")
    session.commit()
    assert {t.scheduled_at for t in _targets(session, post)} == {datetime(2027, 6, 2, 10, tzinfo=UTC)}
    posts.cancel_post(session, owner, post.id)
    session.commit()
    assert {t.status for t in _targets(session, post)} == {"cancelled"}
    assert session.get(Post, post.id).status == "cancelled"


def test_publish_now_queues_every_target(session, team):
    post = _draft(session, team)
    posts.publish_now(session, team[1]["editor"].id, post.id)
    session.commit()
    assert {t.status for t in _targets(session, post)} == {"queued"}
    with pytest.raises(Conflict):  # started: no more rescheduling
        posts.schedule_post(
            session, team[1]["editor"].id, post.id, local_time=datetime(2027, 6, 1, 9), timezone="UTC"
        )


def test_contributor_posts_wait_for_approval_then_editor_approves(session, team):
    ws, people, ch, _ = team
    post = _draft(session, team, who="contributor", targets=[T(ch.id)])
    posts.schedule_post(
        session, people["contributor"].id, post.id, local_time=datetime(2027, 6, 1, 9), timezone="UTC"
    )
    session.commit()
    assert session.get(Post, post.id).status == "awaiting_approval"
    with pytest.raises(PermissionDenied):
        posts.approve(session, people["contributor"].id, post.id)
    posts.approve(session, people["editor"].id, post.id)
    session.commit()
    session.expire_all()
    p = session.get(Post, post.id)
    assert (p.status, p.approved_by_id) == ("scheduled", people["editor"].id)
    assert _targets(session, post)[0].status == "scheduled"


def test_request_changes_needs_a_comment_and_returns_the_post_to_its_author(session, team):
    ws, people, ch, _ = team
    post = _draft(session, team, who="contributor", targets=[T(ch.id)])
    posts.schedule_post(
        session, people["contributor"].id, post.id, local_time=datetime(2027, 6, 1, 9), timezone="UTC"
    )
    with pytest.raises(ValidationFailed) as err:
        posts.request_changes(session, people["editor"].id, post.id, "  ")
    assert err.value.field == "comment"
    posts.request_changes(session, people["editor"].id, post.id, "Add the event link")
    session.commit()
    session.expire_all()
    p = session.get(Post, post.id)
    assert (p.status, p.approval_comment) == ("changes_requested", "Add the event link")
    assert _targets(session, post)[0].status == "draft"


def test_contributor_cannot_edit_someone_elses_post(session, team):
    post = _draft(session, team, who="editor")
    with pytest.raises(PermissionDenied):
        posts.update_post(session, team[1]["contributor"].id, post.id, body="mine now")


def test_add_to_queue_takes_the_next_free_weekly_slot(session, team):
    ws, people, ch, _ = team
    owner = people["owner"].id
    # Mondays 09:00 and Wednesdays 18:00, Paris time.
    timeslots.set_slots(
        session,
        owner,
        ch.id,
        [timeslots.SlotInput(0, time(9)), timeslots.SlotInput(2, time(18))],
        "Europe/Paris",
    )
    session.commit()
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)  # a Tuesday
    first = _draft(session, team, targets=[T(ch.id)])
    second = _draft(session, team, targets=[T(ch.id)])
    third = _draft(session, team, targets=[T(ch.id)])
    for p in (first, second, third):
        posts.add_to_queue(session, owner, p.id, now=now)
        session.commit()
    when = [_targets(session, p)[0].scheduled_at for p in (first, second, third)]
    assert when == [
        datetime(2027, 6, 2, 16, tzinfo=UTC),  # Wed 18:00 CEST
        datetime(2027, 6, 7, 7, tzinfo=UTC),  # Mon 09:00 CEST
        datetime(2027, 6, 9, 16, tzinfo=UTC),
    ]


def test_add_to_queue_without_slots_says_what_to_do(session, team):
    post = _draft(session, team, targets=[T(team[3].id)])
    with pytest.raises(ValidationFailed) as err:
        posts.add_to_queue(session, team[1]["owner"].id, post.id)
    assert err.value.field == "queue" and "no queue slots" in err.value.message


def test_recurring_post_repeats_at_the_same_local_time_across_dst(session, team):
    ws, people, ch, _ = team
    post = _draft(session, team, targets=[T(ch.id)], repeat_every_days=7, repeat_times=3)
    posts.schedule_post(
        session,
        people["owner"].id,
        post.id,
        local_time=datetime(2027, 10, 31, 9),
        timezone="America/New_York",
    )
    session.commit()
    series = session.exec(select(Post).where(Post.series_id == post.id).order_by(Post.occurrence)).all()
    assert [p.occurrence for p in series] == [1, 2, 3]
    when = [_targets(session, p)[0].scheduled_at for p in series]
    assert when == [
        datetime(2027, 10, 31, 13, tzinfo=UTC),  # 09:00 EDT
        datetime(2027, 11, 7, 14, tzinfo=UTC),  # 09:00 EST: same wall time after the change
        datetime(2027, 11, 14, 14, tzinfo=UTC),
    ]
    # Rescheduling the first re-plans the copies instead of adding more.
    posts.schedule_post(
        session, people["owner"].id, post.id, local_time=datetime(2027, 12, 1, 9), timezone="America/New_York"
    )
    session.commit()
    assert len(session.exec(select(Post).where(Post.series_id == post.id)).all()) == 3


def test_threads_and_first_comment_are_stored_on_the_target(session, team):
    ws, people, ch, _ = team
    post = _draft(
        session, team, targets=[T(ch.id, thread=["part 2", "part 3"], first_comment="link in here")]
    )
    [t] = _targets(session, post)
    req = publishing.build_request(post, t)
    assert req.thread == ("part 2", "part 3") and req.first_comment == "link in here"
    with pytest.raises(ValidationFailed) as err:
        posts.update_post(session, people["owner"].id, post.id, targets=[T(ch.id, thread=["ok", " "])])
    assert err.value.field == "targets[0].thread[1]"


def test_retry_failed_and_resolve_unknown(session, team):
    ws, people, ch, _ = team
    post = _draft(session, team, targets=[T(ch.id)])
    [t] = _targets(session, post)
    t.status, t.attempts, t.last_error = "failed", 5, "bluesky refused the post: nope"
    session.add(t)
    session.commit()
    with pytest.raises(PermissionDenied):
        posts.retry_target(session, people["contributor"].id, t.id)
    posts.retry_target(session, people["editor"].id, t.id)
    session.commit()
    [t] = _targets(session, post)
    assert t.status == "queued" and outcomes.attempts_used(t) == 0
    with pytest.raises(Conflict):
        posts.resolve_unknown(session, people["editor"].id, t.id, "mark_posted")
    t.status = "unknown"
    session.add(t)
    session.commit()
    posts.resolve_unknown(session, people["editor"].id, t.id, "mark_posted", remote_url="https://bsky.app/x")
    session.commit()
    [t] = _targets(session, post)
    assert (t.status, t.remote_url) == ("published", "https://bsky.app/x")
    assert session.get(Post, post.id).status == "published"


def test_calendar_and_detail_reads(session, team):
    ws, people, ch, ch2 = team
    owner = people["owner"].id
    post = _draft(session, team)
    posts.schedule_post(session, owner, post.id, local_time=datetime(2027, 7, 1, 9), timezone="UTC")
    session.commit()
    [a, b] = _targets(session, post)
    session.add(
        PublishAttempt(
            workspace_id=ws.id,
            target_id=b.id,
            number=1,
            outcome="transient_error",
            http_status=503,
            error="Service unavailable",
        )
    )
    session.commit()
    start, end = datetime(2027, 7, 1, tzinfo=UTC), datetime(2027, 7, 2, tzinfo=UTC)
    rows = posts.list_targets(session, owner, ws.id, start, end)
    assert {r["id"] for r in rows} == {a.id, b.id}
    assert [
        r["network"] for r in posts.list_targets(session, owner, ws.id, start, end, channel_ids=[ch2.id])
    ] == ["mastodon"]
    assert posts.list_targets(session, owner, ws.id, start, end, statuses=["failed"]) == []
    assert posts.list_targets(session, owner, ws.id, start + timedelta(days=1), end + timedelta(days=1)) == []
    detail = posts.post_detail(session, people["viewer"].id, post.id)
    by_network = {t["network"]: t for t in detail["targets"]}
    assert by_network["mastodon"]["attempt_log"][0]["error"] == "Service unavailable"
    assert by_network["mastodon"]["attempt_log"][0]["http_status"] == 503
    assert by_network["bluesky"]["text"] == "Hello 👋 مرحبا"


def test_scheduling_to_a_channel_that_needs_reconnecting_is_refused(session, team):
    ws, people, ch, _ = team
    post = _draft(session, team, targets=[T(ch.id)])
    ch.status = "needs_reauth"
    session.add(ch)
    session.commit()
    with pytest.raises(ValidationFailed) as err:
        posts.schedule_post(
            session, people["owner"].id, post.id, local_time=datetime(2027, 6, 1, 9), timezone="UTC"
        )
    assert err.value.field == "targets[0].channel_id" and "needs reconnecting" in err.value.message

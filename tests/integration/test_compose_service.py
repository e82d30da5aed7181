"""The composer's service helpers against real PostgreSQL: channel choices, per-network checks, and a save
that refuses to overwrite another tab's newer version."""

import uuid

import pytest
from sqlmodel import select

from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.planning import compose, compose_checks
from models import Membership, PostTarget
from tests.factories import make_channel, make_user, make_workspace


@pytest.fixture()
def studio(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner, timezone="Europe/Berlin")
    bsky = make_channel(session, ws, "bluesky", name="Sky")
    matrix = make_channel(session, ws, "matrix", name="Room")
    make_channel(session, ws, "bluesky", name="Broken", status="needs_reauth")
    return owner, ws, bsky, matrix


def test_channel_choices_lists_active_channels_with_limits(session, studio):
    owner, ws, bsky, matrix = studio
    choices = compose.channel_choices(session, owner.id, ws.id)
    assert [c["name"] for c in choices] == ["Sky", "Room"]
    assert choices[0]["limit"] == 300 and choices[0]["network"] == "bluesky"


def test_channel_choices_need_membership(session, studio):
    _, ws, _, _ = studio
    stranger = make_user(session)
    with pytest.raises(NotFound):  # a stranger does not even learn the workspace exists
        compose.channel_choices(session, stranger.id, ws.id)


def test_check_text_counts_like_the_network_and_names_the_limit():
    ok = compose_checks.check_text("bluesky", None, "👩‍👩‍👧 hi")
    assert ok.count == 4 and ok.problems == []  # one family emoji is one grapheme
    over = compose_checks.check_text("bluesky", None, "x" * 312)
    assert over.count == 312 and over.limit == 300
    assert any("Bluesky allows 300 characters" in p and "shorten it by 12" in p for p in over.problems)
    html = compose_checks.check_text("bluesky", None, "<b>hi</b> #tag")
    assert [s["kind"] for s in html.segments] == ["text", "hashtag"]
    assert html.segments[0]["text"] == "<b>hi</b> "


def test_check_text_refuses_a_huge_paste_quickly():
    huge = compose_checks.check_text("bluesky", None, "y" * 100_000)
    assert huge.segments == [] and "at most" in huge.problems[0]


def test_save_creates_then_updates_and_detects_another_tab(session, studio):
    owner, ws, bsky, matrix = studio
    post_id, v1 = compose.save(session, owner.id, ws.id, None, "Base", {str(bsky.id): None,
                                                                        str(matrix.id): "Own"}, "")
    session.commit()
    data = compose.load(session, owner.id, ws.id, uuid.UUID(post_id))
    assert data["targets"] == {str(bsky.id): None, str(matrix.id): "Own"}
    _, v2 = compose.save(session, owner.id, ws.id, uuid.UUID(post_id), "Base 2",
                         {str(bsky.id): "Sky only"}, v1)
    session.commit()
    assert v2 != v1
    with pytest.raises(Conflict, match="another tab"):
        compose.save(session, owner.id, ws.id, uuid.UUID(post_id), "stale", {str(bsky.id): None}, v1)
    session.rollback()
    rows = session.exec(select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))).all()
    assert [(r.channel_id, r.body) for r in rows] == [(bsky.id, "Sky only")]


def test_save_refuses_huge_text_naming_the_field(session, studio):
    owner, ws, bsky, _ = studio
    with pytest.raises(ValidationFailed) as exc:
        compose.save(session, owner.id, ws.id, None, "z" * 100_000, {str(bsky.id): None}, "")
    assert exc.value.field == "body"


def test_viewer_cannot_save(session, studio):
    _, ws, bsky, _ = studio
    viewer = make_user(session)
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    session.commit()
    with pytest.raises(PermissionDenied):
        compose.save(session, viewer.id, ws.id, None, "Hi", {str(bsky.id): None}, "")


def test_parse_local_names_the_schedule_field():
    assert compose.parse_local("2030-05-04", "10:30").hour == 10
    with pytest.raises(ValidationFailed) as exc:
        compose.parse_local("", "10:30")
    assert exc.value.field == "scheduled_at"


def test_shorten_links_adds_utm_and_names_a_missing_link(session, studio):
    from models import Link

    owner, ws, _, _ = studio
    out = compose.shorten_links(session, owner.id, ws.id, "Read https://example.com/a?x=1 now",
                                "bluesky", "social", "")
    assert "https://example.com" not in out and "/l/" in out
    link = session.exec(select(Link).where(Link.workspace_id == ws.id)).one()
    assert "utm_source=bluesky" in link.destination and "utm_campaign" not in link.destination
    with pytest.raises(ValidationFailed) as exc:
        compose.shorten_links(session, owner.id, ws.id, "no links here", "", "", "")
    assert exc.value.field == "links"


def test_snippet_choices_and_assist_reason(session, studio):
    from app.services.planning import snippets

    owner, ws, _, _ = studio
    snippets.save(session, owner.id, ws.id, "hashtags", "Launch", "#launch #quillcast")
    assert compose.snippet_choices(session, owner.id, ws.id)[0]["body"] == "#launch #quillcast"
    assert "AI_BASE_URL" in compose.assist_unavailable_reason()


def test_split_thread_uses_the_strictest_thread_network():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    parts, limit, name = compose.split_thread(text, [("matrix", None), ("bluesky", None)])
    assert name == "Bluesky" and limit == 300 and len(parts) > 1
    assert all(compose_checks.count_for("bluesky", p) <= 300 for p in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")
    with pytest.raises(ValidationFailed) as exc:
        compose.split_thread(text, [("linkedin", None)])
    assert exc.value.field == "thread"


def test_a_post_from_an_idea_starts_with_its_text_and_uses_it(session, studio):
    from app.services.planning import ideas
    from models import Idea

    owner, ws, bsky, _ = studio
    idea = ideas.add(session, owner.id, ws.id, "Behind the scenes", "Show the <b>studio</b> desk")
    session.commit()
    text = compose.idea_text(session, owner.id, ws.id, idea.id)
    assert text == "Behind the scenes\n\nShow the <b>studio</b> desk"
    post_id, _ = compose.save(session, owner.id, ws.id, None, text, {str(bsky.id): None}, "", idea_id=idea.id)
    session.commit()
    used = session.get(Idea, idea.id)
    assert used is not None and used.status == "used" and str(used.post_id) == post_id
    other = make_workspace(session, owner=owner)
    with pytest.raises(NotFound):
        compose.idea_text(session, owner.id, other.id, idea.id)

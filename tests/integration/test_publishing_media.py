"""Images attached to a post reach the network: the engine loads the target's media assets, fits them to
the connector's limits and hands them over with the alt text saved on the post (through the real HTTP
sink of tests/sink.py, not a mock)."""

import base64
import io
import os
import uuid

import pytest
from PIL import Image
from sqlmodel import select

from app.core import breaker
from app.services.delivery import publishing
from app.services.errors import ValidationFailed
from app.services.planning import compose, compose_checks, media
from models import PostTarget
from tests import sink as sink_module
from tests.engine_support import queued_target, reload, sink_channel
from tests.factories import make_user, make_workspace
from tests.sink import Sink


def png(size: tuple[int, int] = (40, 30), colour: str = "teal") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def sink():
    s = Sink().start()
    publishing.set_connector_resolver(sink_module.connector_for)
    yield s
    publishing.set_connector_resolver(None)
    s.stop()


@pytest.fixture(autouse=True)
def _fresh(sink, app_env):
    sink.state.reset()
    breaker.reset("bluesky")


def test_the_connector_receives_the_image_bytes_and_the_alt_text(session, sink):
    user, ws, ch, _ = sink_channel(session, sink)
    data = png()
    asset = media.store_upload(session, user_id=user.id, workspace_id=ws.id, filename="cat.png", data=data)
    t = queued_target(session, ch, author=user, body="With a picture")
    t.options = {"media": [{"id": str(asset.id), "alt": "A teal square"}]}
    session.add(t)
    session.commit()

    assert publishing.publish_target(t.id) == "published"

    [received] = sink.state.media[t.idempotency_key]
    assert base64.b64decode(received["data"]) == data
    assert (received["content_type"], received["alt"]) == ("image/png", "A teal square")


def test_a_too_large_image_is_reencoded_within_the_network_limit(session, sink):
    user, ws, ch, _ = sink_channel(session, sink)
    noisy = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    buf = io.BytesIO()
    noisy.save(buf, "PNG")
    assert buf.tell() > 1_000_000  # above the sink's (Bluesky's) 1,000,000 bytes
    asset = media.store_upload(session, user_id=user.id, workspace_id=ws.id, filename="big.png",
                               data=buf.getvalue())
    t = queued_target(session, ch, author=user)
    t.options = {"media": [{"id": str(asset.id), "alt": ""}]}
    session.add(t)
    session.commit()

    assert publishing.publish_target(t.id) == "published"
    [received] = sink.state.media[t.idempotency_key]
    assert received["content_type"] == "image/jpeg" and received["size"] <= 1_000_000


def test_posts_without_media_send_none(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    assert publishing.publish_target(t.id) == "published"
    assert t.idempotency_key not in sink.state.media


def test_an_image_of_another_workspace_fails_the_target_without_sending_it(session, sink):
    user, ws, ch, _ = sink_channel(session, sink)
    stranger = make_user(session)
    other_ws = make_workspace(session, owner=stranger)
    foreign = media.store_upload(session, user_id=stranger.id, workspace_id=other_ws.id, filename="x.png",
                                 data=png(colour="red"))
    t = queued_target(session, ch, author=user)
    t.options = {"media": [{"id": str(foreign.id), "alt": ""}]}
    session.add(t)
    session.commit()

    assert publishing.publish_target(t.id) == "failed"
    # Said as ours, not as the network's refusal: the network never saw the post.
    assert reload(session, t).last_error.startswith("Not sent to bluesky: 1 attached image(s) no longer exist")
    assert sink.state.requests == 0


def test_compose_save_keeps_the_media_list_on_every_target_and_load_returns_it(session, sink):
    user, ws, ch, _ = sink_channel(session, sink)
    asset = media.store_upload(session, user_id=user.id, workspace_id=ws.id, filename="cat.png", data=png())
    post_id, _ = compose.save(session, user.id, ws.id, None, "Hello", {str(ch.id): None}, "",
                              media=[{"id": str(asset.id), "alt": "A teal square"}])
    loaded = compose.load(session, user.id, ws.id, uuid.UUID(post_id))
    assert loaded["media"] == [{"id": str(asset.id), "alt": "A teal square", "filename": "cat.png"}]
    session.expire_all()
    [target] = session.exec(select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))).all()
    assert target.options["media"] == [{"id": str(asset.id), "alt": "A teal square"}]


def test_save_refuses_images_of_another_workspace_and_too_many_naming_the_network(session, sink):
    user, ws, ch, _ = sink_channel(session, sink)
    stranger = make_user(session)
    other_ws = make_workspace(session, owner=stranger)
    foreign = media.store_upload(session, user_id=stranger.id, workspace_id=other_ws.id, filename="x.png",
                                 data=png(colour="red"))
    with pytest.raises(ValidationFailed) as exc:
        compose.save(session, user.id, ws.id, None, "Hello", {str(ch.id): None}, "",
                     media=[{"id": str(foreign.id), "alt": ""}])
    assert exc.value.field == "targets[0].media" and "not one of this workspace" in str(exc.value)

    own = [media.store_upload(session, user_id=user.id, workspace_id=ws.id, filename=f"{c}.png",
                              data=png(colour=c)) for c in ("red", "green", "blue", "black", "white")]
    with pytest.raises(ValidationFailed) as exc:
        compose.save(session, user.id, ws.id, None, "Hello", {str(ch.id): None}, "",
                     media=[{"id": str(a.id), "alt": ""} for a in own])
    assert "Bluesky allows 4 image(s) per post; this post has 5" in str(exc.value)

    with pytest.raises(ValidationFailed) as exc:
        compose.save(session, user.id, ws.id, None, "Hello", {str(ch.id): None}, "",
                     media=[{"id": str(own[0].id), "alt": "x" * 2001}])
    assert exc.value.field == "targets[0].media[0].alt" and "Bluesky allows 2,000 characters of alt text" in str(
        exc.value)


def test_attach_image_names_the_file_and_the_rule_and_gives_a_thumbnail(session, sink):
    user, ws, _, _ = sink_channel(session, sink)
    with pytest.raises(ValidationFailed) as exc:
        compose.attach_image(session, user.id, ws.id, "notes.png", b"plain text, not an image\n" * 4)
    assert exc.value.field == "media"
    assert str(exc.value).startswith("notes.png: this file is not a JPEG, PNG, WebP or GIF image")
    with pytest.raises(ValidationFailed) as exc:
        compose.attach_image(session, user.id, ws.id, "broken.png", png()[:60])
    assert str(exc.value).startswith("broken.png: the image is damaged")

    card = compose.attach_image(session, user.id, ws.id, "cat.png", png((1000, 500)))
    assert card["filename"] == "cat.png" and card["thumb"].startswith("data:image/jpeg;base64,")
    thumb = Image.open(io.BytesIO(base64.b64decode(card["thumb"].split(",", 1)[1])))
    assert max(thumb.size) == media.THUMB_SIDE
    again = compose.attach_image(session, user.id, ws.id, "cat-again.png", png((1000, 500)))
    assert again["id"] == card["id"]  # the same bytes twice (a double drop) are one asset


def test_a_thumbnail_of_another_workspace_is_refused(session, sink):
    user, ws, _, _ = sink_channel(session, sink)
    stranger = make_user(session)
    other_ws = make_workspace(session, owner=stranger)
    foreign = media.store_upload(session, user_id=stranger.id, workspace_id=other_ws.id, filename="x.png",
                                 data=png(colour="red"))
    with pytest.raises(ValidationFailed):
        media.thumbnail(session, user_id=user.id, workspace_id=ws.id, asset_id=foreign.id)


def test_the_live_check_names_the_network_and_its_image_limit():
    assert compose_checks.media_problems("bluesky", None, 4) == []
    assert compose_checks.media_problems("bluesky", None, 6) == [
        "Bluesky allows 4 image(s) per post; this post has 6 — remove 2"]


def test_a_file_over_50_mb_is_refused_naming_the_file_and_the_limit(session, sink):
    user, ws, _, _ = sink_channel(session, sink)
    with pytest.raises(ValidationFailed) as exc:
        compose.attach_image(session, user.id, ws.id, "huge.png", b"\x89PNG" + b"\0" * media.MAX_UPLOAD_BYTES)
    assert str(exc.value).startswith("huge.png: the file has 52,428,804 bytes; upload at most 52,428,800")

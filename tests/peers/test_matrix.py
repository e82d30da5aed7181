"""The Matrix connector against a real Synapse homeserver: messages are read back from the room."""

from __future__ import annotations

import secrets

import httpx
import pytest

from app.connectors.base import AuthError, MediaItem, Presence, PublishRequest
from app.connectors.matrix import MatrixConnector
from tests.peers.images import make_png

pytestmark = pytest.mark.peers


@pytest.fixture()
def user(synapse):
    return synapse.register()


@pytest.fixture()
def room(synapse, user):
    return synapse.create_room(user)


@pytest.fixture()
def connector(synapse, user, room):
    return MatrixConnector({"homeserver": synapse.url, "access_token": user.access_token}, {"room_id": room})


def key() -> str:
    return secrets.token_hex(16)


def test_verify_joins_the_room_and_names_the_user(synapse, user, room):
    other = synapse.register()
    c = MatrixConnector({"homeserver": synapse.url, "access_token": other.access_token}, {"room_id": room})
    verified = c.verify()
    assert verified.account == room
    assert verified.settings["user_id"] == other.user_id


def test_login_with_user_and_password_keeps_the_token_not_the_password(synapse, user, room):
    c = MatrixConnector(
        {"homeserver": synapse.url, "user": user.user_id, "password": user.password}, {"room_id": room}
    )
    c.verify()
    creds = c.refresh_credentials()
    assert creds is not None and creds["access_token"] and "password" not in creds


def test_text_message_lands_in_the_room(synapse, user, room, connector):
    text = "Hello Matrix 👋 مرحبا <b>not html</b>"
    result = connector.publish(PublishRequest(idempotency_key=key(), text=text))
    messages = synapse.messages(user, room)
    assert [m["content"]["body"] for m in messages] == [text]
    assert messages[0]["event_id"] == result.remote_id
    assert messages[0]["content"]["msgtype"] == "m.text"


def test_same_key_twice_posts_once(synapse, user, room, connector):
    k = key()
    first = connector.publish(PublishRequest(idempotency_key=k, text="only once"))
    again = connector.publish(PublishRequest(idempotency_key=k, text="only once"))
    assert again.remote_id == first.remote_id
    assert [m["content"]["body"] for m in synapse.messages(user, room)] == ["only once"]


def test_image_is_uploaded_and_sent_as_m_image(synapse, user, room, connector, tmp_path):
    png = make_png(tmp_path / "pic.png", (40, 30))
    media = (
        MediaItem(
            str(png), "image/png", alt_text="A red square", width=40, height=30, size_bytes=png.stat().st_size
        ),
    )
    connector.publish(PublishRequest(idempotency_key=key(), text="with a picture", media=media))
    messages = synapse.messages(user, room)
    assert [m["content"]["msgtype"] for m in messages] == ["m.text", "m.image"]
    image = messages[1]["content"]
    assert image["body"] == "A red square" and image["info"]["w"] == 40
    server, media_id = image["url"].removeprefix("mxc://").split("/", 1)
    blob = httpx.get(
        f"{synapse.url}/_matrix/client/v1/media/download/{server}/{media_id}",
        headers={"Authorization": f"Bearer {user.access_token}"},
    )
    assert blob.status_code == 200 and blob.content == png.read_bytes()


def test_thread_parts_are_sent_in_the_root_messages_thread(synapse, user, room, connector):
    result = connector.publish(PublishRequest(idempotency_key=key(), text="root", thread=("two", "three")))
    messages = synapse.messages(user, room)
    assert [m["content"]["body"] for m in messages] == ["root", "two", "three"]
    assert all(m["content"]["m.relates_to"]["event_id"] == result.remote_id for m in messages[1:])


def test_lookup_finds_an_earlier_attempt_even_with_a_new_token(synapse, user, room, connector):
    k = key()
    assert connector.lookup(k).presence is Presence.ABSENT
    result = connector.publish(PublishRequest(idempotency_key=k, text="find me", thread=("and me",)))
    # After a re-login the homeserver no longer deduplicates by txnId; lookup must still see the post.
    fresh = MatrixConnector(
        {"homeserver": synapse.url, "user": user.user_id, "password": user.password}, {"room_id": room}
    )
    found = fresh.lookup(k)
    assert found.presence is Presence.EXISTS and found.remote_id == result.remote_id


def test_revoked_token_is_an_auth_error(synapse, user, room, connector):
    httpx.post(
        f"{synapse.url}/_matrix/client/v3/logout", headers={"Authorization": f"Bearer {user.access_token}"}
    ).raise_for_status()
    with pytest.raises(AuthError) as err:
        connector.publish(PublishRequest(idempotency_key=key(), text="too late"))
    assert "M_UNKNOWN_TOKEN" in err.value.message and "re-connect" in err.value.message

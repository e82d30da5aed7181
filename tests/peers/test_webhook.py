"""The generic webhook connector posting to a real HTTP server that verifies the HMAC signature."""

from __future__ import annotations

import pytest

from app.connectors.base import AuthError, MediaItem, PublishRequest
from app.connectors.webhook import WebhookConnector
from tests.peers.images import make_png
from tests.peers.receiver import WebhookReceiver

SECRET = "a-very-secret-signing-key-123"


@pytest.fixture()
def receiver():
    r = WebhookReceiver(SECRET).start()
    yield r
    r.stop()


def test_post_is_delivered_signed_with_its_idempotency_key_and_image(receiver, tmp_path):
    png = make_png(tmp_path / "p.png")
    c = WebhookConnector({"url": receiver.url, "secret": SECRET})
    media = (MediaItem(str(png), "image/png", alt_text="red", width=64, height=48, size_bytes=1),)
    result = c.publish(PublishRequest(idempotency_key="k-9", text="héllo 👋", thread=("two",), media=media))

    [got] = receiver.received
    assert got.signature_ok
    assert got.headers["Idempotency-Key"] == "k-9"
    assert got.json["text"] == "héllo 👋" and got.json["thread"] == ["two"]
    assert got.json["media"][0]["alt_text"] == "red"
    import base64

    assert base64.b64decode(got.json["media"][0]["data_base64"]) == png.read_bytes()
    assert result.remote_id == "r1" and result.url == "https://example.org/p"


def test_a_receiver_that_does_not_know_the_secret_refuses_and_it_is_an_auth_error(receiver):
    c = WebhookConnector({"url": receiver.url, "secret": "another-secret-of-enough-length"})
    with pytest.raises(AuthError):
        c.publish(PublishRequest(idempotency_key="k", text="hi"))
    assert receiver.received and not receiver.received[0].signature_ok


def test_verify_sends_a_signed_ping(receiver):
    v = WebhookConnector({"url": receiver.url, "secret": SECRET}).verify()
    assert v.account == receiver.url.split("/")[2]
    assert receiver.received[0].json["type"] == "ping" and receiver.received[0].signature_ok


def test_short_secret_is_refused():
    with pytest.raises(AuthError) as err:
        WebhookConnector({"url": "https://example.org/h", "secret": "short"})
    assert "16 characters" in err.value.message

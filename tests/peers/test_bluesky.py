"""The Bluesky connector against the real PDS: every post is read back with com.atproto.repo.*."""

from __future__ import annotations

import secrets

import pytest

from app.connectors.base import AuthError, MediaItem, PermanentError, Presence, PublishRequest
from app.connectors.bluesky import BlueskyConnector
from app.connectors.bluesky_records import tid_for
from tests.peers.images import make_jpeg, make_png

pytestmark = pytest.mark.peers


@pytest.fixture()
def account(bluesky_pds):
    return bluesky_pds.create_account()


@pytest.fixture()
def connector(bluesky_pds, account):
    return BlueskyConnector(
        {"service": bluesky_pds.url, "identifier": account.handle, "app_password": account.app_password}
    )


def key() -> str:
    return secrets.token_hex(16)


def record_of(pds, account, result):
    rkey = result.remote_id.rsplit("/", 1)[1]
    r = pds.get_record(account.did, rkey)
    assert r.status_code == 200, r.text
    return r.json()["value"]


def _facet_text(text: str, facet: dict) -> str:
    raw = text.encode("utf-8")
    return raw[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")


def test_verify_makes_a_session_with_the_app_password(connector, account):
    verified = connector.verify()
    assert verified.account == account.handle
    assert verified.credentials["did"] == account.did
    assert verified.credentials["access_jwt"] and verified.credentials["refresh_jwt"]


def test_wrong_app_password_is_an_auth_error(bluesky_pds, account):
    bad = BlueskyConnector(
        {"service": bluesky_pds.url, "identifier": account.handle, "app_password": "nope-nope"}
    )
    with pytest.raises(AuthError) as err:
        bad.verify()
    assert "re-connect" in err.value.message


def test_text_post_is_on_the_pds_with_its_link_mention_and_hashtag_facets(bluesky_pds, account, connector):
    friend = bluesky_pds.create_account()
    # Emoji and accented letters before each facet: offsets must count UTF-8 bytes, not characters.
    text = f"Café ☕🎉 with @{friend.handle} — read https://example.com/a?b=1 now #Quillcast!"
    result = connector.publish(PublishRequest(idempotency_key=key(), text=text))

    value = record_of(bluesky_pds, account, result)
    assert value["text"] == text
    kinds = {f["features"][0]["$type"].rsplit("#", 1)[1]: f for f in value["facets"]}
    assert _facet_text(text, kinds["mention"]) == f"@{friend.handle}"
    assert kinds["mention"]["features"][0]["did"] == friend.did
    assert _facet_text(text, kinds["link"]) == "https://example.com/a?b=1"
    assert kinds["link"]["features"][0]["uri"] == "https://example.com/a?b=1"
    assert _facet_text(text, kinds["tag"]) == "#Quillcast"
    assert kinds["tag"]["features"][0]["tag"] == "Quillcast"
    assert (
        result.url == f"https://bsky.app/profile/{account.handle}/post/{result.remote_id.rsplit('/', 1)[1]}"
    )


def test_mention_of_a_handle_that_does_not_exist_stays_plain_text(bluesky_pds, account, connector):
    text = "hello @nobody-here.test"
    value = record_of(
        bluesky_pds, account, connector.publish(PublishRequest(idempotency_key=key(), text=text))
    )
    assert "facets" not in value


def test_images_with_alt_text_are_uploaded_and_embedded(bluesky_pds, account, connector, tmp_path):
    png = make_png(tmp_path / "a.png", (64, 48))
    jpg = make_jpeg(tmp_path / "b.jpg", (120, 80))
    media = (
        MediaItem(
            str(png), "image/png", alt_text="A red square", width=64, height=48, size_bytes=png.stat().st_size
        ),
        MediaItem(str(jpg), "image/jpeg", alt_text="Ein blaues Rechteck ✨", size_bytes=jpg.stat().st_size),
    )
    result = connector.publish(PublishRequest(idempotency_key=key(), text="two images", media=media))

    value = record_of(bluesky_pds, account, result)
    images = value["embed"]["images"]
    assert [i["alt"] for i in images] == ["A red square", "Ein blaues Rechteck ✨"]
    assert images[0]["aspectRatio"] == {"width": 64, "height": 48}
    assert images[0]["image"]["mimeType"] == "image/png"
    # The blob itself is stored on the PDS, byte for byte.
    cid = images[0]["image"]["ref"]["$link"]
    import httpx

    blob = httpx.get(
        f"{bluesky_pds.url}/xrpc/com.atproto.sync.getBlob", params={"did": account.did, "cid": cid}
    )
    assert blob.status_code == 200 and blob.content == png.read_bytes()


def test_thread_parts_are_replies_to_the_root_and_to_each_other(bluesky_pds, account, connector):
    k = key()
    result = connector.publish(
        PublishRequest(idempotency_key=k, text="1/3 start", thread=("2/3 middle", "3/3 end"))
    )

    uris = result.raw["thread"]
    assert len(uris) == 3
    values = [bluesky_pds.get_record(account.did, u.rsplit("/", 1)[1]).json()["value"] for u in uris]
    assert [v["text"] for v in values] == ["1/3 start", "2/3 middle", "3/3 end"]
    assert "reply" not in values[0]
    assert values[1]["reply"]["root"]["uri"] == uris[0] and values[1]["reply"]["parent"]["uri"] == uris[0]
    assert values[2]["reply"]["root"]["uri"] == uris[0] and values[2]["reply"]["parent"]["uri"] == uris[1]


def test_publishing_the_same_key_twice_leaves_exactly_one_record(bluesky_pds, account, connector):
    k = key()
    first = connector.publish(PublishRequest(idempotency_key=k, text="only once"))
    # A retry after a crash: a fresh connector (new session), same target key.
    again = BlueskyConnector(
        {"service": bluesky_pds.url, "identifier": account.handle, "app_password": account.app_password}
    ).publish(PublishRequest(idempotency_key=k, text="only once"))

    assert again.remote_id == first.remote_id
    assert again.raw["already_existed"] is True
    texts = [r["value"]["text"] for r in bluesky_pds.list_records(account.did)]
    assert texts.count("only once") == 1


def test_an_interrupted_thread_is_completed_without_duplicating_its_first_part(
    bluesky_pds, account, connector
):
    k = key()
    connector.publish(PublishRequest(idempotency_key=k, text="root only landed"))  # the crash came here
    connector.publish(PublishRequest(idempotency_key=k, text="root only landed", thread=("the reply",)))
    texts = [r["value"]["text"] for r in bluesky_pds.list_records(account.did)]
    assert sorted(texts) == ["root only landed", "the reply"]


def test_lookup_tells_exists_and_absent(connector):
    k = key()
    assert connector.lookup(k).presence is Presence.ABSENT
    result = connector.publish(PublishRequest(idempotency_key=k, text="look me up"))
    found = connector.lookup(k)
    assert found.presence is Presence.EXISTS and found.remote_id == result.remote_id


def test_an_expired_access_token_is_refreshed_and_the_new_credentials_returned(bluesky_pds, account):
    c = BlueskyConnector(
        {"service": bluesky_pds.url, "identifier": account.handle, "app_password": account.app_password}
    )
    creds = c.verify().credentials
    # A stored session whose access token is no longer accepted: the connector must refresh it.
    stale = {**creds, "access_jwt": creds["access_jwt"][:-4] + "AAAA"}
    c2 = BlueskyConnector(stale)
    result = c2.publish(PublishRequest(idempotency_key=key(), text="after refresh"))
    assert result.remote_id.startswith(f"at://{account.did}/")
    new = c2.refresh_credentials()
    assert new is not None and new["access_jwt"] != stale["access_jwt"]
    assert c2.refresh_credentials() is None  # nothing new the second time


def test_text_over_300_graphemes_is_refused_before_anything_is_sent(bluesky_pds, account, connector):
    k = key()
    with pytest.raises(PermanentError) as err:
        connector.publish(PublishRequest(idempotency_key=k, text="é" * 301))
    assert "Bluesky allows 300 characters; this post has 301 — shorten it by 1" in err.value.message
    assert bluesky_pds.get_record(account.did, tid_for(k)).status_code == 400  # nothing was published


def test_the_pds_own_refusal_is_a_permanent_error_with_its_message(connector):
    """A record the PDS refuses (invalid langs) comes back with the network's own words."""
    with pytest.raises(PermanentError) as err:
        connector.publish(
            PublishRequest(idempotency_key=key(), text="hi", options={"langs": ["not a lang!"]})
        )
    assert "Bluesky answered 400" in err.value.message


def test_first_comment_is_posted_as_the_last_reply(bluesky_pds, account, connector):
    result = connector.publish(
        PublishRequest(idempotency_key=key(), text="main", thread=("second",), first_comment="links in here")
    )
    uris = result.raw["thread"]
    last = bluesky_pds.get_record(account.did, uris[-1].rsplit("/", 1)[1]).json()["value"]
    assert last["text"] == "links in here" and last["reply"]["parent"]["uri"] == uris[1]

"""Connectors for networks that cannot run here, tested with respx against the request and response
shapes of each network's official API documentation (Mastodon, X, LinkedIn, Telegram Bot API, Discord
webhooks). A passing test proves we send what the docs ask for and read what the docs say comes back."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import respx

from app.connectors.base import AuthError, MediaItem, PermanentError, Presence, PublishRequest, TransientError
from app.connectors.discord import DiscordConnector
from app.connectors.linkedin import LinkedInConnector
from app.connectors.mastodon import MastodonConnector
from app.connectors.telegram import TelegramConnector
from app.connectors.x import XConnector
from tests.peers.images import make_png

MASTO = "https://mastodon.example"
TG = "https://api.telegram.org/bot123:ABC"
HOOK = "https://discord.com/api/webhooks/111/tok"


def req(text="Hello", **kw):
    return PublishRequest(idempotency_key="key-1", text=text, **kw)


# --- Mastodon -------------------------------------------------------------------------------------
@respx.mock
def test_mastodon_verify_reads_the_instance_limits():
    """Documented shapes (docs.joinmastodon.org): verify_credentials Account, /api/v1/instance
    configuration."""
    respx.get(f"{MASTO}/api/v1/accounts/verify_credentials").respond(200, json={"id": "1", "acct": "ada"})
    respx.get(f"{MASTO}/api/v1/instance").respond(
        200,
        json={
            "configuration": {
                "statuses": {"max_characters": 5000, "max_media_attachments": 6},
                "media_attachments": {
                    "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                    "image_size_limit": 10485760,
                    "video_size_limit": 41943040,
                },
            }
        },
    )
    c = MastodonConnector({"instance": MASTO, "access_token": "t"})
    v = c.verify()
    assert v.account == "@ada@mastodon.example"
    assert v.settings["limits"]["max_chars"] == 5000
    assert c.limits().max_chars == 5000 and c.limits().max_media == 6
    assert c.limits().image_types == ("image/jpeg", "image/png")


@respx.mock
def test_mastodon_status_carries_the_idempotency_key_and_media_ids(tmp_path):
    """Documented shapes: POST /api/v2/media (202 then GET /api/v1/media/:id), POST /api/v1/statuses
    with the Idempotency-Key header; threads reply with in_reply_to_id."""
    png = make_png(tmp_path / "a.png")
    respx.post(f"{MASTO}/api/v2/media").respond(202, json={"id": "m1", "type": "image", "url": None})
    respx.get(f"{MASTO}/api/v1/media/m1").respond(200, json={"id": "m1", "url": f"{MASTO}/m1.png"})
    statuses = respx.post(f"{MASTO}/api/v1/statuses").mock(
        side_effect=[
            httpx.Response(200, json={"id": "100", "url": f"{MASTO}/@ada/100"}),
            httpx.Response(200, json={"id": "101", "url": f"{MASTO}/@ada/101"}),
        ]
    )
    c = MastodonConnector({"instance": MASTO, "access_token": "t"})
    media = (MediaItem(str(png), "image/png", alt_text="red", size_bytes=png.stat().st_size),)
    result = c.publish(req("root", media=media, thread=("reply",)))

    assert (result.remote_id, result.url) == ("100", f"{MASTO}/@ada/100")
    first, second = (json.loads(call.request.content) for call in statuses.calls)
    assert statuses.calls[0].request.headers["Idempotency-Key"] == "key-1"
    assert statuses.calls[1].request.headers["Idempotency-Key"] == "key-1#1"
    assert first["media_ids"] == ["m1"] and first["status"] == "root"
    assert second["in_reply_to_id"] == "100"
    assert statuses.calls[0].request.headers["Authorization"] == "Bearer t"


@respx.mock
def test_mastodon_errors_map_to_transient_permanent_and_auth():
    """Documented shapes: 422 {"error": "Validation failed: ..."}, 429 with Retry-After, 401 invalid token."""
    route = respx.post(f"{MASTO}/api/v1/statuses")
    c = MastodonConnector({"instance": MASTO, "access_token": "t"})
    route.respond(422, json={"error": "Validation failed: Text character limit of 500 exceeded"})
    with pytest.raises(PermanentError) as err:
        c.publish(req())
    assert "Text character limit of 500 exceeded" in err.value.message and not isinstance(
        err.value, AuthError
    )
    route.respond(429, json={"error": "Too many requests"}, headers={"Retry-After": "120"})
    with pytest.raises(TransientError) as terr:
        c.publish(req())
    assert terr.value.retry_after == 120
    route.respond(401, json={"error": "The access token is invalid"})
    with pytest.raises(AuthError):
        c.publish(req())
    route.respond(503, text="down")
    with pytest.raises(TransientError):
        c.publish(req())
    route.mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientError):
        c.publish(req())
    assert c.lookup("key-1").presence is Presence.UNKNOWN


# --- X --------------------------------------------------------------------------------------------
@respx.mock
def test_x_refreshes_an_expiring_token_then_posts():
    """Documented shapes (docs.x.com): POST /2/oauth2/token grant_type=refresh_token, POST /2/tweets ->
    201 {"data": {"id", "text"}}."""
    token = respx.post("https://api.x.com/2/oauth2/token").respond(
        200,
        json={
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "new-at",
            "refresh_token": "new-rt",
            "scope": "tweet.write users.read tweet.read offline.access",
        },
    )
    tweets = respx.post("https://api.x.com/2/tweets").respond(
        201, json={"data": {"id": "1850", "text": "hi"}}
    )
    c = XConnector(
        {"access_token": "old", "refresh_token": "rt", "expires_at": time.time() + 10, "client_id": "cid"}
    )
    result = c.publish(req("hi"))
    assert result.remote_id == "1850" and result.url == "https://x.com/i/web/status/1850"
    form = dict(x.split("=") for x in token.calls[0].request.content.decode().split("&"))
    assert form == {"grant_type": "refresh_token", "refresh_token": "rt", "client_id": "cid"}
    assert tweets.calls[0].request.headers["Authorization"] == "Bearer new-at"
    new = c.refresh_credentials()
    assert new is not None and new["refresh_token"] == "new-rt"


@respx.mock
def test_x_thread_replies_and_rate_limit_reset():
    """Documented shapes: reply.in_reply_to_tweet_id; 429 with x-rate-limit-reset (epoch seconds)."""
    tweets = respx.post("https://api.x.com/2/tweets").mock(
        side_effect=[
            httpx.Response(201, json={"data": {"id": "1", "text": "a"}}),
            httpx.Response(201, json={"data": {"id": "2", "text": "b"}}),
        ]
    )
    c = XConnector({"access_token": "at", "expires_at": time.time() + 3600})
    c.publish(req("a", thread=("b",)))
    assert json.loads(tweets.calls[1].request.content)["reply"] == {"in_reply_to_tweet_id": "1"}
    reset = int(time.time()) + 60
    respx.post("https://api.x.com/2/tweets").respond(
        429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(reset)},
    )
    with pytest.raises(TransientError) as err:
        c.publish(req("again"))
    assert 50 <= (err.value.retry_after or 0) <= 61


@respx.mock
def test_x_duplicate_content_is_permanent_with_xs_message_and_bad_refresh_is_auth():
    """Documented shapes: 403 problem {"detail": "You are not allowed to create a Tweet with duplicate
    content."}; token endpoint 400 {"error": "invalid_request"} for a revoked refresh token."""
    respx.post("https://api.x.com/2/tweets").respond(
        403,
        json={
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    )
    c = XConnector({"access_token": "at", "expires_at": time.time() + 3600})
    with pytest.raises(PermanentError) as err:
        c.publish(req("dup"))
    assert "duplicate content" in err.value.message
    respx.post("https://api.x.com/2/oauth2/token").respond(
        400, json={"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
    )
    expired = XConnector({"access_token": "at", "refresh_token": "bad", "expires_at": 1, "client_id": "c"})
    with pytest.raises(AuthError):
        expired.publish(req("x"))


# --- LinkedIn -------------------------------------------------------------------------------------
@respx.mock
def test_linkedin_post_sends_version_headers_and_reads_the_restli_id(tmp_path):
    """Documented shapes (learn.microsoft.com LinkedIn Posts API): POST /rest/posts with LinkedIn-Version
    and X-Restli-Protocol-Version: 2.0.0, 201 with x-restli-id; images via
    /rest/images?action=initializeUpload."""
    png = make_png(tmp_path / "a.png")
    respx.post("https://api.linkedin.com/rest/images", params={"action": "initializeUpload"}).respond(
        200,
        json={
            "value": {
                "uploadUrlExpiresAt": 1650567510704,
                "uploadUrl": "https://www.linkedin.com/dms-uploads/xyz",
                "image": "urn:li:image:C4E10AQFoyyAjHPMQuQ",
            }
        },
    )
    upload = respx.put("https://www.linkedin.com/dms-uploads/xyz").respond(201)
    posts = respx.post("https://api.linkedin.com/rest/posts").respond(
        201, headers={"x-restli-id": "urn:li:share:6844785523593134080"}
    )
    c = LinkedInConnector({"access_token": "t", "author_urn": "urn:li:person:abc"}, version="202609")
    media = (MediaItem(str(png), "image/png", alt_text="red", size_bytes=png.stat().st_size),)
    result = c.publish(req("Launch (today) #news", media=media))

    assert result.remote_id == "urn:li:share:6844785523593134080"
    assert result.url == "https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/"
    sent = posts.calls[0].request
    assert sent.headers["LinkedIn-Version"] == "202609"
    assert sent.headers["X-Restli-Protocol-Version"] == "2.0.0"
    body = json.loads(sent.content)
    assert body["author"] == "urn:li:person:abc" and body["lifecycleState"] == "PUBLISHED"
    assert body["commentary"] == r"Launch \(today\) \#news"
    assert body["content"] == {"media": {"id": "urn:li:image:C4E10AQFoyyAjHPMQuQ", "altText": "red"}}
    assert upload.calls[0].request.content == png.read_bytes()


@respx.mock
def test_linkedin_sunset_version_and_validation_errors():
    """Documented shapes: 426 when the version header is sunset; 422 {"message": ...} on bad input."""
    route = respx.post("https://api.linkedin.com/rest/posts")
    c = LinkedInConnector({"access_token": "t", "author_urn": "urn:li:person:abc"}, version="202401")
    route.respond(426, json={"message": "Requested version 20240101 is not active", "status": 426})
    with pytest.raises(PermanentError) as err:
        c.publish(req())
    assert "LINKEDIN_API_VERSION" in err.value.message
    assert c.alerts() and "was sunset" in c.alerts()[0]
    route.respond(422, json={"message": "ERROR :: /commentary :: is too long", "status": 422})
    with pytest.raises(PermanentError) as err:
        c.publish(req())
    assert "/commentary :: is too long" in err.value.message


# --- Telegram -------------------------------------------------------------------------------------
@respx.mock
def test_telegram_send_message_and_photo_caption(tmp_path):
    """Documented shapes (core.telegram.org/bots/api): sendMessage / sendPhoto -> {"ok": true,
    "result": Message}; replies use reply_parameters.message_id."""
    png = make_png(tmp_path / "a.png")
    msg = respx.post(f"{TG}/sendMessage").mock(
        side_effect=[
            httpx.Response(
                200, json={"ok": True, "result": {"message_id": 7, "chat": {"id": -100, "username": "news"}}}
            ),
            httpx.Response(200, json={"ok": True, "result": {"message_id": 8, "chat": {"id": -100}}}),
        ]
    )
    c = TelegramConnector({"bot_token": "123:ABC", "chat_id": "@news"})
    result = c.publish(req("hello", thread=("more",)))
    assert (result.remote_id, result.url) == ("7", "https://t.me/news/7")
    assert json.loads(msg.calls[1].request.content)["reply_parameters"] == {"message_id": 7}
    photo = respx.post(f"{TG}/sendPhoto").respond(
        200, json={"ok": True, "result": {"message_id": 9, "chat": {"id": -100, "username": "news"}}}
    )
    c.publish(req("caption", media=(MediaItem(str(png), "image/png", size_bytes=png.stat().st_size),)))
    sent = photo.calls[0].request.content
    assert b'name="caption"' in sent and b"caption" in sent and png.read_bytes() in sent


@respx.mock
def test_telegram_errors_retry_after_and_kicked_bot():
    """Documented shapes: 429 {"parameters": {"retry_after": N}}; 403 "bot was kicked"; 400 description."""
    route = respx.post(f"{TG}/sendMessage")
    c = TelegramConnector({"bot_token": "123:ABC", "chat_id": "@news"})
    route.respond(
        429,
        json={
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 17",
            "parameters": {"retry_after": 17},
        },
    )
    with pytest.raises(TransientError) as terr:
        c.publish(req())
    assert terr.value.retry_after == 17
    route.respond(
        403,
        json={
            "ok": False,
            "error_code": 403,
            "description": "Forbidden: bot was kicked from the channel chat",
        },
    )
    with pytest.raises(AuthError) as aerr:
        c.publish(req())
    assert "bot was kicked" in aerr.value.message
    route.respond(400, json={"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    with pytest.raises(PermanentError) as perr:
        c.publish(req())
    assert "chat not found" in perr.value.message


# --- Discord --------------------------------------------------------------------------------------
@respx.mock
def test_discord_webhook_waits_for_the_message_id(tmp_path):
    """Documented shapes (discord.com/developers Execute Webhook): ?wait=true returns the Message;
    files as multipart with payload_json and files[n]."""
    respx.get(HOOK).respond(
        200, json={"id": "111", "name": "Announcements", "channel_id": "22", "guild_id": "33"}
    )
    execute = respx.post(HOOK, params={"wait": "true"}).respond(200, json={"id": "999", "channel_id": "22"})
    c = DiscordConnector({"webhook_url": HOOK})
    v = c.verify()
    assert v.account == "Announcements"
    result = DiscordConnector({"webhook_url": HOOK}, v.settings).publish(req("hi @everyone"))
    assert result.remote_id == "999" and result.url == "https://discord.com/channels/33/22/999"
    body = json.loads(execute.calls[0].request.content)
    assert body["content"] == "hi @everyone" and body["allowed_mentions"] == {"parse": []}
    png = make_png(tmp_path / "a.png")
    c.publish(req("pic", media=(MediaItem(str(png), "image/png", alt_text="red", size_bytes=10),)))
    sent = execute.calls[1].request.content
    assert b'name="payload_json"' in sent and b'name="files[0]"' in sent and b'"description": "red"' in sent


@respx.mock
def test_discord_rate_limit_and_deleted_webhook():
    """Documented shapes: 429 {"retry_after": 1.5, "global": false}; 404 {"code": 10015, "message":
    "Unknown Webhook"}."""
    route = respx.post(HOOK, params={"wait": "true"})
    c = DiscordConnector({"webhook_url": HOOK})
    route.respond(429, json={"message": "You are being rate limited.", "retry_after": 1.5, "global": False})
    with pytest.raises(TransientError) as terr:
        c.publish(req())
    assert terr.value.retry_after == 1.5
    route.respond(404, json={"message": "Unknown Webhook", "code": 10015})
    with pytest.raises(AuthError):
        c.publish(req())
    with pytest.raises(PermanentError):
        c.publish(req("x" * 2001))  # refused before sending: Discord allows 2000


# --- Bluesky (what the local PDS cannot show: the AppView and the rate limiter) -------------------
@respx.mock
def test_bluesky_metrics_and_rate_limit_headers():
    """Documented shapes (docs.bsky.app): app.bsky.feed.getPosts -> posts[].likeCount/repostCount/...;
    429 {"error": "RateLimitExceeded"} with ratelimit-reset (epoch seconds). The local PDS has no
    AppView and its limiter is off, so these two are tested against the documentation."""
    from app.connectors.bluesky import BlueskyConnector

    pds = "https://pds.example"
    creds = {
        "service": pds,
        "identifier": "ada.example",
        "app_password": "x",
        "access_jwt": "a.b.c",
        "refresh_jwt": "r",
        "did": "did:plc:ada",
        "handle": "ada.example",
    }
    respx.get(f"{pds}/xrpc/app.bsky.feed.getPosts").respond(
        200,
        json={
            "posts": [
                {
                    "uri": "at://did:plc:ada/app.bsky.feed.post/3k",
                    "cid": "bafy",
                    "likeCount": 7,
                    "repostCount": 2,
                    "replyCount": 1,
                    "quoteCount": 0,
                }
            ]
        },
    )
    c = BlueskyConnector(creds)
    m = c.fetch_metrics("at://did:plc:ada/app.bsky.feed.post/3k")
    assert m is not None and (m.likes, m.reposts, m.replies, m.quotes, m.impressions) == (7, 2, 1, 0, None)

    reset = int(time.time()) + 30
    respx.post(f"{pds}/xrpc/com.atproto.repo.createRecord").respond(
        429,
        json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)},
    )
    respx.get(f"{pds}/xrpc/com.atproto.repo.getRecord").respond(400, json={"error": "RecordNotFound"})
    with pytest.raises(TransientError) as err:
        c.publish(req("hi"))
    assert 20 <= (err.value.retry_after or 0) <= 31 and "RateLimitExceeded" in err.value.message


@respx.mock
def test_telegram_verify_requires_the_bot_to_be_a_channel_admin():
    """Documented shapes: getMe -> User, getChat -> Chat{type: "channel"},
    getChatMember -> ChatMember{status}."""
    respx.post(f"{TG}/getMe").respond(
        200, json={"ok": True, "result": {"id": 5, "is_bot": True, "username": "qc_bot"}}
    )
    respx.post(f"{TG}/getChat").respond(
        200, json={"ok": True, "result": {"id": -100, "type": "channel", "title": "News", "username": "news"}}
    )
    member = respx.post(f"{TG}/getChatMember")
    member.respond(200, json={"ok": True, "result": {"status": "member", "user": {"id": 5}}})
    c = TelegramConnector({"bot_token": "123:ABC", "chat_id": "@news"})
    with pytest.raises(PermanentError) as err:
        c.verify()
    assert "@qc_bot is not an administrator" in err.value.message
    member.respond(200, json={"ok": True, "result": {"status": "administrator", "can_post_messages": True}})
    assert c.verify().account == "@news"


@respx.mock
def test_x_and_linkedin_verify_name_the_account():
    """Documented shapes: X GET /2/users/me -> {"data": {"id", "username"}}; LinkedIn GET /v2/userinfo
    (Sign In with LinkedIn using OpenID Connect) -> {"sub", "name"}."""
    respx.get("https://api.x.com/2/users/me").respond(
        200, json={"data": {"id": "42", "name": "Ada", "username": "ada"}}
    )
    v = XConnector({"access_token": "at", "expires_at": time.time() + 3600}).verify()
    assert (v.account, v.settings["user_id"]) == ("@ada", "42")
    respx.get("https://api.linkedin.com/v2/userinfo").respond(200, json={"sub": "782bbtaQ", "name": "Ada L."})
    v = LinkedInConnector({"access_token": "t"}, version="202609").verify()
    assert v.account == "Ada L." and v.credentials["author_urn"] == "urn:li:person:782bbtaQ"
    respx.get("https://api.linkedin.com/v2/userinfo").respond(
        401, json={"message": "Invalid access token", "serviceErrorCode": 65600}
    )
    with pytest.raises(AuthError) as err:
        LinkedInConnector({"access_token": "bad"}, version="202609").verify()
    assert "Invalid access token" in err.value.message


@respx.mock
def test_tokens_in_urls_never_reach_the_logs(caplog):
    """Telegram puts the bot token in the URL and Discord the webhook token: with logging at DEBUG
    for everything else, no log line may contain either (documented URL shapes, respx)."""
    import logging

    caplog.set_level(logging.INFO)
    respx.post(f"{TG}/sendMessage").respond(200, json={"ok": True, "result": {"message_id": 1, "chat": {}}})
    respx.post(HOOK, params={"wait": "true"}).respond(200, json={"id": "1", "channel_id": "2"})
    TelegramConnector({"bot_token": "123:ABC", "chat_id": "@news"}).publish(req("hi"))
    DiscordConnector({"webhook_url": HOOK}).publish(req("hi"))
    assert "123:ABC" not in caplog.text and "/tok" not in caplog.text

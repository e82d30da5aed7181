"""`fetch_metrics` of each connector against the response shapes in the networks' own documentation
(Mastodon, X and Bluesky's AppView cannot run here; the real PDS's refusal is in tests/peers). A passing
test proves we ask what the docs say and read the counts where the docs put them."""

from __future__ import annotations

import time

import pytest
import respx

from app.connectors.base import AuthError, TransientError
from app.connectors.bluesky import BlueskyConnector
from app.connectors.discord import DiscordConnector
from app.connectors.linkedin import LinkedInConnector
from app.connectors.mastodon import MastodonConnector
from app.connectors.registry import ENGAGEMENT_NETWORKS, FACTORIES
from app.connectors.telegram import TelegramConnector
from app.connectors.x import XConnector

MASTO = "https://mastodon.example"
PDS = "https://pds.example"
URI = "at://did:plc:ada/app.bsky.feed.post/3kabc"


def bluesky() -> BlueskyConnector:
    return BlueskyConnector({"service": PDS, "identifier": "ada.example", "app_password": "x",
                             "access_jwt": "a.b.c", "refresh_jwt": "r", "did": "did:plc:ada",
                             "handle": "ada.example"})


def x() -> XConnector:
    return XConnector({"access_token": "a", "refresh_token": "r", "expires_at": time.time() + 3600,
                       "client_id": "c"})


@respx.mock
def test_mastodon_reads_the_status_counts():
    """Documented shape (docs.joinmastodon.org/entities/Status): GET /api/v1/statuses/:id ->
    favourites_count, reblogs_count, replies_count; Mastodon counts neither quotes nor views."""
    route = respx.get(f"{MASTO}/api/v1/statuses/103704874086360371").respond(200, json={
        "id": "103704874086360371", "created_at": "2020-02-22T20:26:54.402Z", "visibility": "public",
        "uri": f"{MASTO}/users/ada/statuses/103704874086360371", "content": "<p>Hello</p>",
        "reblogs_count": 5, "favourites_count": 11, "replies_count": 3})
    m = MastodonConnector({"instance": MASTO, "access_token": "tok"}).fetch_metrics("103704874086360371")
    assert m is not None
    assert (m.likes, m.reposts, m.replies, m.quotes, m.impressions) == (11, 5, 3, None, None)
    assert route.calls.last.request.headers["authorization"] == "Bearer tok"


@respx.mock
def test_mastodon_deleted_status_has_no_counts_but_a_revoked_token_is_an_auth_error():
    """Documented: 404 {"error": "Record not found"}; 401 {"error": "The access token is invalid"}."""
    respx.get(f"{MASTO}/api/v1/statuses/1").respond(404, json={"error": "Record not found"})
    respx.get(f"{MASTO}/api/v1/statuses/2").respond(401, json={"error": "The access token is invalid"})
    c = MastodonConnector({"instance": MASTO, "access_token": "tok"})
    assert c.fetch_metrics("1") is None
    with pytest.raises(AuthError):
        c.fetch_metrics("2")


@respx.mock
def test_x_reads_public_metrics_with_impressions():
    """Documented shape (docs.x.com, GET /2/tweets/:id with tweet.fields=public_metrics):
    data.public_metrics {retweet_count, reply_count, like_count, quote_count, bookmark_count,
    impression_count}."""
    route = respx.get("https://api.x.com/2/tweets/1460323737035677698").respond(200, json={"data": {
        "id": "1460323737035677698", "text": "Hello", "edit_history_tweet_ids": ["1460323737035677698"],
        "public_metrics": {"retweet_count": 8, "reply_count": 2, "like_count": 40, "quote_count": 1,
                           "bookmark_count": 3, "impression_count": 1234}}})
    m = x().fetch_metrics("1460323737035677698")
    assert route.calls.last.request.url.params["tweet.fields"] == "public_metrics"
    assert m is not None and (m.likes, m.reposts, m.replies, m.quotes, m.impressions) == (40, 8, 2, 1, 1234)
    assert m.raw["bookmark_count"] == 3


@respx.mock
def test_x_deleted_post_has_no_counts_and_a_rate_limit_is_transient():
    """Documented: a missing post answers 200 with `errors` [{"title": "Not Found Error", ...}] and no
    `data`; 429 carries x-rate-limit-reset (epoch seconds)."""
    respx.get("https://api.x.com/2/tweets/1").respond(200, json={"errors": [{
        "value": "1", "detail": "Could not find tweet with id: [1].", "title": "Not Found Error",
        "resource_type": "tweet", "parameter": "id", "resource_id": "1",
        "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
    respx.get("https://api.x.com/2/tweets/2").respond(
        429, json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        headers={"x-rate-limit-reset": str(int(time.time()) + 60)})
    c = x()
    assert c.fetch_metrics("1") is None
    with pytest.raises(TransientError) as err:
        c.fetch_metrics("2")
    assert 50 <= (err.value.retry_after or 0) <= 61


@respx.mock
def test_bluesky_reads_the_appview_counts_of_that_post():
    """Documented shape (docs.bsky.app, app.bsky.feed.getPosts -> posts[] of PostView with likeCount,
    repostCount, replyCount, quoteCount). Bluesky counts no views."""
    route = respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(200, json={"posts": [{
        "uri": URI, "cid": "bafyreib", "author": {"did": "did:plc:ada", "handle": "ada.example"},
        "record": {"$type": "app.bsky.feed.post", "text": "Hello", "createdAt": "2026-11-20T10:00:00.000Z"},
        "indexedAt": "2026-11-20T10:00:01.000Z", "likeCount": 9, "repostCount": 4, "replyCount": 2,
        "quoteCount": 1, "labels": []}]})
    m = bluesky().fetch_metrics(URI)
    assert route.calls.last.request.url.params["uris"] == URI
    assert m is not None and (m.likes, m.reposts, m.replies, m.quotes, m.impressions) == (9, 4, 2, 1, None)


@respx.mock
def test_bluesky_without_an_appview_or_post_is_none_and_an_appview_outage_is_transient():
    """The PDS's own answer when no AppView is configured (seen on the real PDS, tests/peers):
    400 {"error": "InvalidRequest", "message": "No service configured for app.bsky.feed.getPosts"};
    a deleted post is missing from `posts`; a 502 from the proxied AppView is worth trying later."""
    route = respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts")
    route.respond(400, json={"error": "InvalidRequest",
                             "message": "No service configured for app.bsky.feed.getPosts"})
    assert bluesky().fetch_metrics(URI) is None
    route.respond(200, json={"posts": []})
    assert bluesky().fetch_metrics(URI) is None
    route.respond(502, json={"error": "UpstreamFailure", "message": "Upstream Failure"})
    with pytest.raises(TransientError):
        bluesky().fetch_metrics(URI)


def test_networks_that_do_not_report_engagement_answer_none_without_a_call():
    with respx.mock(assert_all_called=False) as mock:
        assert LinkedInConnector({"access_token": "t", "author_urn": "urn:li:person:1"}).fetch_metrics(
            "urn:li:share:1") is None
        assert TelegramConnector({"bot_token": "123:ABC", "chat_id": "@c"}).fetch_metrics("5") is None
        discord = DiscordConnector({"webhook_url": "https://discord.com/api/webhooks/1/t"})
        assert discord.fetch_metrics("9") is None
        assert not mock.calls
    # Every network that reports engagement has a connector that reads it.
    assert ENGAGEMENT_NETWORKS <= set(FACTORIES)

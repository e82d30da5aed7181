"""Counting text the way each network counts, record keys, facets, signatures, version sunsets."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest

from app.connectors import registry
from app.connectors.base import MediaItem, PublishRequest
from app.connectors.bluesky_records import S32, find_facets, tid_for
from app.connectors.linkedin import escape_commentary, sunset_of, version_alert
from app.connectors.text import graphemes, mastodon_length, utf8_bytes, utf16_units, x_weighted_length
from app.connectors.webhook import sign, verify_signature
from app.services.channels.channels import validate_content


def test_graphemes_count_what_a_reader_sees():
    assert graphemes("👍🏽") == 1  # emoji + skin tone
    assert graphemes("👨‍👩‍👧‍👦") == 1  # ZWJ family
    assert graphemes("e\u0301") == 1  # e + combining accent
    assert graphemes("🇩🇪") == 1  # flag
    assert utf8_bytes("👨‍👩‍👧‍👦") == 25


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("日本語", 6),  # CJK weighs 2
        ("café", 4),  # Latin-1 weighs 1
        ("😀", 2),  # one emoji is 2
        ("👨‍👩‍👧‍👦", 2),  # a ZWJ sequence is one emoji: 2
        ("see https://example.com/a/very/long/path/that/goes/on/and/on", 4 + 23),  # every URL is 23
        ("http://a.b", 23),
        ("a\u2019b", 3),  # U+2019 is in a weight-1 range
    ],
)
def test_x_weighted_length_follows_twitter_text(text, expected):
    assert x_weighted_length(text) == expected


def test_x_rejects_141_cjk_characters_but_takes_140():
    assert x_weighted_length("字" * 140) == 280
    problems = validate_content("x", "字" * 141)
    assert [p.message for p in problems] == ["X allows 280 characters; this post has 282 — shorten it by 2"]


def test_mastodon_counts_urls_as_23_and_remote_mentions_by_username():
    assert mastodon_length("https://example.com/" + "x" * 100) == 23
    assert mastodon_length("hi @alice@very.long.instance.example") == len("hi @alice")


def test_telegram_counts_utf16_units():
    assert utf16_units("😀") == 2 and utf16_units("é") == 1


def test_tid_is_valid_deterministic_and_distinct():
    a, b = tid_for("target-1"), tid_for("target-2")
    assert a == tid_for("target-1") and a != b
    for t in (a, b, tid_for(""), tid_for("ü" * 500)):
        assert re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", t)
    # The timestamp part lies in the past (2015-2024), never in the future.
    value = 0
    for ch in a:
        value = value * 32 + S32.index(ch)
    micros = value >> 10
    assert 1_420_070_400_000_000 <= micros < time.time() * 1_000_000


def test_facets_use_utf8_byte_offsets():
    text = "🎉 héllo #tag https://x.org @bob.test"
    facets = find_facets(text, lambda handle: "did:plc:bob" if handle == "bob.test" else None)
    raw = text.encode()
    spans = {
        f["features"][0]["$type"].split("#")[1]: raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode()
        for f in facets
    }
    assert spans == {"tag": "#tag", "link": "https://x.org", "mention": "@bob.test"}


def test_hashtag_rules_numbers_and_trailing_punctuation():
    facets = find_facets("#2024 and #ok! and x#no", lambda h: None)
    assert [f["features"][0]["tag"] for f in facets] == ["ok"]


def test_bluesky_limits_graphemes_and_bytes():
    assert validate_content("bluesky", "👍🏽" * 300) == []  # 300 graphemes, 2400 bytes: fine
    [problem] = validate_content("bluesky", "a" * 312)
    assert problem.message == "Bluesky allows 300 characters; this post has 312 — shorten it by 12"
    assert (problem.limit, problem.actual, problem.field) == (300, 312, "text")
    [problem] = validate_content("bluesky", "👨‍👩‍👧‍👦" * 150)  # 150 graphemes but 3750 bytes
    assert "3000 bytes" in problem.message and problem.actual == 3750


def test_media_count_size_type_and_alt_text_problems_name_the_network():
    media = [MediaItem(f"/tmp/{i}.png", "image/png", size_bytes=10) for i in range(5)]
    media[1] = MediaItem("/tmp/big.png", "image/png", size_bytes=1_500_000)
    media[2] = MediaItem("/tmp/a.tiff", "image/tiff", size_bytes=10)
    messages = [p.message for p in validate_content("bluesky", "hi", media)]
    assert "Bluesky allows 4 image(s) per post; this post has 5 — remove 1" in messages
    assert any(
        m.startswith("Bluesky allows files up to 1,000,000 bytes; this one has 1,500,000") for m in messages
    )
    assert any(m.startswith("Bluesky does not accept image/tiff") for m in messages)


def test_telegram_caption_limit_applies_only_with_an_image():
    assert validate_content("telegram", "a" * 2000) == []
    [p] = validate_content("telegram", "a" * 2000, [MediaItem("/tmp/a.jpg", "image/jpeg", size_bytes=1)])
    assert p.message == (
        "Telegram allows 1024 characters in a caption with an image; this post has 2000 — shorten it by 976"
    )


def test_threads_and_empty_posts():
    [p] = validate_content("discord", "hi", thread=["more"])
    assert p.field == "thread" and "Discord has no threads" in p.message
    [p] = validate_content("bluesky", "   ")
    assert "needs some text or an image" in p.message
    [p] = validate_content("bluesky", "ok", thread=["a" * 301])
    assert p.field == "thread[1]" and "part 1 of the thread has 301" in p.message


def test_unknown_network_is_a_validation_error_naming_the_field():
    from app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        validate_content("myspace", "hi")
    assert err.value.field == "network"


def test_mastodon_channel_uses_its_instance_limit():
    from models import Channel

    ch = Channel(
        workspace_id=None,
        network="mastodon",
        name="m",
        account="@a@b",  # type: ignore[arg-type]
        settings={"limits": {"max_chars": 5000}},
    )
    assert validate_content(ch, "a" * 4000) == []
    assert "Mastodon allows 5000" in validate_content(ch, "a" * 5001)[0].message
    assert registry.limits_for("mastodon").max_chars == 500


def test_linkedin_version_sunset_alert_60_days_before():
    assert sunset_of("202609") == date(2027, 9, 1)
    assert version_alert("202609", today=date(2027, 6, 1)) is None
    soon = version_alert("202609", today=date(2027, 7, 10))
    assert soon and "sunsets on 2027-09-01 (in 53 days)" in soon and "LINKEDIN_API_VERSION" in soon
    gone = version_alert("202609", today=date(2027, 9, 2))
    assert gone and "was sunset" in gone
    with pytest.raises(ValueError):
        sunset_of("2026-09")


def test_linkedin_commentary_escapes_little_text_markup():
    assert escape_commentary("Hi (all) #tag @x") == r"Hi \(all\) \#tag \@x"


def test_webhook_signature_verifies_and_refuses_tampering_and_replay():
    body = b'{"text":"hi"}'
    ts = int(time.time())
    headers = {"X-Quillcast-Timestamp": str(ts), "X-Quillcast-Signature": sign("s" * 32, ts, body)}
    assert verify_signature("s" * 32, headers, body)
    assert not verify_signature("s" * 32, headers, body + b" ")
    assert not verify_signature("t" * 32, headers, body)
    assert not verify_signature("s" * 32, headers, body, now=ts + 301)


def test_publish_request_media_problem_for_linkedin_mentions_the_fix():
    request = PublishRequest(idempotency_key="k", text="x" * 3001)
    [p] = registry.check("linkedin", request)
    assert p.message == "LinkedIn allows 3000 characters; this post has 3001 — shorten it by 1"


def test_a_channels_stored_limits_overlay_the_network_defaults():
    limits = registry.limits_for("matrix", {"limits": {"max_image_bytes": 1234, "bogus": 1}})
    assert limits.max_image_bytes == 1234 and limits.max_chars == registry.NETWORK_LIMITS["matrix"].max_chars


def test_first_comment_is_checked_where_supported_and_refused_elsewhere():
    [p] = validate_content("bluesky", "ok", first_comment="c" * 301)
    assert p.field == "first_comment" and p.message.endswith("the first comment has 301 — shorten it by 1")
    [p] = validate_content("discord", "ok", first_comment="hello")
    assert p.field == "first_comment" and "Discord has no first comment" in p.message
    [p] = validate_content("x", "ok", thread=["  "])
    assert p.message == "Part 1 of the thread is empty; write it or remove it"


def test_a_disconnected_channel_has_no_connector_and_says_what_to_do():
    from app.connectors.base import AuthError
    from models import Channel

    ch = Channel(workspace_id=None, network="bluesky", name="Main", account="a.test", status="disabled")  # type: ignore[arg-type]
    with pytest.raises(AuthError) as err:
        registry.connector_for(ch, {})
    assert "Bluesky channel 'Main' was disconnected; re-connect it" in err.value.message
    ch.status = "active"
    assert registry.connector_for(ch, {"identifier": "a.test", "app_password": "x"}).network == "bluesky"


def test_retry_after_reads_seconds_http_dates_and_reset_headers():
    import email.utils

    import httpx

    from app.connectors.http import retry_after_seconds

    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    later = email.utils.formatdate(time.time() + 90, usegmt=True)
    assert 85 <= retry_after_seconds(httpx.Response(503, headers={"Retry-After": later})) <= 91
    reset = str(int(time.time()) + 40)
    assert (
        35
        <= retry_after_seconds(
            httpx.Response(429, headers={"x-rate-limit-reset": reset}), ("x-rate-limit-reset",)
        )
        <= 41
    )
    assert (
        retry_after_seconds(
            httpx.Response(429, headers={"x-ratelimit-reset-after": "1.5"}), ("x-ratelimit-reset-after",)
        )
        == 1.5
    )
    assert retry_after_seconds(httpx.Response(503)) is None

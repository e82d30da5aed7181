"""Counting text the way each network counts it.

Bluesky counts graphemes (what a reader sees as one character) and UTF-8 bytes; X weighs code points
(CJK and emoji count 2) and counts every URL as 23; most others count code points.
"""

from __future__ import annotations

import re
import unicodedata

import grapheme

# http(s) URLs, stopping before trailing punctuation that usually ends a sentence.
URL_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]")


def graphemes(text: str) -> int:
    return int(grapheme.length(text))


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def code_points(text: str) -> int:
    return len(text)


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of the character at `index` (AT Protocol facets index bytes, not characters)."""
    return len(text[:index].encode("utf-8"))


# twitter-text v3 configuration: weight 100 for these code point ranges, 200 for everything else,
# scale 100, 280 * 100 allowed, each URL 23, each emoji sequence 200.
X_WEIGHTED_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_DEFAULT_WEIGHT = 200
X_SCALE = 100
X_URL_LENGTH = 23


def _is_emoji_start(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF  # pictographs, emoticons, transport, flags (regional indicators)
        or 0x2600 <= cp <= 0x27BF  # misc symbols, dingbats
        or 0x2B00 <= cp <= 0x2BFF
        or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _cp_weight(cp: int) -> int:
    for low, high in X_WEIGHTED_RANGES:
        if low <= cp <= high:
            return 100
    return X_DEFAULT_WEIGHT


def _weigh(segment: str) -> int:
    total = 0
    for cluster in grapheme.graphemes(segment):
        cps = [ord(c) for c in cluster]
        # An emoji sequence (skin tones, ZWJ joins, flags, VS16) counts once, as 2 characters.
        if cps[0] >= 0x1F000 or (len(cps) > 1 and _is_emoji_start(cps[0])):
            total += X_DEFAULT_WEIGHT
            continue
        total += sum(_cp_weight(cp) for cp in cps)
    return total


def x_weighted_length(text: str) -> int:
    """The length X shows (max 280): twitter-text v3 weighting after NFC normalisation."""
    text = unicodedata.normalize("NFC", text)
    weight = 0
    last = 0
    for match in URL_RE.finditer(text):
        weight += _weigh(text[last : match.start()]) + X_URL_LENGTH * X_SCALE
        last = match.end()
    weight += _weigh(text[last:])
    return weight // X_SCALE


MASTODON_URL_LENGTH = 23
_MASTODON_MENTION_RE = re.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w", re.UNICODE)


def mastodon_length(text: str) -> int:
    """Mastodon's count: every URL is 23 characters; a mention counts only its @username part."""
    text = URL_RE.sub("x" * MASTODON_URL_LENGTH, text)
    return len(_MASTODON_MENTION_RE.sub(lambda m: "@" + m.group(1), text))


def utf16_units(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2

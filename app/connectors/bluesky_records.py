"""The AT Protocol's record rules Quillcast relies on: record keys (TIDs) derived from a target's
idempotency key, so a repeat is refused by the PDS, and rich-text facets (links, mentions, hashtags)
with their UTF-8 byte offsets. Pure functions: the connector (bluesky.py) does the HTTP."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from app.connectors.text import URL_RE, byte_offset

# --- record keys -------------------------------------------------------------------------------
S32 = "234567abcdefghijklmnopqrstuvwxyz"
_TID_EPOCH_US = 1_420_070_400_000_000  # 2015-01-01: derived TIDs land in the past, never the future


def tid_for(key: str) -> str:
    """A valid TID (13 chars, base32-sortable) that is a pure function of `key`.

    A TID is microseconds << 10 | clock id with the top bit clear. 48 bits of the hash pick a time
    in 2015-2023 and 10 more the clock id: 58 bits, so two targets collide with odds ~1 in 10^17.
    """
    h = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    micros = _TID_EPOCH_US + (h >> 16) % (1 << 48)
    value = (micros << 10) | (h & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(S32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def part_key(idempotency_key: str, index: int) -> str:
    return idempotency_key if index == 0 else f"{idempotency_key}#{index}"


# --- rich text facets ----------------------------------------------------------------------------
_MENTION_RE = re.compile(
    r"(?:(?<=^)|(?<=[\s(]))@([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+)"
)
_TAG_RE = re.compile(r"(?:(?<=^)|(?<=\s))[#＃]([^\s#＃]+)")


def _strip_trailing_punctuation(s: str) -> str:
    while s and unicodedata.category(s[-1]).startswith("P"):
        s = s[:-1]
    return s


def _span(text: str, start: int, end: int) -> dict[str, int]:
    return {"byteStart": byte_offset(text, start), "byteEnd": byte_offset(text, end)}


def find_facets(text: str, resolve_handle: Any) -> list[dict[str, Any]]:
    """Links, mentions and hashtags with UTF-8 byte offsets; unresolvable mentions stay plain text."""
    facets: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for m in URL_RE.finditer(text):
        taken.append((m.start(), m.end()))
        facets.append(
            {
                "index": _span(text, m.start(), m.end()),
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": m.group(0)}],
            }
        )

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for m in _MENTION_RE.finditer(text):
        handle = m.group(1).rstrip(".").lower()
        start, end = m.start(), m.start() + 1 + len(handle)
        if not free(start, end):
            continue
        did = resolve_handle(handle)
        if did:
            facets.append(
                {
                    "index": _span(text, start, end),
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
                }
            )
    for m in _TAG_RE.finditer(text):
        tag = _strip_trailing_punctuation(m.group(1))
        start, end = m.start(), m.start() + 1 + len(tag)
        if not tag or tag.isdigit() or len(tag) > 64 or not free(start, end):
            continue
        facets.append(
            {
                "index": _span(text, start, end),
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            }
        )
    facets.sort(key=lambda f: f["index"]["byteStart"])
    return facets

"""Split a long text into thread parts at sentence boundaries, each within a network's limit."""

from __future__ import annotations

from collections.abc import Callable

import regex

SENTENCE_END = regex.compile(r"(?<=[.!?…。！？])\s+|\n{2,}")


def split(text: str, limit: int, count: Callable[[str], int] = len, numbered: bool = True) -> list[str]:
    """Parts of at most `limit` (as the network counts), cut between sentences where possible,
    else between words, else inside a word. With `numbered`, each part ends with " (i/n)"."""
    text = text.strip()
    if not text:
        return []
    if count(text) <= limit:
        return [text]
    room = limit - (count(" (99/99)") if numbered else 0)
    if room < 10:
        raise ValueError("limit too small to split into a thread")
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, room, count):
        candidate = f"{current} {piece}".strip() if current else piece
        if count(candidate) <= room:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    if numbered:
        parts = [f"{p} ({i}/{len(parts)})" for i, p in enumerate(parts, 1)]
    return parts


def _pieces(text: str, room: int, count: Callable[[str], int]) -> list[str]:
    """Sentences; a sentence too long on its own is broken into words, a too-long word into chunks."""
    out: list[str] = []
    for sentence in filter(None, (s.strip() for s in SENTENCE_END.split(text))):
        if count(sentence) <= room:
            out.append(sentence)
            continue
        for word in sentence.split():
            while count(word) > room:
                cut = room
                while cut > 1 and count(word[:cut]) > room:
                    cut -= 1
                out.append(word[:cut])
                word = word[cut:]
            out.append(word)
    return out

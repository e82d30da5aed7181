"""How a post's text will look on a network: split into plain text, links, mentions and hashtags.

The UI renders each segment as text (never as HTML), so pasted markup stays inert.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import regex

TOKEN = regex.compile(
    r"(?P<link>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?P<mention>(?<![\p{L}\p{N}_])@[\p{L}\p{N}_.-]*[\p{L}\p{N}_](?:@[\w.-]+\.\w+)?)"
    r"|(?P<hashtag>(?<![\p{L}\p{N}_&])#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*)"
)
MAX_SHOWN_LINK = 30  # networks shorten long URLs in their display


@dataclass(frozen=True)
class Segment:
    kind: str  # text | link | mention | hashtag | newline
    text: str
    href: str = ""


def segments(text: str) -> list[dict[str, str]]:
    out: list[Segment] = []
    for line_no, line in enumerate(text.split("\n")):
        if line_no:
            out.append(Segment("newline", ""))
        pos = 0
        for m in TOKEN.finditer(line):
            if m.start() > pos:
                out.append(Segment("text", line[pos:m.start()]))
            kind = m.lastgroup or "text"
            value = m.group(0)
            if kind == "link":
                shown = value.split("://", 1)[1]
                shown = shown if len(shown) <= MAX_SHOWN_LINK else shown[: MAX_SHOWN_LINK - 1] + "…"
                out.append(Segment("link", shown, value))
            else:
                out.append(Segment(kind, value))
            pos = m.end()
        if pos < len(line):
            out.append(Segment("text", line[pos:]))
    return [asdict(s) for s in out]

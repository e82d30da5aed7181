"""The composer's rules over plain data (no database): how each chosen channel counts and objects to its
text, which network is the strictest, what a thread's parts count for, when a draft may be saved on its
own, and which of save / schedule / submit / publish now a role gets and why a post is held back.

The Reflex state, the API and an MCP server call these with the same inputs and get the same answers;
`compose.py` next to this module applies them to saved posts.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.connectors import registry, text
from app.connectors.catalogue import subject
from app.services.channels import channels
from app.services.planning import posts, preview
from models import Channel

# A composer text above this is refused before any network check runs (a 100 KB paste must not stall
# the counters); posts.MAX_BODY_CHARS is the stored limit and far above any network's own.
MAX_COMPOSE_CHARS = posts.MAX_BODY_CHARS
# A draft saves itself only while nothing is on the calendar: a scheduled post changes only when the
# person presses a button.
AUTOSAVE_STATUSES = frozenset({"", "draft", "changes_requested"})


def too_long_message(n: int) -> str:
    return (f"this text has {n:,} characters; the composer takes at most {MAX_COMPOSE_CHARS:,} — "
            "paste a shorter part")


def body_problem(body: str) -> str:
    """"" or why the composer does not take this text at all (before any network is asked)."""
    return too_long_message(len(body)) if len(body) > MAX_COMPOSE_CHARS else ""


def count_for(network: str, value: str) -> int:
    """`value`'s length the way `network` counts it (graphemes, weighted, UTF-16 units, ...)."""
    return registry.COUNTERS.get(network, text.code_points)(value)


@dataclass
class Check:
    count: int
    limit: int
    problems: list[str]
    segments: list[dict[str, str]]


def check_text(network: str, settings: dict[str, Any] | None, body: str) -> Check:
    """Count `body` the way `network` counts and list its problems, each naming the network and limit."""
    limits = registry.limits_for(network, settings)
    if len(body) > MAX_COMPOSE_CHARS:
        return Check(len(body), limits.max_chars, [too_long_message(len(body))], [])
    channel = Channel(network=network, settings=settings or {}, name="", account="",
                      workspace_id=uuid.uuid4())
    problems = [p.message for p in channels.validate_content(channel, body)]
    return Check(count_for(network, body), limits.max_chars, problems, preview.segments(body))


def media_problems(network: str, settings: dict[str, Any] | None, count: int) -> list[str]:
    """The number of attached images against the network's limit (the composer checks it live)."""
    limits = registry.limits_for(network, settings)
    if count > limits.max_media:
        return [f"{subject(network)} allows {limits.max_media} image(s) per post; this post has {count} — "
                f"remove {count - limits.max_media}"]
    return []


@dataclass
class TargetCheck:
    """One chosen channel's text as it will be posted: counted and checked the way its network does."""

    channel_id: str
    name: str
    network: str
    account: str
    text: str
    own: bool  # False: the channel uses the post's text
    threads: bool  # the channel posts threads
    count: int
    limit: int
    problems: list[str] = field(default_factory=list)
    segments: list[dict[str, str]] = field(default_factory=list)

    @property
    def over(self) -> bool:
        return self.count > self.limit


def check_targets(choices: Sequence[Mapping[str, Any]], selected: Sequence[str], body: str,
                  own_texts: Mapping[str, str], media_count: int) -> list[TargetCheck]:
    """Each selected channel (in the order chosen) with the text it gets — its own text, else the
    post's — and every problem its network has with that text and `media_count` images.

    `choices` are `compose.channel_choices` rows (id, name, network, account, threads, settings)."""
    by_id = {str(c["id"]): c for c in choices}
    out = []
    for cid in selected:
        ch = by_id.get(cid)
        if ch is None:
            continue
        own = cid in own_texts
        words = own_texts[cid] if own else body
        settings = ch.get("settings")
        check = check_text(ch["network"], settings, words)
        out.append(TargetCheck(
            channel_id=cid, name=str(ch["name"]), network=str(ch["network"]), account=str(ch["account"]),
            text=words, own=own, threads=bool(ch.get("threads")), count=check.count, limit=check.limit,
            problems=check.problems + media_problems(ch["network"], settings, media_count),
            segments=check.segments,
        ))
    return out


def strictest(targets: Sequence[TargetCheck], threads_only: bool = False) -> TargetCheck | None:
    """The chosen channel with the lowest character limit (of those that post threads, if asked):
    AI shortening and thread parts are fitted to it, so every channel can take the result."""
    return min((t for t in targets if t.threads or not threads_only), key=lambda t: t.limit, default=None)


@dataclass
class ThreadCount:
    """The follow-up parts of a thread, counted for the strictest chosen channel that posts threads."""

    channel_name: str  # "" when no chosen channel posts threads
    counts: list[int]
    limit: int  # 0 when no chosen channel posts threads


def count_thread(targets: Sequence[TargetCheck], parts: Sequence[str]) -> ThreadCount:
    strict = strictest(targets, threads_only=True)
    if strict is None:
        return ThreadCount("", [len(p) for p in parts], 0)
    return ThreadCount(strict.name, [count_for(strict.network, p) for p in parts], strict.limit)


def thread_for_save(choices: Sequence[Mapping[str, Any]], selected: Sequence[str],
                    parts: Sequence[str]) -> dict[str, list[str]]:
    """The follow-up parts go to every chosen channel that posts threads (the others get part 1 only)."""
    capable = {str(c["id"]) for c in choices if c.get("threads")}
    return {cid: list(parts) for cid in selected if cid in capable and parts}


def may_autosave(status: str, selected: Sequence[str], body: str) -> bool:
    """A draft is saved on its own only while it is a draft (or sent back for changes), has a channel
    and words, and its text is not above what the composer takes."""
    return (status in AUTOSAVE_STATUSES and bool(selected) and bool(body.strip())
            and len(body) <= MAX_COMPOSE_CHARS)


def blocked_message(targets: Sequence[TargetCheck]) -> str:
    """"" when every chosen channel can take its text; else why nothing is scheduled or published:
    the channels whose network refuses the text, by name (their problems are shown next to them)."""
    blocked = [t.name for t in targets if t.problems]
    return ("Not scheduled: fix the problems shown for " + ", ".join(blocked) + ".") if blocked else ""


@dataclass(frozen=True)
class Actions:
    """The composer's buttons a role gets. Editors and up schedule and publish directly; everyone else
    submits for approval (the posts service decides, and refuses a role that may not even submit)."""

    save: bool
    schedule: bool
    publish_now: bool
    submit: bool
    approve: bool  # approve / request changes on a post awaiting approval


def actions(allowed: Collection[str], status: str) -> Actions:
    direct = "post:schedule" in allowed
    return Actions(save=True, schedule=direct, publish_now=direct, submit=not direct,
                   approve=status == "awaiting_approval" and "post:approve" in allowed)


def done_message(status: str, published: bool) -> str:
    """What the composer says after scheduling or publishing: a contributor's post went for approval."""
    if status == "awaiting_approval":
        return "Submitted for approval"
    return "Publishing now" if published else "Scheduled"

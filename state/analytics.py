"""Analytics page state: one report per range, computed by app.services.insight.analytics."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from app.connectors.catalogue import LABELS as NETWORK_LABELS
from app.core import routes
from app.services.errors import DomainError
from app.services.insight import analytics
from state.workspace import WorkspaceState


class AnalyticsState(WorkspaceState):
    days: str = "30"
    summary: dict[str, str] = {}
    per_network: list[dict[str, Any]] = []
    per_day: list[dict[str, Any]] = []
    top_links: list[dict[str, Any]] = []
    # Engagement: strings ready to show; a network without counts carries its "does not report" note.
    engagement: list[dict[str, str]] = []
    top_posts: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.loading, self.error = True, ""
        yield
        try:
            r = await self.run(analytics.report, int(self.days))
        except DomainError as exc:
            self.error, self.loading = exc.message, False
            return
        pct = lambda v: "—" if v is None else f"{v:g} %"  # noqa: E731
        self.summary = {
            "published": str(r.published), "failed": str(r.failed), "waiting": str(r.waiting),
            "unknown": str(r.unknown), "on_time": pct(r.on_time_pct),
            "p95": "—" if r.p95_lateness_s is None else f"{r.p95_lateness_s:g} s",
            "retries": str(r.retries), "clicks": str(r.clicks),
        }
        measured = any(e.measured for e in r.engagement)  # none: "—", not a zero no network reported
        for key, n in (("likes", r.likes), ("reposts", r.reposts), ("replies", r.replies)):
            self.summary[key] = f"{n:,}" if measured else "—"
        self.engagement = [_engagement_row(e) for e in r.engagement]
        tz = ZoneInfo(self.workspace_timezone)
        self.top_posts = [{
            "excerpt": str(p["excerpt"]) or "(no text)", "channel": str(p["channel"]),
            "network": str(p["network"]),
            "published": p["published_at"].astimezone(tz).strftime("%d %b, %H:%M"),  # type: ignore[attr-defined]
            **_counts(int(p["likes"]), int(p["reposts"]), int(p["replies"])),  # type: ignore[call-overload]
            "href": routes.post_detail(str(p["post_id"])),
        } for p in r.top_posts]
        self.per_network = [
            {**asdict(n), "on_time": pct(n.on_time_pct),
             "median": "—" if n.median_lateness_s is None else f"{n.median_lateness_s:g} s"}
            for n in r.per_network
        ]
        self.per_day = r.per_day
        self.top_links = r.top_links
        self.loading = False

    @rx.event
    async def set_days(self, value: str):  # type: ignore[no-untyped-def]
        if value not in ("7", "30", "90", "365"):
            return
        self.days = value
        async for update in self.load():  # type: ignore[attr-defined]
            yield update


def _counts(likes: int, reposts: int, replies: int) -> dict[str, str]:
    """Each count with the word that goes after it ("1 like", "2 likes")."""
    out = {}
    for key, n, one in (("likes", likes, "like"), ("reposts", reposts, "repost"),
                        ("replies", replies, "reply")):
        out[key], out[f"{key}_word"] = f"{n:,}", one if n == 1 else key
    return out


def _engagement_row(e: analytics.EngagementRow) -> dict[str, str]:
    label = NETWORK_LABELS.get(e.network, e.network)
    if not e.reports:
        note = f"{label} does not report engagement"
    elif not e.measured:
        note = f"No numbers from {label} yet"
    else:
        note = f"{e.measured} of {e.published} {'post' if e.published == 1 else 'posts'} measured"
    return {
        "network": e.network, "reports": "yes" if e.reports and e.measured else "", "note": note,
        **_counts(e.likes, e.reposts, e.replies),
        "impressions": "—" if e.impressions is None else f"{e.impressions:,}",
    }

"""Analytics page state: one report per range, computed by app.services.analytics."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import reflex as rx

from app.services import analytics
from app.services.errors import DomainError
from state.workspace import WorkspaceState


class AnalyticsState(WorkspaceState):
    days: str = "30"
    summary: dict[str, str] = {}
    per_network: list[dict[str, Any]] = []
    per_day: list[dict[str, Any]] = []
    top_links: list[dict[str, Any]] = []
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

"""Publishing health on the status page: instance administrators see the /api/metrics numbers, live."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from app.services import usage
from app.services.errors import DomainError
from app.services.operations import adoption, prometheus
from state.auth import AuthState, in_db

REFRESH_SECONDS = 10
REFRESH_ROUNDS = 60  # ten minutes of live numbers per visit; "Check again" starts another ten


def _seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def _card(label: str, value: Any, hint: str, tone: str) -> dict[str, str]:
    return {"label": label, "value": str(value), "hint": hint, "tone": tone}


def cards(snap: prometheus.Snapshot) -> list[dict[str, str]]:
    """What an administrator checks first, each with the hint that says what to do."""
    if snap.overdue:
        overdue = _card("Overdue posts", snap.overdue,
                        f"the oldest has waited {_seconds(snap.oldest_overdue_seconds)}: check that a worker "
                        "and beat are running (the parts above)", "red")
    else:
        overdue = _card("Overdue posts", 0, "every due post was picked up within a minute", "green")
    n = snap.published_last_hour
    late = (f"late by {_seconds(snap.lateness['0.5'])} at the median, {_seconds(snap.lateness['0.95'])} "
            "at p95" if n else "nothing was due in the last hour")
    waiting = sum(snap.queue_depth.values())
    queues = " · ".join(f"{q} {d}" for q, d in snap.queue_depth.items())
    opened = [network for network, is_open in snap.breakers_open.items() if is_open]
    reauth = snap.channels.get("needs_reauth", 0)
    held, failed_mail = snap.emails.get("held", 0), snap.emails.get("failed", 0)
    p95 = prometheus.quantile(snap.http, 0.95)
    requests = sum(s.count for s in snap.http)
    errors = sum(s.count for s in snap.http if s.labels.get("status") == "5xx")
    return [
        overdue,
        _card("Published, last hour", n, late, "green" if n else "gray"),
        _card("Waiting in queues", waiting, queues,
              "amber" if snap.queue_depth.get("publish", 0) > 100 else "gray"),
        _card("Circuit breakers", f"{len(opened)} open" if opened else "all closed",
              f"{', '.join(opened)}: posts there wait and go out when the network recovers" if opened
              else "every network answers normally", "amber" if opened else "green"),
        _card("Channels to reconnect", reauth,
              "the Channels page of their workspace says which and why" if reauth
              else "every channel can post",
              "amber" if reauth else "green"),
        _card("Failed posts (all time)", snap.targets.get("failed", 0),
              "each post's page shows the network's own words and a Retry button", "gray"),
        _card("E-mail", f"{failed_mail} failed" if failed_mail else f"{held} held" if held else "flowing",
              "held: no SMTP_HOST is set; the Outbox page shows them" if held
              else "the Outbox page lists every mail",
              "amber" if failed_mail or held else "green"),
        _card("API p95", "—" if p95 is None else ("> 120 s" if p95 == float("inf") else _seconds(p95)),
              f"{requests} requests, {errors} server errors", "red" if errors else "gray"),
    ]


def adoption_rows(a: usage.Adoption) -> list[dict[str, str]]:
    return [{"label": f.label, "uses": str(f.uses), "days": f"{f.days_used} of {a.days}"} for f in a.features]


def _both(session, user_id):  # type: ignore[no-untyped-def]
    return prometheus.health_for_admin(session, user_id), adoption.adoption_for_admin(session, user_id)


class HealthState(AuthState):
    health: list[dict[str, str]] = []
    adoption: list[dict[str, str]] = []
    active_people: str = ""
    admin: bool = False
    _rounds: int = 0

    async def _load(self) -> None:
        user_id = self.current_user_id()
        if user_id is None:
            self.admin, self.health = False, []
            return
        try:
            snap, adoption = await in_db(_both, user_id)
        except DomainError:
            self.admin, self.health, self.adoption = False, [], []
            return
        self.admin, self.health = True, cards(snap)
        self.adoption = adoption_rows(adoption)
        self.active_people = (f"People active: {adoption.active_today} today · {adoption.active_7_days} in 7 "
                              f"days · {adoption.active_period} in {adoption.days} days")

    @rx.event
    async def open(self):  # type: ignore[no-untyped-def]
        await self._load()
        if self.admin:
            self._rounds = REFRESH_ROUNDS
            return HealthState.keep_live
        return None

    @rx.event(background=True)
    async def keep_live(self):  # type: ignore[no-untyped-def]
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            async with self:
                if self._rounds <= 0 or self.router.url.path.rstrip("/") != "/status":
                    return
                self._rounds -= 1
                await self._load()

"""System status shown on the home page; the same numbers as GET /api/ready."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from app.services.operations import system


class StatusState(rx.State):
    checks: list[dict[str, Any]] = []
    all_ok: bool = False
    checked_at: str = ""
    loading: bool = False

    @rx.event
    async def refresh(self):  # type: ignore[no-untyped-def]
        self.loading = True
        yield
        # The probes block (DB, Redis, a worker ping): keep them off the event loop.
        result = await asyncio.to_thread(system.readiness_dict)
        self.checks = list(result["checks"])  # type: ignore[arg-type]
        self.all_ok = bool(result["ok"])
        self.checked_at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        self.loading = False

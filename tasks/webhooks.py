"""Thin tasks over app.services.events.webhook_delivery: one delivery attempt, and the sweep for
lost ones."""

from __future__ import annotations

from app.services.events import webhook_delivery
from tasks.base import quillcast_task


# Longer than the POST's own timeout (at most 60 s) and the two short transactions around it.
@quillcast_task(webhook_delivery.DELIVER_TASK, time_limit=90)
def deliver(delivery_id: str) -> str:
    """POST one delivery (by id); the service schedules its retry itself, after its commit."""
    return webhook_delivery.deliver(delivery_id)


@quillcast_task(webhook_delivery.SWEEP_TASK, time_limit=60)
def sweep() -> int:
    """Send again pending deliveries the broker lost."""
    return webhook_delivery.sweep()

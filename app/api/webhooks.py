"""Outgoing event webhooks of a workspace: create (the secret is shown once), list, change, delete,
rotate the secret, send a test event, and read the recent deliveries. Owners and admins only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field

from app.api.deps import SessionDep, WorkspaceContext, require
from app.services.events import webhooks
from models import WEBHOOK_EVENTS, Webhook, WebhookDelivery

router = APIRouter(prefix="/workspaces/{workspace_id}/webhooks", tags=["webhooks"])
# Webhooks are workspace settings: webhooks.PERMISSION is workspace:manage.
WorkspaceManager = Annotated[WorkspaceContext, Depends(require(webhooks.PERMISSION))]
EVENTS_HELP = f"events to send, any of: {', '.join(WEBHOOK_EVENTS)}"


class WebhookCreate(BaseModel):
    url: str = Field(max_length=webhooks.MAX_URL, description="https:// address of your receiver")
    events: list[str] = Field(max_length=20, description=EVENTS_HELP)
    description: str = Field(default="", max_length=webhooks.MAX_DESCRIPTION)


class WebhookUpdate(BaseModel):
    url: str | None = Field(default=None, max_length=webhooks.MAX_URL)
    events: list[str] | None = Field(default=None, max_length=20, description=EVENTS_HELP)
    active: bool | None = None
    description: str | None = Field(default=None, max_length=webhooks.MAX_DESCRIPTION)


class WebhookPublic(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    description: str
    last_status: str | None = Field(description="delivered, failed or retrying: its latest delivery")
    last_delivery_at: datetime | None
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="signs every delivery; shown only now, store it in your receiver")


class SecretOut(BaseModel):
    secret: str = Field(description="the new signing secret, shown only now; the old one stops working")


class DeliveryPublic(BaseModel):
    id: uuid.UUID = Field(description="also sent as X-Quillcast-Delivery: the same on every attempt")
    webhook_id: uuid.UUID
    event: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    http_status: int | None = Field(description="the receiver's answer to the latest attempt")
    response_excerpt: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


def _public(hook: Webhook) -> WebhookPublic:
    return WebhookPublic.model_validate(hook, from_attributes=True)


def _delivery(delivery: WebhookDelivery) -> DeliveryPublic:
    return DeliveryPublic.model_validate(delivery, from_attributes=True)


@router.get("", response_model=list[WebhookPublic])
def list_webhooks(ctx: WorkspaceManager, session: SessionDep) -> list[WebhookPublic]:
    """The workspace's webhooks (never their secrets)."""
    return [_public(h) for h in webhooks.list_webhooks(session, ctx.user.id, ctx.workspace.id)]


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, ctx: WorkspaceManager, session: SessionDep) -> WebhookCreated:
    """Add a webhook; the answer holds its signing secret, shown this once."""
    hook, secret = webhooks.create(session, ctx.user.id, ctx.workspace.id, body.url, body.events,
                                   body.description)
    return WebhookCreated(**_public(hook).model_dump(), secret=secret)


@router.patch("/{webhook_id}", response_model=WebhookPublic)
def update_webhook(webhook_id: uuid.UUID, body: WebhookUpdate, ctx: WorkspaceManager, session: SessionDep
                   ) -> WebhookPublic:
    """Change the address, events, description, or turn it off (`active: false`) and on."""
    hook = webhooks.update(session, ctx.user.id, ctx.workspace.id, webhook_id, url=body.url,
                           events=body.events, active=body.active, description=body.description)
    return _public(hook)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: uuid.UUID, ctx: WorkspaceManager, session: SessionDep) -> Response:
    """Delete the webhook and its delivery history."""
    webhooks.delete(session, ctx.user.id, ctx.workspace.id, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=SecretOut)
def rotate_secret(webhook_id: uuid.UUID, ctx: WorkspaceManager, session: SessionDep) -> SecretOut:
    """A new signing secret, shown this once."""
    return SecretOut(secret=webhooks.rotate_secret(session, ctx.user.id, ctx.workspace.id, webhook_id))


@router.post("/{webhook_id}/test", response_model=DeliveryPublic, status_code=status.HTTP_202_ACCEPTED)
def send_test(webhook_id: uuid.UUID, ctx: WorkspaceManager, session: SessionDep) -> DeliveryPublic:
    """Send a `webhook.test` event now; follow it in the deliveries."""
    return _delivery(webhooks.send_test(session, ctx.user.id, ctx.workspace.id, webhook_id))


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryPublic])
def list_deliveries(webhook_id: uuid.UUID, ctx: WorkspaceManager, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[DeliveryPublic]:
    """The webhook's most recent deliveries first."""
    found = webhooks.list_deliveries(session, ctx.user.id, ctx.workspace.id, webhook_id, limit)
    return [_delivery(d) for d in found]

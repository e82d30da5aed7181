"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from models.account import TOKEN_PURPOSES, OneTimeToken, RecoveryCode
from models.audit import AuditLog
from models.channel import CHANNEL_STATUSES, NETWORKS, Channel
from models.content import IDEA_STATUSES, SNIPPET_KINDS, CalendarFeed, Idea, Link, LinkClick, Snippet
from models.credentials import ApiKey, RefreshToken
from models.email import EMAIL_STATUSES, EmailOutbox
from models.engagement import MetricSnapshot
from models.invitation import INVITABLE_ROLES, Invitation
from models.media import MediaAsset
from models.post import (
    ATTEMPT_OUTCOMES,
    POST_STATUSES,
    TARGET_STATUSES,
    Post,
    PostTarget,
    PublishAttempt,
    TimeSlot,
)
from models.rss_feed import RSS_DEFAULT_TEMPLATE, RSS_FEED_MODES, RssFeed, RssFeedItem
from models.user import User
from models.webhook import DELIVERY_STATUSES, TEST_EVENT, WEBHOOK_EVENTS, Webhook, WebhookDelivery
from models.workspace import ROLES, Membership, Workspace

__all__ = [
    "ATTEMPT_OUTCOMES", "CHANNEL_STATUSES", "INVITABLE_ROLES", "NETWORKS", "POST_STATUSES", "ROLES",
    "TARGET_STATUSES",
    "ApiKey", "AuditLog", "Channel", "Invitation", "MediaAsset", "Membership", "Post", "PostTarget",
    "PublishAttempt", "RefreshToken", "TimeSlot", "User", "Workspace",
    "IDEA_STATUSES", "SNIPPET_KINDS", "CalendarFeed", "Idea", "Link", "LinkClick", "Snippet",
    "DELIVERY_STATUSES", "TEST_EVENT", "WEBHOOK_EVENTS", "Webhook", "WebhookDelivery",
    "RSS_DEFAULT_TEMPLATE", "RSS_FEED_MODES", "RssFeed", "RssFeedItem",
    "EMAIL_STATUSES", "TOKEN_PURPOSES", "EmailOutbox", "MetricSnapshot", "OneTimeToken", "RecoveryCode",
]

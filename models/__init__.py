"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from models.account import TOKEN_PURPOSES, OneTimeToken, RecoveryCode
from models.audit import AuditLog
from models.channel import CHANNEL_STATUSES, NETWORKS, Channel
from models.email import EMAIL_STATUSES, EmailOutbox
from models.media import MediaAsset
from models.post import ATTEMPT_OUTCOMES, POST_STATUSES, TARGET_STATUSES, Post, PostTarget, PublishAttempt
from models.user import User
from models.workspace import ROLES, Membership, Workspace

__all__ = [
    "ATTEMPT_OUTCOMES", "CHANNEL_STATUSES", "NETWORKS", "POST_STATUSES", "ROLES", "TARGET_STATUSES",
    "AuditLog", "Channel", "MediaAsset", "Membership", "Post", "PostTarget", "PublishAttempt",
    "User", "Workspace",
    # accounts
    "EMAIL_STATUSES", "TOKEN_PURPOSES", "EmailOutbox", "OneTimeToken", "RecoveryCode",
]

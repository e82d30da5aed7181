"""The navigation, and the paths (from app.core.routes) for the pages: a link appears here only when its
page exists."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.routes import (  # noqa: F401 - the pages' one import of paths
    ACCOUNT,
    ANALYTICS,
    AUDIT,
    CALENDAR,
    CHANNELS,
    CHANNELS_OAUTH_CALLBACK,
    COMPOSE,
    DRAFTS,
    FORGOT,
    HOME,
    IDEAS,
    IMPORT,
    INVITATION,
    OUTBOX,
    POST_DETAIL,
    QUEUE,
    RESET,
    RSS_FEEDS,
    SETUP,
    SIGNIN,
    SIGNUP,
    STATUS,
    UNSUBSCRIBE,
    VERIFY,
    WELCOME,
    WORKSPACE_SETTINGS,
    post_detail,
)


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str


NAV: list[NavItem] = [
    NavItem("Calendar", CALENDAR, "calendar-days"),
    NavItem("Compose", COMPOSE, "pen-line"),
    NavItem("Import", IMPORT, "file-up"),
    NavItem("Queue", QUEUE, "list-ordered"),
    NavItem("Drafts", DRAFTS, "file-pen-line"),
    NavItem("Ideas", IDEAS, "lightbulb"),
    NavItem("Analytics", ANALYTICS, "chart-column"),
    NavItem("Channels", CHANNELS, "radio-tower"),
    NavItem("Workspace", WORKSPACE_SETTINGS, "settings"),
    NavItem("Status", STATUS, "activity"),
    NavItem("Account", ACCOUNT, "user-round-cog"),
]
# Shown to instance administrators only, under "Admin" (the pages check it again on load).
ADMIN_NAV: list[NavItem] = [
    NavItem("Outbox", OUTBOX, "inbox"),
]

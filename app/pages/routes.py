"""Route constants and the navigation: a link appears here only when its page exists."""

from __future__ import annotations

from dataclasses import dataclass

HOME = "/"  # the calendar for signed-in people, the sign-in page for others
STATUS = "/status"
CALENDAR = "/calendar"
COMPOSE = "/compose"  # ?date=YYYY-MM-DD
IMPORT = "/import"  # posts from a CSV file


def post_detail(post_id: str) -> str:
    return f"/posts/{post_id}"


POST_DETAIL = "/posts/[post_id]"
# Accounts
SIGNUP = "/signup"
SIGNIN = "/signin"
VERIFY = "/verify"
FORGOT = "/forgot"
RESET = "/reset"
ACCOUNT = "/account"
OUTBOX = "/admin/outbox"
SETUP = "/setup"  # ?token=: the first administrator (app.services.setup.PATH)
WELCOME = "/welcome"  # first workspace
INVITATION = "/invitations/accept"  # the link in an invitation e-mail
UNSUBSCRIBE = "/unsubscribe"  # ?token=: a notice e-mail's "Stop these e-mails" (notifications.PAGE_PATH)
ANALYTICS = "/analytics"
COMPOSE = "/compose"
# Workspace
CHANNELS = "/channels"
CHANNELS_OAUTH_CALLBACK = "/channels/oauth/callback"  # app.services.channel_oauth.CALLBACK_PATH
WORKSPACE_SETTINGS = "/settings/workspace"
AUDIT = "/settings/audit"  # owners and admins
IDEAS = "/ideas"
QUEUE = "/queue"
DRAFTS = "/drafts"


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

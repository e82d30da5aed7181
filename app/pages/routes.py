"""Route constants and the navigation: a link appears here only when its page exists."""

from __future__ import annotations

from dataclasses import dataclass

HOME = "/"  # the calendar for signed-in people, the sign-in page for others
STATUS = "/status"
CALENDAR = "/calendar"
COMPOSE = "/compose"  # ?date=YYYY-MM-DD


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
WELCOME = "/welcome"  # first workspace


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str


NAV: list[NavItem] = [
    NavItem("Calendar", CALENDAR, "calendar-days"),
    NavItem("Status", STATUS, "activity"),
    NavItem("Account", ACCOUNT, "user-round-cog"),
]

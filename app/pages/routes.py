"""Route constants and the navigation: a link appears here only when its page exists."""

from __future__ import annotations

from dataclasses import dataclass

HOME = "/"
# Accounts
SIGNUP = "/signup"
SIGNIN = "/signin"
VERIFY = "/verify"
FORGOT = "/forgot"
RESET = "/reset"
ACCOUNT = "/account"
OUTBOX = "/admin/outbox"
WELCOME = "/welcome"  # first workspace
ANALYTICS = "/analytics"
COMPOSE = "/compose"


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str


NAV: list[NavItem] = [
    NavItem("Status", HOME, "activity"),
    NavItem("Compose", COMPOSE, "pen-line"),
    NavItem("Analytics", ANALYTICS, "chart-column"),
    NavItem("Account", ACCOUNT, "user-round-cog"),
]

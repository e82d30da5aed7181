"""The app's page paths: below every layer that links to a page (pages, state, and what the services
put in mails), so none of them imports the pages."""

from __future__ import annotations

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
SETUP = "/setup"  # ?token=: the first administrator (app.services.identity.setup.PATH)
WELCOME = "/welcome"  # first workspace
INVITATION = "/invitations/accept"  # the link in an invitation e-mail
UNSUBSCRIBE = "/unsubscribe"  # ?token=: a notice e-mail's "Stop these e-mails" (notifications.PAGE_PATH)
ANALYTICS = "/analytics"
# Workspace
CHANNELS = "/channels"
CHANNELS_OAUTH_CALLBACK = "/channels/oauth/callback"  # app.services.channels.channel_oauth.CALLBACK_PATH
WORKSPACE_SETTINGS = "/settings/workspace"
AUDIT = "/settings/audit"  # owners and admins
RSS_FEEDS = "/settings/rss-feeds"  # RSS / Atom feeds turned into posts
IDEAS = "/ideas"
QUEUE = "/queue"
DRAFTS = "/drafts"

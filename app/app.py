"""The Reflex app: registers pages and mounts the API, nothing more."""

import reflex as rx
from starlette.types import ASGIApp

from app.api.main import create_api
from app.api.security import OriginPolicy
from app.core import drain
from app.pages import routes
from app.pages.account import account_page
from app.pages.analytics import analytics_page
from app.pages.audit import audit_page
from app.pages.auth import forgot_page, reset_page, signin_page, signup_page, verify_page
from app.pages.bulk_import import import_page
from app.pages.calendar import calendar_page, home_page
from app.pages.channels import channels_page, oauth_callback_page
from app.pages.compose import compose_page
from app.pages.drafts import drafts_page
from app.pages.ideas import ideas_page
from app.pages.invitation import invitation_page
from app.pages.not_found import not_found_page
from app.pages.outbox import outbox_page
from app.pages.post_detail import post_detail_page
from app.pages.queue import queue_page
from app.pages.rss_feeds import rss_feeds_page
from app.pages.setup import setup_page
from app.pages.status import status_page
from app.pages.unsubscribe import unsubscribe_page
from app.pages.welcome import welcome_page
from app.pages.workspace_settings import workspace_settings_page
from state.account import AccountState
from state.analytics import AnalyticsState
from state.audit import AuditState
from state.auth import AuthState, ResetState, VerifyState
from state.best_times import BestTimesState
from state.bulk_import import ImportState
from state.calendar import CalendarState, HomeState
from state.channels import ChannelsState, OAuthCallbackState
from state.compose import ComposeState
from state.drafts import DraftsState
from state.health import HealthState
from state.ideas import IdeasState
from state.invitation import InvitationState
from state.outbox import OutboxState
from state.post_detail import PostDetailState
from state.queue import QueueState
from state.rss_feeds import RssFeedsState
from state.setup import SetupNoticeState, SetupState
from state.status import StatusState
from state.unsubscribe import UnsubscribeState
from state.workspace import OnboardingState
from state.workspace_settings import WebhookSettingsState, WorkspaceSettingsState


def _ready_marker(stateful: bool) -> rx.Component | None:
    """`#app-ready` exists once the page is connected and its on_load ran: browser tests and scripts
    wait for it, since a click on the prerendered page before that is lost."""
    if not stateful:
        return None
    return rx.fragment(rx.cond(rx.State.is_hydrated, rx.el.span(id="app-ready", hidden=True)))


ICONS = [  # assets/: the SVG for browsers that take it, the .ico for the rest (and for /favicon.ico)
    rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
    rx.el.link(rel="icon", href="/favicon.ico", sizes="32x32"),
]


class QuillcastApp(rx.App):
    """Reflex's app inside one outer layer that decides CORS for the whole port (app/api/security.py)."""

    def __call__(self) -> ASGIApp:
        # One ASGI app per process: Reflex's own __call__ adds its middleware again each time, which
        # Starlette refuses once the app has served (the browser tests' in-process backend, then a test
        # that serves the same app through a TestClient).
        built = self.__dict__.get("_quillcast_asgi")
        if built is None:
            built = OriginPolicy(super().__call__())
            self.__dict__["_quillcast_asgi"] = built
        return built


app = QuillcastApp(api_transformer=create_api(), extra_app_wraps={(3, "ReadyMarker"): _ready_marker},
                   stylesheets=["/toasts.css", "/shell.css"], head_components=ICONS)
# On SIGTERM: /api/ready answers 503 for WEB_DRAIN_SECONDS before Granian stops taking connections.
app.register_lifespan_task(drain.install)
app.add_page(home_page, route=routes.HOME, title="Quillcast", on_load=HomeState.go_home)
app.add_page(status_page, route=routes.STATUS, title="Quillcast — status",
             on_load=[StatusState.refresh, HealthState.open])
app.add_page(calendar_page, route=routes.CALENDAR, title="Quillcast — calendar", on_load=CalendarState.open)
app.add_page(post_detail_page, route=routes.POST_DETAIL, title="Quillcast — post",
             on_load=PostDetailState.open)
app.add_page(signup_page, route=routes.SIGNUP, title="Quillcast — create your account",
             on_load=SetupNoticeState.check)
app.add_page(signin_page, route=routes.SIGNIN, title="Quillcast — sign in", on_load=SetupNoticeState.check)
app.add_page(setup_page, route=routes.SETUP, title="Quillcast — set up", on_load=SetupState.on_load)
app.add_page(verify_page, route=routes.VERIFY, title="Quillcast — confirm your e-mail",
             on_load=VerifyState.on_load)
app.add_page(forgot_page, route=routes.FORGOT, title="Quillcast — forgot password")
app.add_page(reset_page, route=routes.RESET, title="Quillcast — new password", on_load=ResetState.on_load)
app.add_page(account_page, route=routes.ACCOUNT, title="Quillcast — account",
             on_load=[AuthState.require_login, AccountState.on_load])
app.add_page(outbox_page, route=routes.OUTBOX, title="Quillcast — outbox",
             on_load=[AuthState.require_login, OutboxState.on_load])
app.add_page(welcome_page, route=routes.WELCOME, title="Quillcast — create your workspace",
             on_load=OnboardingState.prepare)
app.add_page(analytics_page, route=routes.ANALYTICS, title="Quillcast — analytics",
             on_load=[AnalyticsState.require_workspace, AnalyticsState.load, BestTimesState.load])
app.add_page(compose_page, route=routes.COMPOSE, title="Quillcast — compose", on_load=ComposeState.on_load)
app.add_page(import_page, route=routes.IMPORT, title="Quillcast — import posts",
             on_load=[ImportState.require_workspace, ImportState.on_load])
app.add_page(channels_page, route=routes.CHANNELS, title="Quillcast — channels",
             on_load=[ChannelsState.require_workspace, ChannelsState.on_load])
app.add_page(oauth_callback_page, route=routes.CHANNELS_OAUTH_CALLBACK,
             title="Quillcast — connecting a channel",
             on_load=[OAuthCallbackState.require_workspace, OAuthCallbackState.finish])
app.add_page(workspace_settings_page, route=routes.WORKSPACE_SETTINGS, title="Quillcast — workspace settings",
             on_load=[WorkspaceSettingsState.require_workspace, WorkspaceSettingsState.on_load,
                      WebhookSettingsState.on_load])
app.add_page(ideas_page, route=routes.IDEAS, title="Quillcast — ideas",
             on_load=[IdeasState.require_workspace, IdeasState.on_load])
app.add_page(rss_feeds_page, route=routes.RSS_FEEDS, title="Quillcast — RSS feeds",
             on_load=[RssFeedsState.require_workspace, RssFeedsState.on_load])
app.add_page(queue_page, route=routes.QUEUE, title="Quillcast — queue",
             on_load=[QueueState.require_workspace, QueueState.on_load])
app.add_page(drafts_page, route=routes.DRAFTS, title="Quillcast — drafts",
             on_load=[DraftsState.require_workspace, DraftsState.on_load])
app.add_page(audit_page, route=routes.AUDIT, title="Quillcast — audit log",
             on_load=[AuditState.require_workspace, AuditState.on_load])
app.add_page(invitation_page, route=routes.INVITATION, title="Quillcast — join a workspace",
             on_load=InvitationState.prepare)
app.add_page(unsubscribe_page, route=routes.UNSUBSCRIBE, title="Quillcast — e-mail notifications",
             on_load=UnsubscribeState.on_load)
app.add_page(not_found_page, route="404", title="Quillcast — page not found")

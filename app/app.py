"""The Reflex app: registers pages and mounts the API, nothing more."""

import reflex as rx

from app.api.main import create_api
from app.pages import routes
from app.pages.account import account_page
from app.pages.auth import forgot_page, reset_page, signin_page, signup_page, verify_page
from app.pages.calendar import calendar_page, home_page
from app.pages.outbox import outbox_page
from app.pages.post_detail import post_detail_page
from app.pages.status import status_page
from app.pages.welcome import welcome_page
from state.account import AccountState
from state.auth import AuthState, ResetState, VerifyState
from state.calendar import CalendarState, HomeState
from state.outbox import OutboxState
from state.post_detail import PostDetailState
from state.status import StatusState
from state.workspace import OnboardingState

app = rx.App(api_transformer=create_api())
app.add_page(home_page, route=routes.HOME, title="Quillcast", on_load=HomeState.go_home)
app.add_page(status_page, route=routes.STATUS, title="Quillcast — status", on_load=StatusState.refresh)
app.add_page(calendar_page, route=routes.CALENDAR, title="Quillcast — calendar", on_load=CalendarState.open)
app.add_page(post_detail_page, route=routes.POST_DETAIL, title="Quillcast — post",
             on_load=PostDetailState.open)
app.add_page(signup_page, route=routes.SIGNUP, title="Quillcast — create your account")
app.add_page(signin_page, route=routes.SIGNIN, title="Quillcast — sign in")
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

"""Sign-up, sign-in (with the 2FA step), verify, forgot/reset: thin Reflex state over app.services.

The session token lives in a cookie (SameSite=Strict, Secure in production). The user id is kept
only in backend vars (names starting with `_`) and is re-derived from the token on the server in
every handler that needs it: nothing the browser sends can name another user.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import session_scope
from app.services.errors import DomainError
from app.services.identity import accounts, authentication, sessions, setup
from app.services.identity.sessions import SessionInfo

SESSION_COOKIE = sessions.COOKIE_NAME
HOME = "/"  # where sign-in lands: HomeState sends it on to the calendar, which sends it on to /welcome
T = TypeVar("T")


async def in_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service function in its own unit of work, off the event loop (argon2 and SQL block)."""

    def run() -> T:
        with session_scope() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(run)


def field_errors(exc: DomainError) -> dict[str, str]:
    """{field: message} for the form; a problem with no field goes under "form"."""
    out: dict[str, str] = {}
    for p in exc.problems:
        key = p.field or "form"
        prefix = f"{key}: "
        out.setdefault(key, p.message[len(prefix):] if p.message.startswith(prefix) else p.message)
    return out


class AuthState(rx.State):
    """The signed-in person, as far as this browser tab is concerned."""

    session_token: str = rx.Cookie(
        "", name=SESSION_COOKIE, path="/", max_age=get_settings().session_absolute_hours * 3600,
        secure=get_settings().environment == "production", same_site="strict",
    )
    _user_id: str = ""
    user_email: str = ""
    user_name: str = ""
    # an instance administrator: the navigation then shows the Admin links (each admin page checks again)
    is_admin: bool = False

    def _client(self) -> tuple[str, str]:
        return self.router.session.client_ip or "", self.router.headers.user_agent or ""

    def current_session(self) -> SessionInfo | None:
        """The live session behind the cookie (server-side check), or None."""
        info = sessions.resolve(self.session_token) if self.session_token else None
        self._user_id = str(info.user_id) if info else ""
        return info

    def current_user_id(self) -> uuid.UUID | None:
        info = self.current_session()
        return info.user_id if info else None

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_email)

    @rx.event
    async def require_login(self):  # type: ignore[no-untyped-def]
        """on_load for every page behind sign-in: no live session -> /signin."""
        user_id = self.current_user_id()
        if user_id is None:
            self.user_email, self.user_name, self.is_admin = "", "", False
            return rx.redirect("/signin")
        self.user_email, self.user_name, self.is_admin = await in_db(_profile, user_id)
        return None

    @rx.event
    async def sign_out(self):  # type: ignore[no-untyped-def]
        token, (ip, _ua) = self.session_token, self._client()
        await in_db(lambda s: authentication.sign_out(s, token, ip=ip))
        self.session_token, self._user_id, self.user_email, self.user_name = "", "", "", ""
        self.is_admin = False
        return rx.redirect("/signin")


def _profile(session: Session, user_id: uuid.UUID) -> tuple[str, str, bool]:
    user = accounts.get_user(session, user_id)
    return user.email, user.display_name, user.is_admin


class SignUpState(AuthState):
    errors: dict[str, str] = {}
    done: bool = False
    mail_held: bool = False  # no SMTP: the confirmation waits in the outbox for an administrator
    submitting: bool = False

    @rx.event
    async def submit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.errors, self.submitting = {}, True
        yield
        ip, _ua = self._client()
        try:
            await in_db(lambda s: accounts.sign_up(
                s, email_address=str(form.get("email", "")), password=str(form.get("password", "")),
                display_name=str(form.get("display_name", "")), timezone=str(form.get("timezone") or "UTC"),
                ip=ip))
            self.done, self.mail_held = True, setup.mail_waits_for_admin()
        except DomainError as exc:
            self.errors = field_errors(exc)
        finally:
            self.submitting = False


class SignInState(AuthState):
    errors: dict[str, str] = {}
    step: str = "password"  # then "code" when two-factor authentication is on
    use_recovery: bool = False
    submitting: bool = False
    _challenge: str = ""

    @rx.event
    def toggle_recovery(self) -> None:
        self.use_recovery = not self.use_recovery
        self.errors = {}

    @rx.event
    def restart(self) -> None:
        self.step, self._challenge, self.errors, self.use_recovery = "password", "", {}, False

    @rx.event
    async def submit_password(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.errors, self.submitting = {}, True
        yield
        ip, ua = self._client()
        try:
            result = await in_db(lambda s: authentication.sign_in(
                s, email_address=str(form.get("email", "")), password=str(form.get("password", "")),
                ip=ip, user_agent=ua))
        except DomainError as exc:
            self.errors = field_errors(exc)
            self.submitting = False
            return
        self.submitting = False
        if result.needs_two_factor:
            self._challenge, self.step = result.challenge or "", "code"
            return
        self.session_token = result.session_token or ""
        yield rx.redirect(HOME)  # the calendar, or /welcome for a person with no workspace yet

    @rx.event
    async def submit_code(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.errors, self.submitting = {}, True
        yield
        ip, ua = self._client()
        challenge = self._challenge
        try:
            result = await in_db(lambda s: authentication.complete_two_factor(
                s, challenge=challenge, code=str(form.get("code", "")), ip=ip, user_agent=ua))
        except DomainError as exc:
            self.errors = field_errors(exc)
            if "challenge" in self.errors:  # the step expired: start again with the password
                self.step, self.errors = "password", {"form": self.errors["challenge"]}
            self.submitting = False
            return
        self.submitting = False
        self._challenge, self.step, self.use_recovery = "", "password", False
        self.session_token = result.session_token or ""
        yield rx.redirect(HOME)  # the calendar, or /welcome for a person with no workspace yet


class VerifyState(AuthState):
    status: str = "checking"  # checking | ok | error | resend (no link: ask for a new one)
    message: str = ""
    errors: dict[str, str] = {}
    resent: bool = False

    @rx.event
    async def on_load(self) -> None:
        token = self.router.url.query_parameters.get("token", "")
        ip, _ua = self._client()
        self.errors, self.resent = {}, False
        if not token:
            self.status, self.message = "resend", ""
            return
        self.status = "checking"
        try:
            await in_db(lambda s: accounts.verify_email(s, token=token, ip=ip))
            self.status, self.message = "ok", "Your e-mail address is confirmed. You can sign in now."
        except DomainError as exc:
            self.status, self.message = "error", next(iter(field_errors(exc).values()))

    @rx.event
    async def resend(self, form: dict[str, Any]) -> None:
        ip, _ua = self._client()
        address = str(form.get("email", ""))
        self.errors = {}
        try:
            await in_db(lambda s: accounts.resend_verification(s, email_address=address, ip=ip))
            self.resent = True
        except DomainError as exc:
            self.errors = field_errors(exc)


class ForgotState(AuthState):
    errors: dict[str, str] = {}
    done: bool = False
    submitting: bool = False

    @rx.event
    async def submit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.errors, self.submitting = {}, True
        yield
        ip, _ua = self._client()
        try:
            await in_db(lambda s: accounts.request_password_reset(s, email_address=str(form.get("email", "")),
                                                                  ip=ip))
            self.done = True
        except DomainError as exc:
            self.errors = field_errors(exc)
        finally:
            self.submitting = False


class ResetState(AuthState):
    errors: dict[str, str] = {}
    done: bool = False
    submitting: bool = False
    _token: str = ""

    @rx.event
    def on_load(self) -> None:
        self._token = self.router.url.query_parameters.get("token", "")
        self.errors, self.done = {}, False

    @rx.event
    async def submit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.errors, self.submitting = {}, True
        yield
        ip, _ua = self._client()
        token = self._token
        try:
            password = str(form.get("password", ""))
            await in_db(lambda s: accounts.reset_password(s, token=token, new_password=password, ip=ip))
            self.done = True
        except DomainError as exc:
            self.errors = field_errors(exc)
        finally:
            self.submitting = False

"""First-run setup: the /setup page (the first administrator) and the "not set up yet" notice.

Thin: app.services.identity.setup decides whether the token is right and whether setup is still needed.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from app.services.errors import Conflict, DomainError, PermissionDenied
from app.services.identity import setup
from state.auth import AuthState, field_errors, in_db

BROWSER_ZONE = "Intl.DateTimeFormat().resolvedOptions().timeZone"


class SetupNoticeState(rx.State):
    """Whether this instance still waits for its setup link: the signed-out pages say so."""

    setup_needed: bool = False

    @rx.event
    async def check(self) -> None:
        self.setup_needed = await in_db(setup.setup_needed)


class SetupState(AuthState):
    status: str = "checking"  # checking | form | no_token | set_up
    message: str = ""
    errors: dict[str, str] = {}
    submitting: bool = False
    timezone: str = "UTC"
    _token: str = ""

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        self._token = self.router.url.query_parameters.get("token", "")
        self.errors, self.message, self.status = {}, "", "checking"
        ip, _ua = self._client()
        token = self._token
        try:
            await in_db(lambda s: setup.check_token(s, token, ip=ip))
        except Conflict:
            self.status = "set_up"
            return None
        except PermissionDenied:
            self.status = "no_token"
            self.message = "This setup link is not valid." if token else ""
            return None
        except DomainError as exc:  # too many attempts from this address
            self.status, self.message = "no_token", next(iter(field_errors(exc).values()))
            return None
        self.status = "form"
        return rx.call_script(BROWSER_ZONE, callback=SetupState.use_browser_timezone)

    @rx.event
    def use_browser_timezone(self, zone: Any) -> None:
        if isinstance(zone, str) and zone and self.timezone == "UTC":
            self.timezone = zone[:100]

    @rx.event
    def set_timezone(self, zone: str) -> None:
        self.timezone = zone[:100]

    @rx.event
    async def submit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if self.submitting:
            return
        self.errors, self.submitting = {}, True
        yield
        ip, ua = self._client()
        token = self._token
        try:
            first = await in_db(lambda s: setup.create_first_admin(
                s, token, email_address=str(form.get("email", "")), password=str(form.get("password", "")),
                display_name=str(form.get("display_name", "")), timezone=str(form.get("timezone") or "UTC"),
                ip=ip, user_agent=ua))
        except Conflict:  # someone used the link a moment earlier
            self.status, self.submitting = "set_up", False
            return
        except PermissionDenied:
            self.status, self.message, self.submitting = "no_token", "This setup link is not valid.", False
            return
        except DomainError as exc:
            self.errors, self.submitting = field_errors(exc), False
            return
        self.submitting = False
        self.session_token = first.session_token
        yield rx.redirect("/")

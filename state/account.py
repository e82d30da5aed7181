"""Account settings: profile, password, two-factor authentication, notifications, sessions. Every
handler first re-derives the user from the session cookie on the server (AuthState.current_user_id)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import reflex as rx
from sqlmodel import Session

from app.services.errors import DomainError
from app.services.identity import accounts, authentication, sessions, totp
from app.services.messaging import notifications
from state.auth import AuthState, field_errors, in_db


def _snapshot(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    user = accounts.get_user(session, user_id)
    return {
        "email": user.email, "display_name": user.display_name, "timezone": user.timezone,
        "pending_email": user.pending_email or "", "two_factor": totp.is_enabled(user),
        "recovery_left": totp.remaining_recovery_codes(session, user_id),
        "notifications": notifications.preferences(session, user_id),
    }


class AccountState(AuthState):
    display_name: str = ""
    timezone: str = "UTC"
    pending_email: str = ""
    two_factor: bool = False
    recovery_left: int = 0
    errors: dict[str, str] = {}
    notice: str = ""
    # 2FA enrolment in progress: the QR code (a data: URL of our own SVG) and the manual key.
    enrol_qr: str = ""
    enrol_key: str = ""
    recovery_codes: list[str] = []
    session_rows: list[dict[str, str]] = []
    # Notice e-mails on or off, by kind (app.services.messaging.notifications.KINDS).
    notification_prefs: dict[str, bool] = {kind: True for kind in notifications.KINDS}

    @rx.var
    def recovery_text(self) -> str:
        """The recovery codes as the text that "Copy all" copies and "Download .txt" saves."""
        if not self.recovery_codes:
            return ""
        return "\n".join([
            f"Quillcast recovery codes for {self.user_email}",
            "Each code signs you in once when you cannot use your authenticator app.",
            "",
            *self.recovery_codes,
            "",
        ])

    @rx.var
    def recovery_file(self) -> str:
        """The same text as a data: URL, so the browser saves it without another request."""
        encoded = base64.b64encode(self.recovery_text.encode()).decode()
        return "data:text/plain;charset=utf-8;base64," + encoded

    async def _load(self, user_id: uuid.UUID, current_id: str) -> None:
        snap = await in_db(_snapshot, user_id)
        self.user_email, self.user_name = snap["email"], snap["display_name"]
        self.display_name, self.timezone = snap["display_name"], snap["timezone"]
        self.pending_email, self.two_factor = snap["pending_email"], snap["two_factor"]
        self.recovery_left = snap["recovery_left"]
        self.notification_prefs = snap["notifications"]
        self.session_rows = [
            {"id": s.id, "device": s.device, "ip": s.ip or "unknown",
             "created": s.created_at.strftime("%Y-%m-%d %H:%M UTC"),
             "last_seen": s.last_seen_at.strftime("%Y-%m-%d %H:%M UTC"),
             "current": "yes" if s.id == current_id else ""}
            for s in sessions.list_for_user(user_id)
        ]

    def _who(self) -> tuple[uuid.UUID, str] | None:
        info = self.current_session()
        return (info.user_id, info.id) if info else None

    @rx.event
    async def on_load(self) -> None:
        """Runs after AuthState.require_login (which sends a signed-out browser to /signin)."""
        who = self._who()
        if who is None:
            return
        self.errors, self.notice, self.enrol_qr, self.enrol_key, self.recovery_codes = {}, "", "", "", []
        await self._load(*who)

    async def _act(self, action: Any, notice: str) -> bool:
        """Run `action(session, user_id)` for the signed-in user; errors go next to their fields."""
        who = self._who()
        if who is None:
            self.errors = {"form": "your session has ended: sign in again"}
            return False
        self.errors, self.notice = {}, ""
        try:
            await in_db(action, who[0])
        except DomainError as exc:
            self.errors = field_errors(exc)
            return False
        who = self._who()  # the action may have replaced the session
        if who:
            await self._load(*who)
        self.notice = notice
        return True

    @rx.event
    async def save_profile(self, form: dict[str, Any]) -> None:
        name, tz = str(form.get("display_name", "")), str(form.get("timezone", ""))
        await self._act(
            lambda s, uid: accounts.update_profile(s, user_id=uid, display_name=name, timezone=tz),
            "Profile saved.")

    @rx.event
    async def change_email(self, form: dict[str, Any]) -> None:
        ip, _ua = self._client()
        new_email, password = str(form.get("new_email", "")), str(form.get("email_password", ""))
        await self._act(
            lambda s, uid: accounts.change_email(s, user_id=uid, password=password, new_email=new_email,
                                                 ip=ip),
            "We sent a link to the new address: the change happens when you follow it.")
        if "password" in self.errors:  # this form's password field has its own name on the page
            errors = dict(self.errors)
            errors["email_password"] = errors.pop("password")
            self.errors = errors

    @rx.event
    async def change_password(self, form: dict[str, Any]) -> None:
        ip, ua = self._client()
        current, new = str(form.get("current_password", "")), str(form.get("new_password", ""))
        tokens: list[str] = []

        def action(s: Session, uid: uuid.UUID) -> None:
            tokens.append(accounts.change_password(s, user_id=uid, current_password=current,
                                                   new_password=new, ip=ip, user_agent=ua))

        who = self._who()
        if await self._act(action, "") and tokens:
            self.session_token = tokens[0]  # every other session ended; this one continues with a new token
            if who:
                await self._load(who[0], sessions.session_id_of(tokens[0]))
            self.notice = "Password changed. Every other session was signed out."

    @rx.event
    async def start_two_factor(self, form: dict[str, Any]) -> None:
        ip, _ua = self._client()
        password = str(form.get("password", ""))
        found: list[totp.Enrolment] = []
        await self._act(lambda s, uid: found.append(totp.begin_enrolment(s, uid, password, ip=ip)), "")
        if found:
            svg = base64.b64encode(found[0].qr_svg.encode()).decode()
            self.enrol_qr, self.enrol_key = f"data:image/svg+xml;base64,{svg}", found[0].secret

    @rx.event
    async def confirm_two_factor(self, form: dict[str, Any]) -> None:
        ip, ua = self._client()
        code = str(form.get("code", ""))
        result: list[tuple[list[str], str]] = []
        await self._act(
            lambda s, uid: result.append(totp.confirm_enrolment(s, uid, code, ip=ip, user_agent=ua)), "")
        if result:
            codes, token = result[0]
            self.session_token = token
            who = self._who()
            if who:
                await self._load(*who)
            self.enrol_qr, self.enrol_key, self.recovery_codes = "", "", codes
            self.notice = "Two-factor authentication is on. Keep the recovery codes somewhere safe."

    @rx.event
    async def disable_two_factor(self, form: dict[str, Any]) -> None:
        ip, _ua = self._client()
        password = str(form.get("password", ""))
        await self._act(lambda s, uid: totp.disable(s, uid, password, ip=ip),
                        "Two-factor authentication is off.")

    @rx.event
    async def revoke(self, session_id: str) -> None:
        ip, _ua = self._client()
        await self._act(lambda s, uid: authentication.revoke_session(s, uid, session_id, ip=ip),
                        "Session signed out.")

    @rx.event
    async def sign_out_everywhere(self):  # type: ignore[no-untyped-def]
        ip, _ua = self._client()
        await self._act(lambda s, uid: authentication.sign_out_everywhere(s, uid, ip=ip), "")
        self.session_token = ""
        return rx.redirect("/signin")

    @rx.event
    async def set_notification(self, kind: str, enabled: bool):  # type: ignore[no-untyped-def]
        """A switch saves at once; a refused change puts the switch back."""
        who = self._who()
        if who is None:
            yield rx.toast.error("Your session has ended: sign in again.")
            return
        try:
            self.notification_prefs = await in_db(notifications.set_preference, who[0], kind, bool(enabled))
        except DomainError as exc:
            self.notification_prefs = await in_db(notifications.preferences, who[0])
            yield rx.toast.error(exc.message)
            return
        label = notifications.KINDS[kind].label
        yield rx.toast.success(f"E-mails turned {'on' if enabled else 'off'}: “{label}”.")

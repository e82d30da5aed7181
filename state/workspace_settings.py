"""Workspace settings: name, time zone, the two-factor policy, members and their roles, invitations, and
the outgoing webhooks.

Thin: each handler calls app/services/workspaces, invitations or webhooks through `self.run` (the user's
claims, RLS applies); those check workspace:manage / member:manage / member:invite again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from app.core import routes
from app.services.errors import DomainError
from app.services.events import webhooks
from app.services.tenancy import invitations, workspaces
from state.auth import field_errors
from state.forms import ConfirmDialog, OnceForm, fresh_nonce
from state.live import client_connected
from state.workspace import WorkspaceState


def _load(session, user_id, workspace_id):  # type: ignore[no-untyped-def]
    ws = workspaces.get_workspace(session, user_id, workspace_id).workspace
    members = [
        {"id": str(m.user_id), "email": m.email, "name": m.display_name or m.email, "role": m.role,
         "two_fa": "2FA on" if m.has_2fa else "2FA off", "me": "yes" if m.user_id == user_id else ""}
        for m in workspaces.members(session, user_id, workspace_id)
    ]
    return ws.name, ws.timezone, ws.require_2fa, members


def _pending(session, user_id, workspace_id):  # type: ignore[no-untyped-def]
    return [
        {"id": str(i.id), "email": i.email, "role": i.role,
         "expires": i.expires_at.strftime("%Y-%m-%d")}
        for i in invitations.pending(session, user_id, workspace_id)
    ]


def _save_general(session, user_id, workspace_id, name, timezone):  # type: ignore[no-untyped-def]
    errors: dict[str, str] = {}
    for fn, value in ((workspaces.rename, name), (workspaces.set_timezone, timezone)):
        try:
            with session.begin_nested():
                fn(session, user_id, workspace_id, value)
        except DomainError as exc:
            errors.update(field_errors(exc))
    return errors


class WorkspaceSettingsState(OnceForm, ConfirmDialog, WorkspaceState):
    name: str = ""
    timezone: str = ""
    require_2fa: bool = False
    members: list[dict[str, str]] = []
    pending: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    invite_errors: dict[str, str] = {}
    member_errors: dict[str, str] = {}
    saving: bool = False
    invite_nonce: str = ""  # the invite form's own; `nonce` is the general form's
    loaded: bool = False

    @rx.var
    def can_manage(self) -> bool:
        return "workspace:manage" in self.allowed

    @rx.var
    def can_manage_members(self) -> bool:
        return "member:manage" in self.allowed

    @rx.var
    def can_invite(self) -> bool:
        return "member:invite" in self.allowed

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self.nonce, self.invite_nonce = fresh_nonce(), fresh_nonce()
        self.errors, self.invite_errors, self.member_errors, self.confirm_id = {}, {}, {}, ""
        await self._refresh()

    async def _refresh(self) -> None:
        self.name, self.timezone, self.require_2fa, self.members = await self.run(_load)
        self.pending = await self.run(_pending) if self.can_invite else []
        self.loaded = True

    @rx.event
    async def save_general(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.errors = True, {}
        yield
        try:
            errors = await self.run(_save_general, str(form.get("name", "")), str(form.get("timezone", "")))
        except DomainError as exc:
            errors = field_errors(exc)
        self.saving, self.nonce = False, fresh_nonce()
        if errors:
            self.errors = errors  # the form keeps what was typed (uncontrolled inputs)
            return
        await self._refresh()
        self.workspace_name, self.workspace_timezone = self.name, self.timezone
        yield rx.toast.success("Workspace saved.")

    @rx.event
    async def set_require_2fa(self, required: bool):  # type: ignore[no-untyped-def]
        self.errors = {}
        try:
            await self.run(workspaces.set_require_2fa, bool(required))
        except DomainError as exc:
            self.errors = field_errors(exc)
            self.require_2fa = not required  # the switch goes back to what is stored
            return
        self.require_2fa = bool(required)
        now = "required." if required else "optional."
        yield rx.toast.success("Two-factor authentication is now " + now)

    @rx.event
    async def change_role(self, member_id: str, role: str):  # type: ignore[no-untyped-def]
        self.member_errors = {}
        try:
            await self.run(workspaces.change_role, uuid.UUID(member_id), role)
        except DomainError as exc:
            self.member_errors = {member_id: exc.message.removeprefix("role: ")}
        await self._refresh()

    @rx.event
    def ask_remove(self, member_id: str) -> None:
        row = next((m for m in self.members if m["id"] == member_id), None)
        if row is not None:
            self.confirm_id, self.confirm_label = member_id, row["name"]

    @rx.event
    async def remove(self):  # type: ignore[no-untyped-def]
        member_id = self._confirmed()
        if not member_id:
            return
        self.member_errors = {}
        try:
            await self.run(workspaces.remove_member, uuid.UUID(member_id))
        except DomainError as exc:
            self.member_errors = {member_id: exc.message.removeprefix("user_id: ")}
            return
        await self._refresh()
        yield rx.toast.success("Member removed.")

    @rx.event
    async def invite(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.invite_errors = True, {}
        yield
        _, errors = await self.run_form(invitations.invite, str(form.get("email", "")),
                                        str(form.get("role", "")))
        self.saving, self.invite_nonce = False, fresh_nonce()
        if errors:
            self.invite_errors = errors
            return
        await self._refresh()
        yield rx.toast.success("Invitation sent.")
        yield rx.set_value("email", "")

    @rx.event
    async def revoke(self, invitation_id: str):  # type: ignore[no-untyped-def]
        return await self.act(invitations.revoke, uuid.UUID(invitation_id), done="Invitation revoked.",
                              refresh=self._refresh)


# --- webhooks: their own substate, so the page keeps one nonce and one confirm dialog per section ---
EVENT_LABELS = {
    "target.published": "a post went out on a channel (with its live URL)",
    "target.failed": "a post failed on a channel (with the network's words)",
    "target.unknown": "we cannot tell whether a post went out: someone must check",
    "post.approval_requested": "a post waits for approval",
    "post.approved": "a post was approved",
    "post.changes_requested": "a reviewer asked for changes",
}
WEBHOOK_POLL_SECONDS = 2.0
# Retries back off up to an hour apart; an open page follows them this long, a reload starts again.
WEBHOOK_POLL_FOR_SECONDS = 30 * 60.0
# The service's field names -> the ids of the add form's and the edit form's fields.
ADD_FIELDS = {"url": "webhook_url", "description": "webhook_description"}
EDIT_FIELDS = {"url": "edit_url", "description": "edit_description", "events": "edit_events",
               "webhook_id": "form"}  # deleted meanwhile: said above the buttons


def _when(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d %b %H:%M:%S")


def _webhook_rows(session, user_id, workspace_id, timezone):  # type: ignore[no-untyped-def]
    hooks = webhooks.list_webhooks(session, user_id, workspace_id)
    urls = {h.id: h.url for h in hooks}
    rows = [
        {"id": str(h.id), "url": h.url, "description": h.description, "events": ", ".join(h.events),
         "active": "yes" if h.active else "",
         "last_status": h.last_status or "never sent", "last_at": _when(h.last_delivery_at, timezone)}
        for h in hooks
    ]
    deliveries = [
        {"id": str(d.id), "event": d.event, "status": d.status, "attempts": str(d.attempts),
         "http_status": str(d.http_status) if d.http_status is not None else "—",
         "excerpt": d.response_excerpt or "", "when": _when(d.created_at, timezone),
         "next": _when(d.next_attempt_at, timezone) if d.status == "pending" and d.attempts else "",
         "url": urls.get(d.webhook_id, "")}
        for d in webhooks.list_deliveries(session, user_id, workspace_id, limit=20)
    ]
    return rows, deliveries


class WebhookSettingsState(OnceForm, ConfirmDialog, WorkspaceState):
    hooks: list[dict[str, str]] = []
    deliveries: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    # The signing secret, shown once right after it was made; never kept on the server side either.
    new_secret: str = ""
    new_secret_url: str = ""
    saving: bool = False
    # The webhook being edited ("" when none) and what its form starts with; the secret is not among them.
    edit_id: str = ""
    edit_url: str = ""
    edit_description: str = ""
    edit_events: list[str] = []
    edit_errors: dict[str, str] = {}
    edit_nonce: str = ""
    _polling: bool = False

    @rx.var
    def can_manage(self) -> bool:
        return webhooks.PERMISSION in self.allowed

    @rx.var
    def waiting(self) -> bool:
        return any(d["status"] == "pending" for d in self.deliveries)

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        self.errors, self.new_secret, self.new_secret_url, self.confirm_id = {}, "", "", ""
        self.edit_id, self.edit_errors = "", {}
        self.nonce = fresh_nonce()
        if self._workspace_id and self.can_manage:
            await self._refresh()
            if self.waiting:
                return WebhookSettingsState.poll
        return None

    async def _refresh(self) -> None:
        self.hooks, self.deliveries = await self.run(_webhook_rows, self.workspace_timezone)

    def _show_secret(self, secret: str, url: str) -> None:
        self.new_secret, self.new_secret_url = secret, url

    @rx.event
    async def add(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.errors = True, {}
        yield
        events = [e for e in EVENT_LABELS if form.get(f"event:{e}")]
        created, errors = await self.run_form(webhooks.create, str(form.get("webhook_url", "")), events,
                                              str(form.get("webhook_description", "")))
        self.saving, self.nonce = False, fresh_nonce()
        if errors or created is None:
            # The form's own names: `url` and `description` are the service's words for them.
            self.errors = {ADD_FIELDS.get(k, k): v for k, v in errors.items()}
            return
        hook, secret = created
        self._show_secret(secret, hook.url)
        await self._refresh()
        # The form is uncontrolled (it keeps what was typed on an error): empty it after a success.
        yield rx.call_script("document.getElementById('webhook-form').reset()")

    @rx.event
    def start_edit(self, webhook_id: str) -> None:
        row = next((h for h in self.hooks if h["id"] == webhook_id), None)
        if row is None:
            return
        self.edit_id, self.edit_url, self.edit_description = webhook_id, row["url"], row["description"]
        self.edit_events = [e for e in row["events"].split(", ") if e]
        self.edit_errors, self.edit_nonce = {}, fresh_nonce()

    @rx.event
    def cancel_edit(self) -> None:
        self.edit_id, self.edit_errors = "", {}

    @rx.event
    async def save_edit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self.edit_id or not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.edit_errors = True, {}
        yield
        hook_id = uuid.UUID(self.edit_id)
        url, description = str(form.get("edit_url", "")), str(form.get("edit_description", ""))
        events = [e for e in EVENT_LABELS if form.get(f"edit-event:{e}")]
        saved, errors = await self.run_form(lambda s, u, w: webhooks.update(
            s, u, w, hook_id, url=url, events=events, description=description))
        self.saving, self.edit_nonce = False, fresh_nonce()
        if errors or saved is None:
            self.edit_errors = {EDIT_FIELDS.get(k, k): v for k, v in errors.items()}
            return
        self.edit_id = ""
        await self._refresh()
        yield rx.toast.success("Webhook saved.")

    @rx.event
    def dismiss_secret(self) -> None:
        self.new_secret, self.new_secret_url = "", ""

    @rx.event
    async def send_test(self, webhook_id: str):  # type: ignore[no-untyped-def]
        return await self.act(webhooks.send_test, uuid.UUID(webhook_id), refresh=self._refresh,
                              done="Test event sent: its delivery is listed below.",
                              then=[WebhookSettingsState.poll])

    @rx.event
    async def rotate(self, webhook_id: str):  # type: ignore[no-untyped-def]
        try:
            secret = await self.run(webhooks.rotate_secret, uuid.UUID(webhook_id))
        except DomainError as exc:
            yield rx.toast.error(exc.message)
            return
        url = next((h["url"] for h in self.hooks if h["id"] == webhook_id), "")
        self._show_secret(secret, url)
        yield rx.toast.success("New secret made: the old one no longer signs deliveries.")

    @rx.event
    async def set_active(self, webhook_id: str, active: bool):  # type: ignore[no-untyped-def]
        try:
            await self.run(webhooks.update, uuid.UUID(webhook_id), active=bool(active))
        except DomainError as exc:
            yield rx.toast.error(exc.message)
        await self._refresh()

    @rx.event
    def ask_delete(self, webhook_id: str) -> None:
        row = next((h for h in self.hooks if h["id"] == webhook_id), None)
        if row is not None:
            self.confirm_id, self.confirm_label = webhook_id, row["url"]

    @rx.event
    async def delete(self):  # type: ignore[no-untyped-def]
        webhook_id = self._confirmed()
        if not webhook_id:
            return
        return await self.act(webhooks.delete, uuid.UUID(webhook_id), done="Webhook deleted.",
                              refresh=self._refresh)

    @rx.event(background=True)
    async def poll(self):  # type: ignore[no-untyped-def]
        """Refresh the list every 2 s while a delivery is pending (a retry waiting too), while this tab is
        open and still on this page; at most WEBHOOK_POLL_FOR_SECONDS.

        Started by on_load, Reflex cancels it with the page's load chain when the tab navigates away or
        disconnects; started by "Send test" it is a chain of its own, so it checks the page itself."""
        async with self:
            if self._polling:
                return
            self._polling = True
            token = self.router.session.client_token
        try:
            deadline = time.monotonic() + WEBHOOK_POLL_FOR_SECONDS
            while time.monotonic() < deadline:
                await asyncio.sleep(WEBHOOK_POLL_SECONDS)
                if not client_connected(token):
                    return
                async with self:
                    if not _on_page(self.router.url.path):
                        return
                    await self._refresh()
                    if not self.waiting:
                        return
        finally:
            async with self:
                self._polling = False


def _on_page(path: str) -> bool:
    """The tab still shows the settings page: the router holds the path of the tab's latest event."""
    return path.rstrip("/") == routes.WORKSPACE_SETTINGS

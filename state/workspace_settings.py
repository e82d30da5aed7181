"""Workspace settings: name, time zone, the two-factor policy, members and their roles, invitations.

Thin: each handler calls app/services/workspaces or invitations through `self.run` (the user's claims,
RLS applies); those check workspace:manage / member:manage / member:invite again.
"""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from app.services import invitations, workspaces
from app.services.errors import DomainError
from state.auth import field_errors
from state.forms import ConfirmDialog, OnceForm, fresh_nonce
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
        try:
            await self.run(invitations.revoke, uuid.UUID(invitation_id))
        except DomainError as exc:
            yield rx.toast.error(exc.message)
            return
        await self._refresh()
        yield rx.toast.success("Invitation revoked.")

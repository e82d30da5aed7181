"""Accepting a workspace invitation from the link in its e-mail."""

from __future__ import annotations

import asyncio

import reflex as rx

from app.core.db import session_scope, user_claims
from app.services.errors import DomainError
from app.services.tenancy import invitations
from state.auth import field_errors
from state.forms import OnceForm, fresh_nonce
from state.workspace import WorkspaceState


class InvitationState(OnceForm, WorkspaceState):
    _token: str = ""
    has_token: bool = False
    signed_in_here: bool = False
    error: str = ""
    joining: bool = False

    @rx.event
    def prepare(self) -> None:
        self._token = self.router.url.query_parameters.get("token", "")[:200]
        self.has_token = bool(self._token)
        self.error = "" if self._token else "This link has no invitation in it: open the one in the e-mail."
        self.nonce = fresh_nonce()
        self.signed_in_here = self.current_user_id() is not None

    @rx.event
    async def accept(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.joining):
            return
        user_id = self.current_user_id()
        if user_id is None:
            yield rx.redirect("/signin")
            return
        self.joining, self.error = True, ""
        yield
        token = self._token

        def work() -> str:
            with session_scope(user_claims(user_id)) as session:
                return str(invitations.accept(session, user_id, token).workspace_id)

        try:
            workspace_id = await asyncio.to_thread(work)
        except DomainError as exc:
            self.error = next(iter(field_errors(exc).values()), exc.message)
            self.joining = False
            self.nonce = fresh_nonce()
            return
        self.joining = False
        self.workspace_choice = workspace_id  # the switcher opens the workspace just joined
        yield rx.redirect("/")

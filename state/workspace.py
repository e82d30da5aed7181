"""The workspace a signed-in person is working in: every page behind sign-in builds on this.

The chosen workspace id lives in a cookie only as a preference; the server re-checks the membership
on every load, and services check the permission again. Data access through `run` acts under the
user's own database claims, so Row Level Security applies to the UI as it does to the API.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import reflex as rx

from app.core.db import session_scope, user_claims
from app.services.errors import DomainError
from app.services.tenancy import permissions, workspaces
from state.auth import AuthState, field_errors
from state.forms import OnceForm, fresh_nonce

logger = logging.getLogger(__name__)
T = TypeVar("T")
ONBOARDING = "/welcome"
UNEXPECTED = "Something went wrong on the server; nothing was saved. Please try again."


class WorkspaceState(AuthState):
    workspace_choice: str = rx.Cookie("", name="qc_workspace", path="/", same_site="strict")
    _workspace_id: str = ""
    workspace_name: str = ""
    workspace_timezone: str = "UTC"
    role: str = ""
    my_workspaces: list[dict[str, str]] = []

    @rx.var
    def allowed(self) -> list[str]:
        """What this role may do: the UI hides what it cannot; services refuse it regardless."""
        return sorted(permissions.MATRIX.get(self.role, frozenset()))

    def ids(self) -> tuple[uuid.UUID, uuid.UUID]:
        """(user id, workspace id), re-derived from the session cookie on the server."""
        user_id = self.current_user_id()
        if user_id is None or not self._workspace_id:
            raise DomainError("your session ended: sign in again")
        return user_id, uuid.UUID(self._workspace_id)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """fn(session, user_id, workspace_id, *args) under the user's claims, off the event loop."""
        user_id, workspace_id = self.ids()

        def work() -> T:
            with session_scope(user_claims(user_id)) as session:
                return fn(session, user_id, workspace_id, *args, **kwargs)

        return await asyncio.to_thread(work)

    async def act(self, fn: Callable[..., T], *args: Any, done: str | Callable[[T], str],
                  refresh: Callable[[], Awaitable[None]], then: list[Any] | None = None) -> Any:
        """A one-click action (revoke, archive, delete, ...): the service's own words in an error toast;
        else `refresh` the page's lists, say `done` (or `done(result)`) and fire `then`."""
        try:
            result = await self.run(fn, *args)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await refresh()
        return [rx.toast.success(done(result) if callable(done) else done), *(then or [])]

    async def run_form(self, fn: Callable[..., T], *args: Any) -> tuple[T | None, dict[str, str]]:
        """`run` for a form's submit: (result, {}) or (None, the errors to show). An unexpected failure
        is logged and shown as a form-level message, so the form is never left stuck in "saving"."""
        try:
            return await self.run(fn, *args), {}
        except DomainError as exc:
            return None, field_errors(exc)
        except Exception:  # noqa: BLE001 - never leave the form stuck in "saving"
            logger.exception("form handler failed")
            return None, {"form": UNEXPECTED}

    @rx.event
    async def require_workspace(self):  # type: ignore[no-untyped-def]
        """on_load for workspace pages: signed in, and a member of the chosen (or first) workspace."""
        redirect = await AuthState.require_login.fn(self)  # type: ignore[attr-defined]
        if redirect is not None:
            return redirect
        user_id = self.current_user_id()
        assert user_id is not None

        def load() -> list[workspaces.MyWorkspace]:
            with session_scope(user_claims(user_id)) as session:
                return workspaces.my_workspaces(session, user_id)

        mine = await asyncio.to_thread(load)
        if not mine:
            return rx.redirect(ONBOARDING)
        chosen = next((m for m in mine if str(m.workspace.id) == self.workspace_choice), mine[0])
        self._apply(chosen)
        self.my_workspaces = [
            {"id": str(m.workspace.id), "name": m.workspace.name, "role": m.role} for m in mine
        ]
        return None

    def _apply(self, chosen: workspaces.MyWorkspace) -> None:
        self._workspace_id = str(chosen.workspace.id)
        self.workspace_choice = self._workspace_id
        self.workspace_name = chosen.workspace.name
        self.workspace_timezone = chosen.workspace.timezone
        self.role = chosen.role

    @rx.event
    async def switch(self, workspace_id: str):  # type: ignore[no-untyped-def]
        if workspace_id not in {w["id"] for w in self.my_workspaces}:
            return rx.toast.error("You are not a member of that workspace.")
        self.workspace_choice = workspace_id
        return rx.call_script("window.location.reload()")


class OnboardingState(OnceForm, WorkspaceState):
    errors: dict[str, str] = {}
    saving: bool = False

    @rx.event
    async def prepare(self):  # type: ignore[no-untyped-def]
        self.nonce = fresh_nonce()
        return await AuthState.require_login.fn(self)  # type: ignore[attr-defined]

    @rx.event
    async def create(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        user_id = self.current_user_id()
        if user_id is None:
            yield rx.redirect("/signin")
            return
        self.saving, self.errors = True, {}
        yield

        def work() -> str:
            with session_scope(user_claims(user_id)) as session:
                ws = workspaces.create_workspace(session, user_id, str(form.get("name", "")),
                                                 str(form.get("timezone", "") or "UTC"))
                return str(ws.id)

        try:
            self.workspace_choice = await asyncio.to_thread(work)
        except DomainError as exc:
            self.errors = field_errors(exc)
            self.saving = False
            self.nonce = fresh_nonce()  # the corrected form may be sent again
            return
        self.saving = False
        yield rx.redirect("/")

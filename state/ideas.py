"""Ideas board: add, edit, archive cards; "turn into post" opens the composer with the idea.

Thin: handlers call app/services/ideas through `self.run` (the user's claims; the service checks
post:create again)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from app.services.planning import ideas
from state.forms import OnceForm, fresh_nonce
from state.workspace import WorkspaceState

EXCERPT = 280


def _cards(session, user_id, workspace_id):  # type: ignore[no-untyped-def]
    return [
        {"id": str(i.id), "title": i.title, "notes": i.notes,
         "excerpt": i.notes if len(i.notes) <= EXCERPT else i.notes[:EXCERPT].rstrip() + "…",
         "created": i.created_at.strftime("%Y-%m-%d")}
        for i in ideas.board(session, user_id, workspace_id)
    ]


class IdeasState(OnceForm, WorkspaceState):
    cards: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    edit_errors: dict[str, str] = {}
    saving: bool = False
    editing_id: str = ""
    editing_title: str = ""
    editing_notes: str = ""
    loaded: bool = False

    @rx.var
    def can_create(self) -> bool:
        return "post:create" in self.allowed

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self.nonce, self.errors, self.editing_id = fresh_nonce(), {}, ""
        await self._refresh()

    async def _refresh(self) -> None:
        self.cards = await self.run(_cards)
        self.loaded = True

    @rx.event
    async def add(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.errors = True, {}
        yield
        _, errors = await self.run_form(ideas.add, str(form.get("title", "")), str(form.get("notes", "")))
        self.saving, self.nonce = False, fresh_nonce()
        if errors:
            self.errors = errors  # the typed text stays in the form
            return
        await self._refresh()
        yield [rx.set_value("title", ""), rx.set_value("notes", "")]

    @rx.event
    def start_edit(self, idea_id: str) -> None:
        card = next((c for c in self.cards if c["id"] == idea_id), None)
        if card is not None:
            self.editing_id, self.editing_title, self.editing_notes = idea_id, card["title"], card["notes"]
            self.edit_errors, self.nonce = {}, fresh_nonce()

    @rx.event
    def edit_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.editing_id = ""

    @rx.event
    def cancel_edit(self) -> None:
        self.editing_id = ""

    @rx.event
    async def save_edit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self.editing_id or not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.edit_errors = True, {}
        yield
        _, errors = await self.run_form(ideas.edit, uuid.UUID(self.editing_id),
                                        str(form.get("edit_title", "")), str(form.get("edit_notes", "")))
        if errors:
            self.edit_errors = {("edit_" + k if k in ("title", "notes") else k): v for k, v in errors.items()}
            self.saving, self.nonce = False, fresh_nonce()
            return
        self.saving, self.editing_id, self.nonce = False, "", fresh_nonce()
        await self._refresh()
        yield rx.toast.success("Idea saved.")

    @rx.event
    async def archive(self, idea_id: str):  # type: ignore[no-untyped-def]
        return await self.act(ideas.archive, uuid.UUID(idea_id), done="Idea archived.", refresh=self._refresh)

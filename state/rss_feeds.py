"""RSS feeds page: follow a feed (URL, channels, mode, template with a live preview), pause/resume, poll
now, stop following.

Thin: handlers call app/services/planning/rss_feeds and rss_poll through `self.run` (the user's claims;
the services check post:create / post:read again)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from app.services.errors import DomainError, ValidationFailed
from app.services.planning import compose, rss_feeds, rss_poll
from models import RSS_DEFAULT_TEMPLATE
from state.forms import ConfirmDialog, OnceForm, fresh_nonce
from state.workspace import WorkspaceState


def _rows(session, user_id, workspace_id):  # type: ignore[no-untyped-def]
    names = {c["id"]: c["name"] for c in compose.channel_choices(session, user_id, workspace_id)}
    rows = []
    for f in rss_feeds.list_feeds(session, user_id, workspace_id):
        mode = rss_feeds.MODE_LABELS.get(f.mode, f.mode)
        if f.mode == "delay":
            mode = f"Scheduled {f.delay_minutes} min after it is read"
        rows.append({
            "id": str(f.id), "url": f.url, "title": f.title or f.url, "mode": mode,
            "channels": ", ".join(names.get(c, "a removed channel") for c in f.channel_ids),
            "status": rss_feeds.status_line(session, f), "active": "yes" if f.active else "no",
            "error": "yes" if f.last_error and f.active else "",
            # what the edit form starts from
            "channel_ids": ",".join(f.channel_ids), "mode_value": f.mode, "delay": str(f.delay_minutes),
            "template": f.template, "utm_campaign": f.utm_campaign,
        })
    return rows, [{"id": cid, "name": name} for cid, name in names.items()]


def _said(result: rss_poll.PollResult) -> str:
    if result.status == "error":
        return f"Not read: {result.error}"
    if result.new_posts:
        return f"{result.new_posts} new post{'s' if result.new_posts > 1 else ''} made."
    return "Read: nothing new."


class RssFeedsState(OnceForm, ConfirmDialog, WorkspaceState):
    feeds: list[dict[str, str]] = []
    channel_options: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    saving: bool = False
    loaded: bool = False
    template: str = RSS_DEFAULT_TEMPLATE
    mode: str = "draft"
    # the feed being edited ("" when none) and what its form starts from
    editing_id: str = ""
    edit_row: dict[str, str] = {}
    edit_template: str = ""
    edit_mode: str = "draft"
    edit_errors: dict[str, str] = {}

    @rx.var
    def can_create(self) -> bool:
        return "post:create" in self.allowed

    @rx.var
    def preview(self) -> str:
        """The template filled with a sample item, as the form is typed."""
        try:
            return rss_feeds.preview(self.template)
        except ValidationFailed as exc:
            return f"({exc.message})"

    @rx.var
    def edit_preview(self) -> str:
        try:
            return rss_feeds.preview(self.edit_template)
        except ValidationFailed as exc:
            return f"({exc.message})"

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self.nonce, self.errors, self.confirm_id = fresh_nonce(), {}, ""
        await self._refresh()

    async def _refresh(self) -> None:
        self.feeds, self.channel_options = await self.run(_rows)
        self.loaded = True

    @rx.event
    def set_template(self, value: str) -> None:
        self.template = value

    @rx.event
    def set_mode(self, value: str) -> None:
        self.mode = value

    @rx.event
    async def add(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.errors = True, {}
        yield
        chosen = [k.split(":", 1)[1] for k, v in form.items() if k.startswith("channel:") and v]
        given = rss_feeds.FeedInput(
            url=str(form.get("url", "")), channel_ids=chosen, mode=self.mode,
            delay_minutes=str(form.get("delay_minutes", "60")) if self.mode == "delay" else None,
            template=self.template, utm_campaign=str(form.get("utm_campaign", "rss")))
        _, errors = await self.run_form(rss_feeds.create, given)
        self.saving, self.nonce = False, fresh_nonce()
        if errors:
            self.errors = errors
            return
        self.template, self.mode = RSS_DEFAULT_TEMPLATE, "draft"
        await self._refresh()
        yield [rx.call_script("document.getElementById('rss-feed-form').reset()"),
               rx.toast.success("Feed added: it is read within a minute.")]

    @rx.event
    async def set_active(self, feed_id: str, active: bool):  # type: ignore[no-untyped-def]
        return await self.act(rss_feeds.update, uuid.UUID(feed_id), rss_feeds.FeedInput(active=bool(active)),
                              done="Feed resumed." if active else "Feed paused.", refresh=self._refresh)

    @rx.event
    async def poll_now(self, feed_id: str):  # type: ignore[no-untyped-def]
        try:
            result = await self.run(rss_poll.poll_now, uuid.UUID(feed_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._refresh()
        # A failed read is the feed's state (shown on its row), but still the answer to this click.
        return (rx.toast.error if result.status == "error" else rx.toast.success)(_said(result))

    @rx.event
    def start_edit(self, feed_id: str) -> None:
        row = next((f for f in self.feeds if f["id"] == feed_id), None)
        if row is not None:
            self.editing_id, self.edit_row, self.edit_errors = feed_id, row, {}
            self.edit_template, self.edit_mode, self.nonce = row["template"], row["mode_value"], fresh_nonce()

    @rx.event
    def set_edit_template(self, value: str) -> None:
        self.edit_template = value

    @rx.event
    def set_edit_mode(self, value: str) -> None:
        self.edit_mode = value

    @rx.event
    def edit_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.editing_id = ""

    @rx.event
    async def save_edit(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self.editing_id or not self._take(form.get("nonce", ""), self.saving):
            return
        self.saving, self.edit_errors = True, {}
        yield
        chosen = [k.split(":", 1)[1] for k, v in form.items() if k.startswith("edit_channel:") and v]
        given = rss_feeds.FeedInput(
            url=str(form.get("edit_url", "")), channel_ids=chosen, mode=self.edit_mode,
            delay_minutes=str(form.get("edit_delay_minutes", "60")) if self.edit_mode == "delay" else None,
            template=self.edit_template, utm_campaign=str(form.get("edit_utm_campaign", "")))
        _, errors = await self.run_form(rss_feeds.update, uuid.UUID(self.editing_id), given)
        self.saving, self.nonce = False, fresh_nonce()
        if errors:
            self.edit_errors = {(k if k == "form" else "edit_" + k): v for k, v in errors.items()}
            return
        self.editing_id = ""
        await self._refresh()
        yield rx.toast.success("Feed saved.")

    @rx.event
    def ask_delete(self, feed_id: str) -> None:
        row = next((f for f in self.feeds if f["id"] == feed_id), None)
        if row is not None:
            self.confirm_id, self.confirm_label = feed_id, row["title"]

    @rx.event
    async def delete(self):  # type: ignore[no-untyped-def]
        feed_id = self._confirmed()
        if not feed_id:
            return None
        return await self.act(rss_feeds.remove, uuid.UUID(feed_id), done="Feed removed; its posts stay.",
                              refresh=self._refresh)

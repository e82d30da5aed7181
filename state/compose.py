"""The composer: one post, its own text per channel where wanted, live per-network checks, and save /
schedule / publish now / approve.

Thin: every rule lives in app/services (`compose`, `compose_checks`, `posts`); this keeps the form's
values and shows the services' answers next to the field they name. The images, the thread builder and
the tools (links, snippets, AI assist) are mixins in `compose_media`, `compose_thread`, `compose_tools`.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from app.services.errors import DomainError
from app.services.planning import compose, compose_checks, posts
from state.auth import field_errors
from state.compose_media import ComposeMedia
from state.compose_thread import ComposeThread, Part
from state.compose_tools import ComposeTools
from state.forms import OnceForm, fresh_nonce
from state.workspace import WorkspaceState

AUTOSAVE_IDLE_SECONDS = 3.0
FOLDS = {"first": 0, "second": 1}  # the radio's words for the two readings of a DST-changed time


@dataclass
class Card:
    """One selected channel as the composer shows it."""

    channel_id: str = ""
    name: str = ""
    network: str = ""
    account: str = ""
    text: str = ""
    own: bool = False  # False: uses the post's text
    count: int = 0
    limit: int = 0
    over: bool = False
    problems: list[str] = field(default_factory=list)
    segments: list[dict[str, str]] = field(default_factory=list)
    media: list[str] = field(default_factory=list)  # thumbnails (data: URLs) shown in the preview


def _form_level(errors: dict[str, str]) -> dict[str, str]:
    """Per-target problems ("targets[0].body") are shown above the form: their messages name the network."""
    out = {k: v for k, v in errors.items() if not k.startswith("targets[")}
    images = [v for k, v in errors.items() if k.startswith("targets[") and ".media" in k]
    if images:  # image problems are shown under the images (their messages name the network)
        out["media"] = " ".join(dict.fromkeys(images))
    rest = [v for k, v in errors.items() if k.startswith("targets[") and ".media" not in k]
    if rest:
        out["form"] = " ".join([out.get("form", ""), *rest]).strip()
    return out


class ComposeState(ComposeMedia, ComposeThread, ComposeTools, OnceForm, WorkspaceState):
    channels: list[dict[str, str]] = []
    channels_loaded: bool = False  # until then the picker says it is loading, not "no channels"
    # The person typed, chose or tried to save (or opened a post or an idea with text): only then are
    # the networks' objections shown; an untouched form shows no error.
    touched: bool = False
    selected: list[str] = []
    body: str = ""  # the post's text
    own_texts: dict[str, str] = {}  # channel id -> its own text; absent = uses the post's text
    cards: list[Card] = []
    day: str = ""
    clock: str = "09:00"
    timezone: str = "UTC"
    errors: dict[str, str] = {}
    post_id: str = ""
    post_status: str = ""
    approval_comment: str = ""
    review_comment: str = ""
    saved_label: str = ""
    busy: bool = False
    ask_fold: bool = False  # the chosen wall time is skipped or repeated by a DST change
    fold: str = ""  # "first" / "second" reading of such a time
    _version: str = ""  # the post's updated_at this tab last loaded or saved
    _idea_id: str = ""
    _choices: list[dict[str, Any]] = []  # compose.channel_choices as the services gave them
    _edit_seq: int = 0

    @rx.var
    def can_schedule(self) -> bool:
        """Schedule and Publish now (else: Submit for approval)."""
        return compose_checks.actions(self.allowed, self.post_status).schedule

    @rx.var
    def can_approve(self) -> bool:
        return compose_checks.actions(self.allowed, self.post_status).approve

    # --- loading ---------------------------------------------------------------------------------------
    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        redirect = await WorkspaceState.require_workspace.fn(self)  # type: ignore[attr-defined]
        if redirect is not None:
            return redirect
        self.channels, self.selected, self.own_texts, self.cards, self.errors = [], [], {}, [], {}
        self._choices = []
        self.channels_loaded, self.touched = False, False
        self.thread, self.thread_network = [], ""
        self.body, self.post_id, self.post_status, self.approval_comment = "", "", "", ""
        self.review_comment, self.saved_label, self.busy, self._version = "", "", False, ""
        self._idea_id, self.ask_fold, self.fold = "", False, ""
        self.media, self.uploading = [], False
        self.timezone, self.day, self.clock = self.workspace_timezone, "", "09:00"
        self.nonce = fresh_nonce()
        try:
            chans = await self.run(compose.channel_choices)
        except DomainError as exc:
            self.errors = field_errors(exc)
            return None
        finally:
            self.channels_loaded = True
        self._choices = chans
        self.channels = [{k: str(v) for k, v in c.items() if k != "settings"} for c in chans]
        self.snippets = await self.run(compose.snippet_choices)
        self.assist_reason = compose.assist_unavailable_reason()
        params = self.router.page.params
        day = str(params.get("date", "") or "")
        if len(day) == 10 and day[4] == "-" and day[7] == "-":
            self.day = day
        post_id = str(params.get("post_id", "") or "")
        idea_id = str(params.get("idea", "") or "")
        if post_id:
            await self._load_post(post_id)
        elif idea_id:
            try:
                self.body = await self.run(compose.idea_text, uuid.UUID(idea_id))
                self._idea_id, self.touched = idea_id, True
            except (DomainError, ValueError) as exc:
                self.errors = field_errors(exc) if isinstance(exc, DomainError) else {
                    "form": "this idea does not exist (any more)"}
        if not post_id and len(self.channels) == 1:
            self.selected = [self.channels[0]["id"]]
        self._refresh()
        return None

    async def _load_post(self, post_id: str) -> None:
        try:
            data = await self.run(compose.load, uuid.UUID(post_id))
        except (DomainError, ValueError) as exc:
            self.errors = field_errors(exc) if isinstance(exc, DomainError) else {"form": "post not found"}
            return
        self.post_id, self.body, self.post_status = data["id"], data["body"], data["status"]
        self.touched = True
        self.approval_comment, self._version = data["approval_comment"], data["updated_at"]
        self.selected = list(data["targets"])
        self.own_texts = {cid: v for cid, v in data["targets"].items() if v is not None}
        if data["media"]:
            self.media = await self.run(compose.media_cards, data["media"])
        stored = next((parts for parts in data["thread"].values() if parts), [])
        self.thread = [Part(text=p) for p in stored]
        if data["scheduled_at"]:
            local = datetime.fromisoformat(data["scheduled_at"]).astimezone(ZoneInfo(self.timezone))
            self.day, self.clock = f"{local:%Y-%m-%d}", f"{local:%H:%M}"
        self.saved_label = "Saved"

    def _checks(self) -> list[compose_checks.TargetCheck]:
        return compose_checks.check_targets(self._choices, self.selected, self.body, self.own_texts,
                                            len(self.media))

    def _refresh(self) -> None:
        """Rebuild each selected channel's card (its text, count, limit, problems and preview) and the
        thread parts' counts from the services' checks."""
        checks = self._checks()
        thumbs = [m["thumb"] for m in self.media]
        self.cards = [
            Card(channel_id=t.channel_id, name=t.name, network=t.network, account=t.account, text=t.text,
                 own=t.own, count=t.count, limit=t.limit, over=t.over, problems=t.problems,
                 segments=t.segments, media=thumbs)
            for t in checks
        ]
        counted = compose_checks.count_thread(checks, [p.text for p in self.thread])
        self.thread_network = counted.channel_name
        self.thread = [Part(text=p.text, count=n, limit=counted.limit)
                       for p, n in zip(self.thread, counted.counts, strict=True)]
        problem = compose_checks.body_problem(self.body)
        if problem:
            self.errors = {**self.errors, "body": problem}
        else:
            self.errors = {k: v for k, v in self.errors.items() if k != "body"}

    # --- editing ---------------------------------------------------------------------------------------
    def _edited(self):  # type: ignore[no-untyped-def]
        self._edit_seq += 1
        self.touched = True
        self.saved_label = "Unsaved changes"
        return ComposeState.autosave_after_idle(self._edit_seq)

    @rx.event
    def set_body(self, value: str):  # type: ignore[no-untyped-def]
        self.body = value
        self._refresh()
        return self._edited()

    @rx.event
    def toggle_channel(self, channel_id: str, checked: bool):  # type: ignore[no-untyped-def]
        if checked and channel_id not in self.selected:
            self.selected = [*self.selected, channel_id]
        elif not checked:
            self.selected = [c for c in self.selected if c != channel_id]
        self.errors = {k: v for k, v in self.errors.items() if k != "targets"}
        self._refresh()
        return self._edited()

    @rx.event
    def set_own_text(self, channel_id: str, value: str):  # type: ignore[no-untyped-def]
        if value == self.body and channel_id not in self.own_texts:
            return None
        self.own_texts = {**self.own_texts, channel_id: value}
        self._refresh()
        return self._edited()

    @rx.event
    def use_post_text(self, channel_id: str):  # type: ignore[no-untyped-def]
        """The channel drops its own text and uses the post's text again."""
        self.own_texts = {k: v for k, v in self.own_texts.items() if k != channel_id}
        self._refresh()
        return self._edited()

    @rx.event
    def set_day(self, value: str) -> None:
        self.day, self.ask_fold, self.fold = value, False, ""

    @rx.event
    def set_clock(self, value: str) -> None:
        self.clock, self.ask_fold, self.fold = value, False, ""

    @rx.event
    def set_fold(self, value: str) -> None:
        self.fold = value if value in ("first", "second") else ""

    @rx.event
    def set_timezone(self, value: str) -> None:
        self.timezone = value

    @rx.event
    def set_review_comment(self, value: str) -> None:
        self.review_comment = value

    # --- saving ----------------------------------------------------------------------------------------
    def _own_texts_for_save(self) -> dict[str, str | None]:
        return {cid: self.own_texts.get(cid) for cid in self.selected}

    async def _save(self) -> bool:
        """Create or update the draft; False (with the errors set) when the services refuse."""
        try:
            post_id, version = await self.run(
                compose.save, uuid.UUID(self.post_id) if self.post_id else None, self.body,
                self._own_texts_for_save(), self._version,
                compose_checks.thread_for_save(self._choices, self.selected, [p.text for p in self.thread]),
                None if self.post_id or not self._idea_id else uuid.UUID(self._idea_id),
                self._media_for_save(),
            )
        except DomainError as exc:
            self.errors = _form_level(field_errors(exc))
            self.saved_label = "Not saved"
            return False
        self.post_id, self._version = post_id, version
        self.post_status = self.post_status or "draft"
        self.saved_label = "Saved"
        return True

    def _done(self) -> None:
        self.busy = False
        self.nonce = fresh_nonce()

    @rx.event(background=True)
    async def autosave_after_idle(self, seq: int):  # type: ignore[no-untyped-def]
        """A draft is saved a few seconds after the last keystroke (only when it is a valid draft)."""
        await asyncio.sleep(AUTOSAVE_IDLE_SECONDS)
        async with self:
            if seq != self._edit_seq or self.busy or self.saved_label == "Saved":
                return
            if "body" in self.errors or not compose_checks.may_autosave(
                    self.post_status, self.selected, self.body):
                return
            # One locked block: a Save click waits for this save instead of finding the form busy.
            await self._save()

    @rx.event
    async def save_draft(self, nonce: str):  # type: ignore[no-untyped-def]
        if not self._take(nonce, self.busy):
            return
        self.busy, self.errors, self.touched = True, {}, True
        yield
        ok = await self._save()
        self._done()
        if ok:
            yield rx.toast.success("Draft saved")

    async def _then(self, publish_now: bool) -> None:
        """Save, then schedule or publish now: the compose service refuses while a channel's network
        objects to its text, and the posts service decides (a contributor's post goes for approval)."""
        if not await self._save():
            return
        fold = FOLDS.get(self.fold) if self.ask_fold else None
        try:
            self.post_status, self._version = await self.run(
                compose.schedule, uuid.UUID(self.post_id), publish_now=publish_now, day=self.day,
                clock=self.clock, timezone=self.timezone, fold=fold)
        except DomainError as exc:
            self.errors = _form_level(field_errors(exc))
            if any(p.code in ("dst_gap", "dst_ambiguous") for p in exc.problems):
                self.ask_fold = True

    @rx.event
    async def schedule(self, nonce: str):  # type: ignore[no-untyped-def]
        if not self._take(nonce, self.busy):
            return
        self.busy, self.errors, self.touched = True, {}, True
        yield
        await self._then(publish_now=False)
        self._done()
        if not self.errors:
            yield rx.toast.success(compose_checks.done_message(self.post_status, published=False))

    @rx.event
    async def publish_now(self, nonce: str):  # type: ignore[no-untyped-def]
        if not self._take(nonce, self.busy):
            return
        self.busy, self.errors, self.touched = True, {}, True
        yield
        await self._then(publish_now=True)
        self._done()
        if not self.errors:
            yield rx.toast.success(compose_checks.done_message(self.post_status, published=True))

    @rx.event
    async def next_slot(self):  # type: ignore[no-untyped-def]
        try:
            self.day, self.clock = await self.run(compose.next_free_slot, list(self.selected), self.timezone)
        except DomainError as exc:
            self.errors = field_errors(exc)
            return
        self.errors = {k: v for k, v in self.errors.items() if k not in ("queue", "scheduled_at")}

    # --- approval --------------------------------------------------------------------------------------
    @rx.event
    async def approve(self, nonce: str):  # type: ignore[no-untyped-def]
        if not self._take(nonce, self.busy) or not self.post_id:
            return
        self.busy, self.errors = True, {}
        yield
        post_id = uuid.UUID(self.post_id)
        try:
            post = await self.run(lambda s, u, w: posts.approve(s, u, post_id))
            self.post_status = post.status
        except DomainError as exc:
            self.errors = field_errors(exc)
        self._done()
        if not self.errors:
            yield rx.toast.success("Approved")

    @rx.event
    async def request_changes(self, nonce: str):  # type: ignore[no-untyped-def]
        if not self._take(nonce, self.busy) or not self.post_id:
            return
        self.busy, self.errors = True, {}
        yield
        post_id, comment = uuid.UUID(self.post_id), self.review_comment
        try:
            post = await self.run(lambda s, u, w: posts.request_changes(s, u, post_id, comment))
            self.post_status, self.approval_comment = post.status, post.approval_comment or ""
        except DomainError as exc:
            self.errors = field_errors(exc)
        self._done()
        if not self.errors:
            yield rx.toast.success("Changes requested")

    # --- the post's text from a tool (links, snippets, AI assist, thread split) ------------------------
    def _set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.body = value
        self.errors = {k: v for k, v in self.errors.items() if k not in ("links", "assist", "topic", "text")}
        self._refresh()
        return self._edited()

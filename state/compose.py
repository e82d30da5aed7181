"""The composer: one post, a variant per channel, live per-network checks, save / schedule / approve.

Thin: every rule lives in app/services (compose, posts); this keeps the form's values and shows the
services' answers next to the field they name.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from app.services.errors import DomainError
from app.services.planning import compose, posts
from state.auth import field_errors
from state.forms import OnceForm, fresh_nonce
from state.workspace import WorkspaceState

AUTOSAVE_IDLE_SECONDS = 3.0


@dataclass
class Card:
    """One selected channel as the composer shows it."""

    channel_id: str = ""
    name: str = ""
    network: str = ""
    account: str = ""
    text: str = ""
    own: bool = False  # False: inherits the base text
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


@dataclass
class Part:
    """A follow-up part of a thread, counted for the strictest network that posts threads."""

    text: str = ""
    count: int = 0
    limit: int = 0


class ComposeState(OnceForm, WorkspaceState):
    channels: list[dict[str, str]] = []
    channels_loaded: bool = False  # until then the picker says it is loading, not "no channels"
    # The person typed, chose or tried to save (or opened a post or an idea with text): only then are
    # the networks' objections shown; an untouched form shows no error.
    touched: bool = False
    selected: list[str] = []
    body: str = ""
    variants: dict[str, str] = {}  # channel id -> its own text; absent = inherits the base text
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
    thread: list[Part] = []  # follow-up parts (the base text is part 1)
    thread_network: str = ""
    snippets: list[dict[str, str]] = []
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    assist_reason: str = ""  # "" when AI assist is configured, else how to enable it
    topic: str = ""
    ask_fold: bool = False  # the chosen wall time is skipped or repeated by a DST change
    fold: str = ""  # "first" / "second" reading of such a time
    media: list[dict[str, str]] = []  # attached images: id, filename, alt, thumb (data: URL)
    uploading: bool = False
    upload_percent: int = 0  # bytes sent so far while an upload is on its way
    _version: str = ""
    _idea_id: str = ""  # the post's updated_at this tab last loaded or saved
    _channel_settings: dict[str, dict[str, Any]] = {}
    _edit_seq: int = 0

    # --- loading ---------------------------------------------------------------------------------------
    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        redirect = await WorkspaceState.require_workspace.fn(self)  # type: ignore[attr-defined]
        if redirect is not None:
            return redirect
        self.channels, self.selected, self.variants, self.cards, self.errors = [], [], {}, [], {}
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
        self._channel_settings = {str(c["id"]): c.pop("settings") for c in chans}
        self.channels = [{k: str(v) for k, v in c.items()} for c in chans]
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
        self.variants = {cid: v for cid, v in data["targets"].items() if v is not None}
        if data["media"]:
            self.media = await self.run(compose.media_cards, data["media"])
        stored = next((parts for parts in data["thread"].values() if parts), [])
        self.thread = [Part(text=p) for p in stored]
        if data["scheduled_at"]:
            from datetime import datetime
            from zoneinfo import ZoneInfo

            local = datetime.fromisoformat(data["scheduled_at"]).astimezone(ZoneInfo(self.timezone))
            self.day, self.clock = f"{local:%Y-%m-%d}", f"{local:%H:%M}"
        self.saved_label = "Saved"

    def _refresh(self) -> None:
        """Rebuild each selected channel's card: its text, count, limit, problems and preview."""
        by_id = {c["id"]: c for c in self.channels}
        cards = []
        for cid in self.selected:
            ch = by_id.get(cid)
            if ch is None:
                continue
            own = cid in self.variants
            text = self.variants[cid] if own else self.body
            check = compose.check_text(ch["network"], self._channel_settings.get(cid), text)
            cards.append(Card(
                channel_id=cid, name=ch["name"], network=ch["network"], account=ch["account"], text=text,
                own=own, count=check.count, limit=check.limit, over=check.count > check.limit,
                problems=check.problems + compose.media_problems(
                    ch["network"], self._channel_settings.get(cid), len(self.media)),
                segments=check.segments, media=[m["thumb"] for m in self.media],
            ))
        self.cards = cards
        strict = min((c for c in cards if by_id[c.channel_id].get("threads") == "True"),
                     key=lambda c: c.limit, default=None)
        self.thread_network = strict.name if strict else ""
        self.thread = [
            Part(text=p.text, count=compose.count_for(strict.network, p.text) if strict else len(p.text),
                 limit=strict.limit if strict else 0)
            for p in self.thread
        ]
        if len(self.body) > compose.MAX_COMPOSE_CHARS:
            self.errors = {**self.errors, "body": compose.too_long_message(len(self.body))}
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
    def set_variant(self, channel_id: str, value: str):  # type: ignore[no-untyped-def]
        if value == self.body and channel_id not in self.variants:
            return None
        self.variants = {**self.variants, channel_id: value}
        self._refresh()
        return self._edited()

    @rx.event
    def reset_variant(self, channel_id: str):  # type: ignore[no-untyped-def]
        self.variants = {k: v for k, v in self.variants.items() if k != channel_id}
        self._refresh()
        return self._edited()

    # --- images --------------------------------------------------------------------------------------
    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        """Each dropped or picked file is checked and stored by the media service; a refused file is
        named in the message under the drop zone, the others are attached."""
        self.uploading, self.touched = True, True
        self.errors = {k: v for k, v in self.errors.items() if k != "media"}
        yield
        refused: list[str] = []
        for upload in files:
            name = str(getattr(upload, "name", None) or getattr(upload, "filename", None) or "image")
            data = await upload.read()
            try:
                card = await self.run(compose.attach_image, name, data)
            except DomainError as exc:
                refused.append(exc.message)
                continue
            if all(m["id"] != card["id"] for m in self.media):
                self.media = [*self.media, card]
        self.uploading, self.upload_percent = False, 0
        if refused:
            self.errors = {**self.errors, "media": " ".join(refused)}
        self._refresh()
        # No chained autosave from here: an upload's response stays open while events it starts run,
        # and the drop zone takes no new files until it closes. The next edit or Save keeps the images.
        self._edit_seq += 1
        self.saved_label = "Unsaved changes"

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        """The browser's progress while the files travel (before the handler above runs)."""
        try:
            share = float(progress.get("progress", 0))
        except (TypeError, ValueError):
            return
        if share >= 1:
            return  # all sent: `handle_upload` now shows "Uploading…" until the images are checked
        self.uploading, self.upload_percent = True, max(0, int(share * 100))

    @rx.event
    def set_alt(self, asset_id: str, value: str):  # type: ignore[no-untyped-def]
        self.media = [{**m, "alt": value} if m["id"] == asset_id else m for m in self.media]
        return self._edited()

    @rx.event
    def remove_media(self, asset_id: str):  # type: ignore[no-untyped-def]
        self.media = [m for m in self.media if m["id"] != asset_id]
        self.errors = {k: v for k, v in self.errors.items() if k != "media"}
        self._refresh()
        return self._edited()

    def _media_for_save(self) -> list[dict[str, str]]:
        return [{"id": m["id"], "alt": m["alt"]} for m in self.media]

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
    def _variants_for_save(self) -> dict[str, str | None]:
        return {cid: self.variants.get(cid) for cid in self.selected}

    def _threads_for_save(self) -> dict[str, list[str]]:
        """The follow-up parts go to every chosen channel that posts threads."""
        capable = {c["id"] for c in self.channels if c.get("threads") == "True"}
        parts = [p.text for p in self.thread]
        return {cid: parts for cid in self.selected if cid in capable and parts}

    async def _save(self) -> bool:
        """Create or update the draft; False (with the errors set) when the services refuse."""
        try:
            post_id, version = await self.run(
                compose.save, uuid.UUID(self.post_id) if self.post_id else None, self.body,
                self._variants_for_save(), self._version, self._threads_for_save(),
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
            if self.post_status not in ("", "draft", "changes_requested"):
                return  # scheduled posts change only when the person presses a button
            if not self.selected or not self.body.strip() or "body" in self.errors:
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

    async def _then(self, action: str) -> None:
        """Save, then schedule / publish now through the posts service."""
        if not await self._save():
            return
        blocked = [c.name for c in self.cards if c.problems]
        if blocked:
            # The same checks the connectors run at publish time: refuse now, next to each channel.
            self.errors = {"form": "Not scheduled: fix the problems shown for " + ", ".join(blocked) + "."}
            return
        assert self.post_id
        post_id = uuid.UUID(self.post_id)
        try:
            if action == "publish":
                post = await self.run(lambda s, u, w: posts.publish_now(s, u, post_id))
            else:
                local = compose.parse_local(self.day, self.clock)
                tz = self.timezone
                fold = {"first": 0, "second": 1}.get(self.fold) if self.ask_fold else None
                post = await self.run(lambda s, u, w: posts.schedule_post(
                    s, u, post_id, local_time=local, timezone=tz, fold=fold))
        except DomainError as exc:
            self.errors = _form_level(field_errors(exc))
            if any(p.code in ("dst_gap", "dst_ambiguous") for p in exc.problems):
                self.ask_fold = True
            return
        self.post_status = post.status
        data = await self.run(compose.load, post_id)
        self._version = data["updated_at"]

    @rx.event
    async def schedule(self, nonce: str):  # type: ignore[no-untyped-def]
        if not self._take(nonce, self.busy):
            return
        self.busy, self.errors, self.touched = True, {}, True
        yield
        await self._then("schedule")
        self._done()
        if not self.errors:
            yield rx.toast.success(
                "Submitted for approval" if self.post_status == "awaiting_approval" else "Scheduled")

    @rx.event
    async def publish_now(self, nonce: str):  # type: ignore[no-untyped-def]
        if not self._take(nonce, self.busy):
            return
        self.busy, self.errors, self.touched = True, {}, True
        yield
        await self._then("publish")
        self._done()
        if not self.errors:
            yield rx.toast.success(
                "Submitted for approval" if self.post_status == "awaiting_approval" else "Publishing now")

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

    # --- links, snippets, AI assist ---------------------------------------------------------------------
    @rx.event
    def set_utm(self, key: str, value: str) -> None:
        if key in ("utm_source", "utm_medium", "utm_campaign"):
            setattr(self, key, value)

    @rx.event
    def set_topic(self, value: str) -> None:
        self.topic = value

    def _set_text(self, value: str):  # type: ignore[no-untyped-def]
        self.body = value
        self.errors = {k: v for k, v in self.errors.items() if k not in ("links", "assist", "topic", "text")}
        self._refresh()
        return self._edited()

    @rx.event
    async def shorten_links(self):  # type: ignore[no-untyped-def]
        try:
            out = await self.run(compose.shorten_links, self.body, self.utm_source, self.utm_medium,
                                 self.utm_campaign)
        except DomainError as exc:
            self.errors = {**self.errors, **field_errors(exc)}
            return None
        return self._set_text(out)

    @rx.event
    def insert_snippet(self, snippet_id: str):  # type: ignore[no-untyped-def]
        chosen = next((s for s in self.snippets if s["id"] == snippet_id), None)
        if chosen is None:
            return None
        return self._set_text((self.body.rstrip() + ("\n\n" if self.body.strip() else "")) + chosen["body"])

    @rx.event
    async def assist(self, action: str):  # type: ignore[no-untyped-def]
        """Write from the topic, rewrite, shorten for the strictest chosen network, or add hashtags."""
        from app.connectors import registry, text
        from app.services.planning import assist

        if self.assist_reason:
            self.errors = {**self.errors, "assist": self.assist_reason}
            return
        self.busy = True
        yield
        body, topic = self.body, self.topic
        strictest = min(self.cards, key=lambda c: c.limit, default=None)
        try:
            if action == "write":
                out = await asyncio.to_thread(assist.write, topic)
            elif action == "rewrite":
                out = await asyncio.to_thread(assist.rewrite, body)
            elif action == "shorten" and strictest is not None:
                count = registry.COUNTERS.get(strictest.network, text.code_points)
                out = await asyncio.to_thread(assist.shorten, body, strictest.network, strictest.limit, count)
            elif action == "hashtags":
                tags = await asyncio.to_thread(assist.hashtags, body)
                out = (body.rstrip() + "\n\n" + " ".join(tags)) if tags else body
            else:
                out = body
        except DomainError as exc:
            self.busy = False
            self.errors = {**self.errors, **{("assist" if k in ("form", "text") else k): v
                                             for k, v in field_errors(exc).items()}}
            return
        self.busy = False
        yield self._set_text(out)

    # --- thread builder ---------------------------------------------------------------------------------
    @rx.event
    def split_thread(self):  # type: ignore[no-untyped-def]
        text = "\n\n".join([self.body, *[p.text for p in self.thread]]).strip()
        by_id = {c["id"]: c for c in self.channels}
        networks = [(by_id[cid]["network"], self._channel_settings.get(cid)) for cid in self.selected
                    if cid in by_id]
        try:
            parts, _, _ = compose.split_thread(text, networks)
        except DomainError as exc:
            self.errors = {**self.errors, **field_errors(exc)}
            return None
        self.errors = {k: v for k, v in self.errors.items() if k != "thread"}
        self.thread = [Part(text=p) for p in parts[1:]]
        return self._set_text(parts[0] if parts else "")

    @rx.event
    def set_thread_part(self, index: int, value: str):  # type: ignore[no-untyped-def]
        if 0 <= index < len(self.thread):
            self.thread = [Part(text=value) if i == index else p for i, p in enumerate(self.thread)]
            self._refresh()
            return self._edited()
        return None

    @rx.event
    def remove_thread_part(self, index: int):  # type: ignore[no-untyped-def]
        self.thread = [p for i, p in enumerate(self.thread) if i != index]
        self._refresh()
        return self._edited()

"""The composer's tools: short links with UTM fields, saved snippets and hashtag groups, and AI assist.

A mixin of ComposeState (state/compose.py): each tool's answer replaces the post's text through its
`_set_text`; what the tools do is the services' (`compose.shorten_links`, `compose.assist_text`).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from app.services.errors import DomainError
from app.services.planning import compose
from state.auth import field_errors


class ComposeTools(rx.State, mixin=True):
    snippets: list[dict[str, str]] = []
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    assist_reason: str = ""  # "" when AI assist is configured, else how to enable it
    topic: str = ""

    @rx.event
    def set_utm(self, key: str, value: str) -> None:
        if key in ("utm_source", "utm_medium", "utm_campaign"):
            setattr(self, key, value)

    @rx.event
    def set_topic(self, value: str) -> None:
        self.topic = value

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
        if self.assist_reason:
            self.errors = {**self.errors, "assist": self.assist_reason}
            return
        self.busy = True
        yield
        body, topic, targets = self.body, self.topic, self._checks()
        try:
            out = await asyncio.to_thread(compose.assist_text, action, body, topic, targets)
        except DomainError as exc:
            self.busy = False
            self.errors = {**self.errors, **{("assist" if k in ("form", "text") else k): v
                                             for k, v in field_errors(exc).items()}}
            return
        self.busy = False
        yield self._set_text(out)

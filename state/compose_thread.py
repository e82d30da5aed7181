"""The composer's thread builder: the post's text split into parts, and each follow-up part edited or
removed. Splitting and counting follow the strictest chosen network that posts threads — the services'
rule (`compose.split_thread`, `compose_checks.count_thread`); this keeps the parts the page shows.

A mixin of ComposeState (state/compose.py), which counts the parts in its `_refresh`.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from app.services.errors import DomainError
from app.services.planning import compose
from state.auth import field_errors


@dataclass
class Part:
    """A follow-up part of a thread, counted for the strictest network that posts threads."""

    text: str = ""
    count: int = 0
    limit: int = 0


class ComposeThread(rx.State, mixin=True):
    thread: list[Part] = []  # follow-up parts (the post's text is part 1)
    thread_network: str = ""  # the name of the chosen channel the parts are counted for

    @rx.event
    def split_thread(self):  # type: ignore[no-untyped-def]
        text = "\n\n".join([self.body, *[p.text for p in self.thread]]).strip()
        by_id = {str(c["id"]): c for c in self._choices}
        networks = [(by_id[cid]["network"], by_id[cid].get("settings")) for cid in self.selected
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

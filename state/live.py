"""What the live pages share (the calendar, a post's page): their background watch runs only while the
page is on screen in an open tab, and checks the session without marking it used.

A watch is a background event started by the page's on_mount; `leave` (on_unmount) or a newer watch of
the same state stops it, and so does a closed tab. Its checks are work the person did not ask for: an
open page must not keep an idle session alive (nor count its person as active).
"""

from __future__ import annotations

import uuid
from typing import Any

from app.core.db import session_scope, user_claims
from app.services.errors import DomainError
from app.services.identity import sessions


def client_connected(token: str) -> bool:
    """False once the browser tab that started the watch has gone (its websocket closed)."""
    try:
        from reflex.utils.prerequisites import get_and_validate_app

        namespace = get_and_validate_app().app.event_namespace
    except Exception:  # noqa: BLE001 - no app (tests of the state alone): keep watching within its bound
        return True
    return namespace is None or token in namespace.token_to_sid


def unasked(session_token: str, user_id: str, workspace_id: str, fn: Any) -> Any:
    """fn(session, user id, workspace id) for work the person did not ask for: the session must still be
    live, but is not marked as used."""
    if not user_id or not sessions.is_live(sessions.session_id_of(session_token)):
        raise DomainError("your session ended: sign in again")
    uid, wid = uuid.UUID(user_id), uuid.UUID(workspace_id)
    with session_scope(user_claims(uid)) as session:
        return fn(session, uid, wid)


def count_mount(state: Any, change: int) -> None:
    """How many times the watching component is mounted on this connection (the watch runs while > 0).

    Counted, not a flag: React's development mode mounts, unmounts and mounts again at once, and the
    watch's start (a background event) and `leave` can reach the state in any order. A new connection
    (a reloaded tab: its old page never left) starts from zero. `state` has `_mounted: int` and
    `_mounted_on: str`."""
    connection = state.router.session.session_id
    if connection != state._mounted_on:
        state._mounted, state._mounted_on = 0, connection
    state._mounted += change

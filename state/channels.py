"""Channels page: list the workspace's channels, connect one per network, re-connect, disconnect.

Thin: every handler calls app/services/channels (or channel_oauth) through `self.run`, which acts under
the user's own claims; the services check `channel:manage` again whatever the page shows.
"""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from app.services.delivery import channel_oauth, channels
from app.services.errors import DomainError
from app.services.planning.calendar import NETWORK_LABELS
from state.forms import ConfirmDialog, OnceForm, fresh_nonce
from state.workspace import WorkspaceState

# What each network asks for: (credential key, label, input type, hint). Keys are the connectors' own.
NETWORK_FIELDS: dict[str, list[tuple[str, str, str, str]]] = {
    "bluesky": [
        ("identifier", "Handle", "text", "e.g. yourname.bsky.social"),
        ("app_password", "App password", "password", "Create one under Settings → App passwords."),
        ("service", "PDS URL", "url", "Leave https://bsky.social unless you run your own PDS."),
    ],
    "matrix": [
        ("homeserver", "Homeserver URL", "url", "e.g. https://matrix.org"),
        ("user", "User", "text", "e.g. @you:matrix.org"),
        ("password", "Password", "password", "Or leave empty and give an access token."),
        ("access_token", "Access token", "password", "Used instead of the password when given."),
        ("room", "Room", "text", "Room id or alias, e.g. #news:matrix.org"),
    ],
    "telegram": [
        ("bot_token", "Bot token", "password", "From @BotFather."),
        ("chat_id", "Chat id", "text", "e.g. @yourchannel or -100123456789"),
    ],
    "discord": [
        ("webhook_url", "Webhook URL", "url", "Channel settings → Integrations → Webhooks."),
    ],
    "webhook": [
        ("url", "Webhook URL", "url", "Quillcast POSTs each post here as JSON."),
        ("secret", "Signing secret", "password", "Used to sign each request (HMAC)."),
    ],
}
OAUTH = {"mastodon": "Mastodon", "x": "X"}
CONNECTABLE = [*NETWORK_FIELDS, *OAUTH]
DEFAULTS = {"service": "https://bsky.social"}


def _row(ch: Any) -> dict[str, str]:
    verified = ch.last_verified_at.strftime("%Y-%m-%d %H:%M UTC") if ch.last_verified_at else "never"
    return {
        "id": str(ch.id),
        "network": ch.network,
        "network_label": NETWORK_LABELS.get(ch.network, ch.network),
        "name": ch.name,
        "account": ch.account,
        "status": ch.status,
        "reason": ch.status_reason or "",
        "verified": verified,
        # the re-connect reason is shown on its own; the rest (e.g. a LinkedIn API version sunset) here
        "alerts": " · ".join(a for a in channels.channel_alerts(ch) if "needs re-connecting" not in a),
    }


class ChannelsState(OnceForm, ConfirmDialog, WorkspaceState):
    rows: list[dict[str, str]] = []
    network: str = "bluesky"
    errors: dict[str, str] = {}
    saving: bool = False
    # the channel being re-connected ("" = connecting a new one); `confirm_id` is the one to disconnect
    reconnect_id: str = ""
    reconnect_label: str = ""
    loaded: bool = False
    # the connect form's key: a new round after a successful connect draws it anew, empty (secrets
    # especially), with the PDS URL back at its default
    form_round: int = 0

    @rx.var
    def can_manage(self) -> bool:
        return "channel:manage" in self.allowed

    @rx.var
    def fields(self) -> list[dict[str, str]]:
        return [
            {"key": k, "label": lbl, "type": t, "hint": h, "default": DEFAULTS.get(k, "")}
            for k, lbl, t, h in NETWORK_FIELDS.get(self.network, [])
        ]

    @rx.var
    def is_oauth(self) -> bool:
        return self.network in OAUTH

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self.nonce = fresh_nonce()
        self.errors, self.reconnect_id, self.confirm_id = {}, "", ""
        await self._refresh()

    async def _refresh(self) -> None:
        def work(session, user_id, workspace_id):  # type: ignore[no-untyped-def]
            rows = channels.list_channels(session, user_id=user_id, workspace_id=workspace_id)
            return [_row(ch) for ch in rows]

        self.rows = await self.run(work)
        self.loaded = True

    @rx.event
    def choose_network(self, network: str) -> None:
        if network in CONNECTABLE:
            self.network, self.errors = network, {}
            self.reconnect_id = ""

    @rx.event
    def start_reconnect(self, channel_id: str) -> None:
        row = next((r for r in self.rows if r["id"] == channel_id), None)
        if row is None or row["network"] not in NETWORK_FIELDS:
            return
        self.network, self.errors = row["network"], {}
        self.reconnect_id, self.reconnect_label = channel_id, f"{row['network_label']} · {row['account']}"
        self.nonce = fresh_nonce()

    @rx.event
    def cancel_reconnect(self) -> None:
        self.reconnect_id, self.errors = "", {}

    @rx.event
    async def connect(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        network = self.network
        keys = [k for k, *_ in NETWORK_FIELDS.get(network, [])]
        credentials = {k: str(form.get(k, "")).strip() for k in keys if str(form.get(k, "")).strip()}
        errors = {k: "required" for k in _required(network) if not credentials.get(k)}
        if network == "matrix" and not (credentials.get("password") or credentials.get("access_token")):
            errors["password"] = "give the password or an access token"  # noqa: S105 - a message
        if errors:
            self.errors, self.nonce = errors, fresh_nonce()
            return
        name = str(form.get("name", "")).strip() or None
        reconnect_id = self.reconnect_id
        self.saving, self.errors = True, {}
        yield
        if reconnect_id:
            _, errors = await self.run_form(_reconnect, uuid.UUID(reconnect_id), credentials)
        else:
            _, errors = await self.run_form(_connect, network, credentials, name)
        if errors:
            self.errors = _place(errors, network)
            self.saving, self.nonce = False, fresh_nonce()
            return
        self.saving, self.reconnect_id, self.nonce = False, "", fresh_nonce()
        await self._refresh()
        self.form_round += 1
        yield rx.toast.success("Channel re-connected." if reconnect_id else "Channel connected.")

    @rx.event
    async def start_oauth(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        if not self._take(form.get("nonce", ""), self.saving):
            return
        network = self.network
        instance = str(form.get("instance", "")).strip()
        if network == "mastodon" and not instance:
            self.errors, self.nonce = {"instance": "required, e.g. mastodon.social"}, fresh_nonce()
            return
        self.saving, self.errors = True, {}
        yield
        url, errors = await self.run_form(_start_oauth, network, instance or None)
        if errors:
            self.errors = errors
            self.saving, self.nonce = False, fresh_nonce()
            return
        self.saving = False
        yield rx.redirect(url, is_external=True)

    @rx.event
    def ask_disconnect(self, channel_id: str) -> None:
        row = next((r for r in self.rows if r["id"] == channel_id), None)
        if row is not None:
            self.confirm_id, self.confirm_label = channel_id, f"{row['network_label']} · {row['account']}"

    @rx.event
    async def disconnect(self):  # type: ignore[no-untyped-def]
        channel_id = self._confirmed()
        if not channel_id:
            return
        return await self.act(_disconnect, uuid.UUID(channel_id), refresh=self._refresh, done=_disconnected)


class OAuthCallbackState(WorkspaceState):
    """/channels/oauth/callback: the network sends the admin back here with ?state=&code=."""

    error: str = ""

    @rx.event
    async def finish(self):  # type: ignore[no-untyped-def]
        user_id = self.current_user_id()
        if user_id is None:
            return rx.redirect("/signin")
        params = self.router.url.query_parameters
        state, code = params.get("state", ""), params.get("code", "")
        if params.get("error"):
            self.error = f"The network did not connect the channel: {params.get('error')}"
            return None

        def work(session, _user_id, _workspace_id):  # type: ignore[no-untyped-def]
            return channel_oauth.finish_oauth(session, user_id=user_id, state=state, code=code)

        try:
            await self.run(work)
        except DomainError as exc:
            self.error = exc.message
            return None
        return rx.redirect("/channels")


def _disconnected(waiting: int) -> str:
    note = f" {waiting} waiting post(s) will fail with a reason until it is re-connected." if waiting else ""
    return "Channel disconnected." + note


def _required(network: str) -> list[str]:
    optional = {"password", "access_token", "secret", "service"}
    return [k for k, *_ in NETWORK_FIELDS.get(network, []) if k not in optional]


def _place(errors: dict[str, str], network: str) -> dict[str, str]:
    """The services name the whole `credentials` group: show it next to the secret the user typed."""
    if "credentials" in errors:
        secret = {"bluesky": "app_password", "matrix": "password", "telegram": "bot_token",
                  "discord": "webhook_url", "webhook": "url"}.get(network, "form")
        errors[secret] = errors.pop("credentials")
    if "network" in errors:
        errors["form"] = errors.pop("network")
    return errors


def _connect(session, user_id, workspace_id, network, credentials, name):  # type: ignore[no-untyped-def]
    return channels.connect_channel(
        session, user_id=user_id, workspace_id=workspace_id, network=network, credentials=credentials,
        name=name,
    ).id


def _reconnect(session, user_id, workspace_id, channel_id, credentials):  # type: ignore[no-untyped-def]
    return channels.reconnect_channel(
        session, user_id=user_id, workspace_id=workspace_id, channel_id=channel_id, credentials=credentials
    ).id


def _disconnect(session, user_id, workspace_id, channel_id):  # type: ignore[no-untyped-def]
    return channels.disconnect_channel(
        session, user_id=user_id, workspace_id=workspace_id, channel_id=channel_id
    )


def _start_oauth(session, user_id, workspace_id, network, instance):  # type: ignore[no-untyped-def]
    return channel_oauth.start_oauth(
        session, user_id=user_id, workspace_id=workspace_id, network=network, instance=instance
    )

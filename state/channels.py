"""Channels page: list the workspace's channels, connect one per network, re-connect, disconnect.

Thin: every handler calls app/services/channels (or channel_oauth) through `self.run`, which acts under
the user's own claims; the services check `channel:manage` again whatever the page shows.
"""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from app.connectors import catalogue
from app.services.channels import channel_oauth, channels
from app.services.errors import DomainError
from state.forms import ConfirmDialog, OnceForm, fresh_nonce
from state.workspace import WorkspaceState

# The networks whose connect form is on this page, and those connected through their own sign-in page
# (network -> label); what each asks for is the catalogue's.
FORM_NETWORKS = catalogue.connectable("form")
OAUTH = {n: catalogue.label(n) for n in catalogue.connectable("oauth")}
CONNECTABLE = [*FORM_NETWORKS, *OAUTH]


def connect_fields(network: str) -> tuple[catalogue.ConnectField, ...]:
    """What connecting `network` asks for (for a network with a sign-in page: asked before leaving)."""
    return catalogue.NETWORKS[network].fields if network in catalogue.NETWORKS else ()


def form_fields(network: str) -> tuple[catalogue.ConnectField, ...]:
    """The credentials the connect form asks for; none for a network connected otherwise."""
    return connect_fields(network) if network in FORM_NETWORKS else ()


def _row(ch: Any) -> dict[str, str]:
    verified = ch.last_verified_at.strftime("%Y-%m-%d %H:%M UTC") if ch.last_verified_at else "never"
    return {
        "id": str(ch.id),
        "network": ch.network,
        "network_label": catalogue.label(ch.network),
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
        return [{"key": f.key, "label": f.label, "type": f.input_type, "hint": f.hint, "default": f.default}
                for f in form_fields(self.network)]

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
        if row is None or row["network"] not in FORM_NETWORKS:
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
        keys = [f.key for f in form_fields(network)]
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
        asked = connect_fields(network) if network in OAUTH else ()
        missing = {f.key: f"required, {f.hint}" for f in asked
                   if f.required and not str(form.get(f.key, "")).strip()}
        if missing:
            self.errors, self.nonce = missing, fresh_nonce()
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
    return [f.key for f in form_fields(network) if f.required]


def _place(errors: dict[str, str], network: str) -> dict[str, str]:
    """The services name the whole `credentials` group: show it next to the secret the user typed."""
    if "credentials" in errors:
        where = catalogue.NETWORKS[network].error_field if network in catalogue.NETWORKS else "form"
        errors[where] = errors.pop("credentials")
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

"""Discord through a channel webhook (no bot needed).

POST {webhook}?wait=true makes Discord answer with the message (its id), instead of 204. Webhooks
cannot reply, so threads are refused; there is no idempotency key, so `lookup` cannot tell.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.connectors import catalogue
from app.connectors.base import (
    AuthError,
    Limits,
    LookupResult,
    Metrics,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    VerifiedAccount,
)
from app.connectors.checks import media_problems, refuse, text_problems
from app.connectors.http import auth_error_when, json_or_empty, new_client, raise_for_status, send

NETWORK = "discord"
LABEL = catalogue.label(NETWORK)
LIMITS = catalogue.NETWORKS[NETWORK].limits
UNKNOWN_WEBHOOK = 10015


def _message(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("message"):
        errors = body.get("errors")
        return str(body["message"]) + (f" ({json.dumps(errors)[:300]})" if errors else "")
    return None


def _retry_after(body: dict[str, Any]) -> float | None:
    return float(body["retry_after"]) if body.get("retry_after") is not None else None


# A deleted webhook answers 404 with code 10015: the channel must be re-connected.
_is_auth = auth_error_when("code", UNKNOWN_WEBHOOK, statuses=(401, 403))


class DiscordConnector:
    """Credentials: {webhook_url} (https://discord.com/api/webhooks/{id}/{token})."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        self.settings = settings or {}
        self.webhook_url = str(self.credentials.get("webhook_url") or "")
        if not self.webhook_url.startswith("https://"):
            raise AuthError("Discord needs the channel's webhook URL (https://discord.com/api/webhooks/...)")
        self._client = client or new_client()

    def _check(self, r: httpx.Response) -> Any:
        raise_for_status(
            LABEL,
            r,
            message_of=_message,
            reset_headers=("x-ratelimit-reset-after",),
            retry_after_of=_retry_after,
            is_auth_error=_is_auth,
        )
        return json_or_empty(r)

    def limits(self) -> Limits:
        return LIMITS

    def verify(self) -> VerifiedAccount:
        hook = self._check(send(NETWORK, self._client, "GET", self.webhook_url))
        return VerifiedAccount(
            account=hook.get("name") or "Discord webhook",
            credentials=dict(self.credentials),
            settings={"guild_id": hook.get("guild_id"), "channel_id": hook.get("channel_id")},
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        return None

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, LIMITS, request) + media_problems(NETWORK, LIMITS, request.media)

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        payload: dict[str, Any] = {"content": request.text, "allowed_mentions": {"parse": []}}
        if request.media:
            payload["attachments"] = [
                {"id": i, "filename": m.filename, "description": m.alt_text}
                for i, m in enumerate(request.media)
            ]
            files = {
                f"files[{i}]": (m.filename, m.read(), m.content_type)
                for i, m in enumerate(request.media)
            }
            r = send(
                NETWORK,
                self._client,
                "POST",
                self.webhook_url,
                params={"wait": "true"},
                data={"payload_json": json.dumps(payload)},
                files=files,
            )
        else:
            r = send(NETWORK, self._client, "POST", self.webhook_url, params={"wait": "true"}, json=payload)
        message = self._check(r)
        guild = self.settings.get("guild_id")
        url = (
            f"https://discord.com/channels/{guild}/{message['channel_id']}/{message['id']}"
            if guild and message.get("channel_id")
            else None
        )
        return PublishResult(
            remote_id=str(message["id"]),
            url=url,
            raw={"id": message["id"], "channel_id": message.get("channel_id")},
        )

    def lookup(self, idempotency_key: str) -> LookupResult:
        return LookupResult(Presence.UNKNOWN)

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """A webhook cannot read reactions back (that needs a bot in the server)."""
        return None

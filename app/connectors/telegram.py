"""Telegram Bot API: a bot posts to a channel or group it administers.

Text up to 4096 and captions up to 1024 (UTF-16 units, as Telegram counts); one image goes out with
sendPhoto, several with sendMediaGroup; thread parts become replies. The Bot API has no idempotency
key and no search, so `lookup` cannot tell.
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
    PermanentError,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    VerifiedAccount,
)
from app.connectors.checks import follow_up, media_problems, refuse, text_problems
from app.connectors.http import body_message, json_or_empty, new_client, raise_for_status, send
from app.connectors.text import utf16_units

NETWORK = "telegram"
LABEL = catalogue.label(NETWORK)
API = "https://api.telegram.org"
LIMITS = catalogue.NETWORKS[NETWORK].limits


_message = body_message("description")


def _retry_after(body: dict[str, Any]) -> float | None:
    wait = (body.get("parameters") or {}).get("retry_after")
    return float(wait) if wait else None


class TelegramConnector:
    """Credentials: {bot_token, chat_id} (chat_id: @channelusername or the numeric id)."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        self.settings = settings or {}
        if not self.credentials.get("bot_token") or not self.credentials.get("chat_id"):
            raise AuthError(
                "Telegram needs the bot token and the chat (@channel or id); re-connect the channel"
            )
        self._client = client or new_client(API)

    def _call(self, method: str, **kw: Any) -> Any:
        r = send(NETWORK, self._client, "POST", f"{API}/bot{self.credentials['bot_token']}/{method}", **kw)
        # 401: the token was revoked; 403: the bot was removed from the chat. Either needs a re-connect.
        raise_for_status(
            LABEL,
            r,
            message_of=_message,
            retry_after_of=_retry_after,
            is_auth_error=lambda resp, _b: resp.status_code in (401, 403),
        )
        body = json_or_empty(r)
        if not (isinstance(body, dict) and body.get("ok")):
            raise PermanentError(f"Telegram refused: {_message(body) or r.text[:200]}", raw=body)
        return body["result"]

    def limits(self) -> Limits:
        return LIMITS

    def verify(self) -> VerifiedAccount:
        bot = self._call("getMe")
        chat = self._call("getChat", json={"chat_id": self.credentials["chat_id"]})
        member = self._call("getChatMember", json={"chat_id": chat["id"], "user_id": bot["id"]})
        # In a channel only an administrator may post; find out now, not when the first post fails.
        if chat.get("type") == "channel" and member.get("status") not in ("administrator", "creator"):
            raise PermanentError(
                f"the bot @{bot.get('username')} is not an administrator of this channel; add it as an "
                "admin with the right to post messages, then connect again"
            )
        name = f"@{chat['username']}" if chat.get("username") else chat.get("title") or str(chat["id"])
        return VerifiedAccount(
            account=name,
            credentials=dict(self.credentials),
            settings={
                "bot": bot.get("username"),
                "chat_username": chat.get("username"),
                "chat_numeric_id": chat.get("id"),
            },
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        return None

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, LIMITS, request, count=utf16_units) + media_problems(
            NETWORK, LIMITS, request.media
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        chat = self.credentials["chat_id"]
        if len(request.media) == 1:
            m = request.media[0]
            first = self._call(
                "sendPhoto",
                data={"chat_id": chat, "caption": request.text},
                files={"photo": (m.filename, m.read(), m.content_type)},
            )
        elif request.media:
            files = {
                f"photo{i}": (m.filename, m.read(), m.content_type)
                for i, m in enumerate(request.media)
            }
            media = [
                {
                    "type": "photo",
                    "media": f"attach://photo{i}",
                    **({"caption": request.text} if i == 0 else {}),
                }
                for i in range(len(request.media))
            ]
            first = self._call(
                "sendMediaGroup", data={"chat_id": chat, "media": json.dumps(media)}, files=files
            )[0]
        else:
            first = self._call("sendMessage", json={"chat_id": chat, "text": request.text})
        previous = first["message_id"]
        for part in (*request.thread, *follow_up(request)):
            previous = self._call(
                "sendMessage",
                json={"chat_id": chat, "text": part, "reply_parameters": {"message_id": previous}},
            )["message_id"]
        username = (first.get("chat") or {}).get("username") or self.settings.get("chat_username")
        url = f"https://t.me/{username}/{first['message_id']}" if username else None
        return PublishResult(
            remote_id=str(first["message_id"]),
            url=url,
            raw={"chat_id": chat, "message_id": first["message_id"]},
        )

    def lookup(self, idempotency_key: str) -> LookupResult:
        return LookupResult(Presence.UNKNOWN)

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """The Bot API does not expose view counts of channel posts."""
        return None

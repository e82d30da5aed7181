"""Mastodon (and compatible servers) over its REST API with an OAuth access token.

Exactly once: POST /api/v1/statuses carries `Idempotency-Key` (the target's key; the server keeps it
for an hour and answers a repeat with the first status). Limits are the instance's own, read from
GET /api/v1/instance when the channel is connected and kept in the channel's settings.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from app.connectors import catalogue
from app.connectors.base import (
    AuthError,
    Limits,
    LookupResult,
    MediaItem,
    Metrics,
    PermanentError,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    TransientError,
    VerifiedAccount,
)
from app.connectors.checks import follow_up, media_problems, refuse, text_problems
from app.connectors.http import new_client, raise_for_status, send
from app.connectors.text import mastodon_length

NETWORK = "mastodon"
LABEL = catalogue.label(NETWORK)
DEFAULT_LIMITS = catalogue.NETWORKS[NETWORK].limits  # the defaults; a channel may have read its own
MEDIA_POLL_SECONDS = 30.0


def limits_from_instance(body: dict[str, Any]) -> dict[str, Any]:
    """The instance's limits (GET /api/v1/instance -> configuration) as stored channel settings."""
    conf = body.get("configuration") or {}
    statuses = conf.get("statuses") or {}
    media = conf.get("media_attachments") or {}
    out: dict[str, Any] = {}
    if statuses.get("max_characters"):
        out["max_chars"] = int(statuses["max_characters"])
    if statuses.get("max_media_attachments"):
        out["max_media"] = int(statuses["max_media_attachments"])
    if media.get("image_size_limit"):
        out["max_image_bytes"] = int(media["image_size_limit"])
    if media.get("video_size_limit"):
        out["max_video_bytes"] = int(media["video_size_limit"])
    if media.get("supported_mime_types"):
        types = [t for t in media["supported_mime_types"] if isinstance(t, str)]
        out["image_types"] = [t for t in types if t.startswith("image/")]
        out["video_types"] = [t for t in types if t.startswith("video/")]
    if media.get("description_limit"):
        out["max_alt_text_chars"] = int(media["description_limit"])
    return out


def _message(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"]) + (
            f" ({body['error_description']})" if body.get("error_description") else ""
        )
    return None


class MastodonConnector:
    """Credentials: {instance, access_token}. Settings: {"limits": {...}} read from the instance."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        settings = settings or {}
        self.instance = (self.credentials.get("instance") or settings.get("endpoint") or "").rstrip("/")
        if not self.instance.startswith(("https://", "http://")):
            raise AuthError("Mastodon needs the instance address, e.g. https://mastodon.social")
        self._limits = merge_limits(settings.get("limits") or {})
        self._client = client or new_client(self.instance, user_endpoint=True)

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        token = self.credentials.get("access_token")
        if not token:
            raise AuthError("Mastodon needs an access token; re-connect the channel")
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        r = send(NETWORK, self._client, method, f"{self.instance}{path}", headers=headers, **kw)
        # Mastodon's X-RateLimit-Reset is an ISO 8601 time; Retry-After is sent on 429 as well.
        raise_for_status(LABEL, r, message_of=_message)
        return r

    def limits(self) -> Limits:
        return self._limits

    def verify(self) -> VerifiedAccount:
        account = self._call("GET", "/api/v1/accounts/verify_credentials").json()
        instance = self._call("GET", "/api/v1/instance").json()
        limits = limits_from_instance(instance)
        self._limits = merge_limits(limits)
        host = self.instance.split("://", 1)[1]
        return VerifiedAccount(
            account=f"@{account['acct']}@{host}" if "@" not in account["acct"] else f"@{account['acct']}",
            credentials=dict(self.credentials),
            settings={"endpoint": self.instance, "limits": limits, "account_id": account.get("id")},
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        return None  # Mastodon access tokens do not expire; a revoked one answers 401 -> AuthError

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, self._limits, request, count=mastodon_length) + media_problems(
            NETWORK, self._limits, request.media
        )

    def _upload(self, item: MediaItem, content_type: str, alt: str) -> str:
        data = {"description": alt} if alt else {}
        r = self._call(
            "POST",
            "/api/v2/media",
            files={"file": (item.filename, item.read(), content_type)},
            data=data,
        )
        body = r.json()
        # 202: the server is still processing; a status may attach it only once `url` is set.
        deadline = time.monotonic() + MEDIA_POLL_SECONDS
        while r.status_code == 202 and not body.get("url"):
            if time.monotonic() > deadline:
                raise TransientError("Mastodon is still processing the image; trying again later")
            time.sleep(1)
            r = self._call("GET", f"/api/v1/media/{body['id']}")
            body = r.json()
            if r.status_code == 200 and body.get("url"):
                break
        return str(body["id"])

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        media_ids = [self._upload(m, m.content_type, m.alt_text) for m in request.media]
        visibility = request.options.get("visibility", "public")
        first: dict[str, Any] | None = None
        previous: str | None = None
        for index, text in enumerate([request.text, *request.thread, *follow_up(request)]):
            payload: dict[str, Any] = {"status": text, "visibility": visibility}
            if index == 0 and media_ids:
                payload["media_ids"] = media_ids
            if previous:
                payload["in_reply_to_id"] = previous
            key = request.idempotency_key if index == 0 else f"{request.idempotency_key}#{index}"
            status = self._call(
                "POST", "/api/v1/statuses", json=payload, headers={"Idempotency-Key": key}
            ).json()
            first = first or status
            previous = str(status["id"])
        assert first is not None
        return PublishResult(remote_id=str(first["id"]), url=first.get("url") or first.get("uri"), raw=first)

    def lookup(self, idempotency_key: str) -> LookupResult:
        """Mastodon cannot be asked by idempotency key. Publishing again within an hour with the same key
        is safe (the server returns the first status), so the engine may simply retry."""
        return LookupResult(Presence.UNKNOWN)

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """GET /api/v1/statuses/:id -> Status.favourites_count / reblogs_count / replies_count.
        A deleted status (404) has nothing left to count. Mastodon counts no quotes or views."""
        try:
            body = self._call("GET", f"/api/v1/statuses/{remote_id}").json()
        except PermanentError as exc:
            if isinstance(exc, AuthError) or exc.http_status != 404:
                raise
            return None
        counts = {k: int(body.get(k) or 0) for k in ("favourites_count", "reblogs_count", "replies_count")}
        return Metrics(likes=counts["favourites_count"], reposts=counts["reblogs_count"],
                       replies=counts["replies_count"], raw=counts)


def merge_limits(stored: dict[str, Any]) -> Limits:
    d = DEFAULT_LIMITS
    return Limits(
        max_chars=int(stored.get("max_chars", d.max_chars)),
        max_media=int(stored.get("max_media", d.max_media)),
        max_image_bytes=int(stored.get("max_image_bytes", d.max_image_bytes)),
        image_types=tuple(stored.get("image_types") or d.image_types),
        max_video_bytes=int(stored.get("max_video_bytes", d.max_video_bytes)),
        video_types=tuple(stored.get("video_types") or d.video_types),
        supports_threads=True,
        supports_first_comment=True,
        supports_alt_text=True,
        max_alt_text_chars=int(stored.get("max_alt_text_chars", d.max_alt_text_chars)),
    )

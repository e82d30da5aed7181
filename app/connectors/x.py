"""X (Twitter) API v2 with an OAuth 2.0 user token (authorization code + PKCE).

Access tokens live two hours; `refresh_credentials` swaps the refresh token (offline.access scope)
for a new pair before they expire. X has no idempotency key: a repeat is caught by `lookup` being
UNKNOWN (the engine asks the user) and by X refusing duplicate text.
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
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    VerifiedAccount,
)
from app.connectors.checks import follow_up, media_problems, refuse, text_problems
from app.connectors.http import auth_error_when, json_or_empty, new_client, raise_for_status, send
from app.connectors.text import x_weighted_length

NETWORK = "x"
LABEL = catalogue.label(NETWORK)
API = "https://api.x.com"
TOKEN_URL = f"{API}/2/oauth2/token"
RESET_HEADERS = ("x-rate-limit-reset",)
LIMITS = catalogue.NETWORKS[NETWORK].limits
REFRESH_MARGIN_SECONDS = 300


def _message(body: Any) -> str | None:
    """X answers problems as {title, detail} and older errors as {errors: [{message}]}."""
    if not isinstance(body, dict):
        return None
    if body.get("detail"):
        return str(body["detail"])
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("detail") or errors[0])
    if body.get("error_description"):
        return str(body["error_description"])
    return None


_is_auth = auth_error_when("error", "invalid_grant")


class XConnector:
    """Credentials: {access_token, refresh_token, expires_at (unix), client_id, client_secret?}."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        self._client = client or new_client(API)
        self._changed = False

    def _refresh(self) -> None:
        refresh = self.credentials.get("refresh_token")
        client_id = self.credentials.get("client_id")
        if not refresh or not client_id:
            raise AuthError("X access expired and there is no refresh token; re-connect the channel")
        secret = self.credentials.get("client_secret")
        # Confidential clients authenticate with HTTP Basic; public (PKCE-only) clients send client_id.
        auth = httpx.BasicAuth(client_id, secret) if secret else None
        r = send(
            NETWORK,
            self._client,
            "POST",
            TOKEN_URL,
            auth=auth,
            data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id},
        )
        raise_for_status(
            LABEL,
            r,
            message_of=_message,
            reset_headers=RESET_HEADERS,
            is_auth_error=lambda resp, b: resp.status_code in (400, 401),
        )
        body = r.json()
        self.credentials.update(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token", refresh),
            expires_at=time.time() + float(body.get("expires_in", 7200)),
        )
        self._changed = True

    def _ensure_token(self) -> str:
        expires_at = float(self.credentials.get("expires_at") or 0)
        if not self.credentials.get("access_token") or (
            expires_at and expires_at - time.time() < REFRESH_MARGIN_SECONDS
        ):
            self._refresh()
        return str(self.credentials["access_token"])

    def _call(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._ensure_token()}", **kw.pop("headers", {})}
        r = send(NETWORK, self._client, method, url, headers=headers, **kw)
        raise_for_status(LABEL, r, message_of=_message, reset_headers=RESET_HEADERS, is_auth_error=_is_auth)
        body = json_or_empty(r)
        return body if isinstance(body, dict) else {}

    def limits(self) -> Limits:
        return LIMITS

    def verify(self) -> VerifiedAccount:
        me = self._call("GET", f"{API}/2/users/me")["data"]
        return VerifiedAccount(
            account=f"@{me['username']}", credentials=dict(self.credentials), settings={"user_id": me["id"]}
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        self._ensure_token()
        changed, self._changed = self._changed, False
        return dict(self.credentials) if changed else None

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, LIMITS, request, count=x_weighted_length) + media_problems(
            NETWORK, LIMITS, request.media
        )

    def _upload(self, item: MediaItem, content_type: str, alt: str) -> str:
        body = self._call(
            "POST",
            f"{API}/2/media/upload",
            files={"media": (item.filename, item.read(), content_type)},
            data={"media_category": "tweet_image", "media_type": content_type},
        )
        media_id = str(body["data"]["id"])
        if alt:
            self._call(
                "POST",
                f"{API}/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": alt}}},
            )
        return media_id

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        media_ids = [self._upload(m, m.content_type, m.alt_text) for m in request.media]
        first: dict[str, Any] | None = None
        previous: str | None = None
        for index, text in enumerate([request.text, *request.thread, *follow_up(request)]):
            payload: dict[str, Any] = {"text": text}
            if index == 0 and media_ids:
                payload["media"] = {"media_ids": media_ids}
            if previous:
                payload["reply"] = {"in_reply_to_tweet_id": previous}
            data = self._call("POST", f"{API}/2/tweets", json=payload)["data"]
            first = first or data
            previous = str(data["id"])
        assert first is not None
        return PublishResult(
            remote_id=str(first["id"]), url=f"https://x.com/i/web/status/{first['id']}", raw=first
        )

    def lookup(self, idempotency_key: str) -> LookupResult:
        """X has no idempotency key and no way to find a post by one."""
        return LookupResult(Presence.UNKNOWN)

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """GET /2/tweets/:id?tweet.fields=public_metrics. A deleted post answers 200 with `errors` and
        no `data`: nothing left to count."""
        body = self._call("GET", f"{API}/2/tweets/{remote_id}", params={"tweet.fields": "public_metrics"})
        m = (body.get("data") or {}).get("public_metrics")
        if not isinstance(m, dict):
            return None
        impressions = m.get("impression_count")
        return Metrics(
            likes=int(m.get("like_count") or 0), reposts=int(m.get("retweet_count") or 0),
            replies=int(m.get("reply_count") or 0), quotes=int(m.get("quote_count") or 0),
            impressions=int(impressions) if impressions is not None else None,
            raw={k: v for k, v in m.items() if isinstance(v, int)},
        )
